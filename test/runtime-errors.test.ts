// The typed runtime errors in process: how the CLI reports each kind, and the runtime backstops that must
// throw a typed error (never a plain Error, which the CLI treats as a bug in emoc).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import { featureFeed } from '../runtime/backbone-feed.ts';
import {
  BackendError,
  DataError,
  DivergedError,
  ModelFileError,
  NotRunnableError,
  ResumeError,
  RunFolderError,
  RUNTIME_ERROR_KINDS,
} from '../runtime/errors.ts';
import { reportFailure, UserError } from '../src/errors.ts';

const CLASSES = [DataError, BackendError, ResumeError, DivergedError, NotRunnableError, ModelFileError, RunFolderError];

describe('reportFailure (the CLI last catch)', () => {
  it('has one class per kind', () => {
    expect(CLASSES.map((C) => new C('m', 'w', 'h').kind).sort()).toEqual([...RUNTIME_ERROR_KINDS].sort());
  });

  it.each(CLASSES.map((C) => [C.name, C] as const))('prints a %s as `emoc: where: message` and a hint, exit 1', (_, C) => {
    expect(reportFailure(new C('has no checkpoint', 'runs/s1/x', 'start a new run'))).toEqual({
      text: 'emoc: runs/s1/x: has no checkpoint\n  hint: start a new run\n',
      exitCode: 1,
    });
  });

  it('leaves out an empty where', () => {
    expect(reportFailure(new NotRunnableError('cannot run this', '', 'fix it')).text).toBe('emoc: cannot run this\n  hint: fix it\n');
  });

  it('keeps a UserError exit code', () => {
    expect(reportFailure(new UserError('missing spec file', 'usage: emoc run FILE', 2))).toEqual({
      text: 'emoc: missing spec file\n  hint: usage: emoc run FILE\n',
      exitCode: 2,
    });
  });

  it('treats a plain Error as a bug in emoc: exit 70 with the stack', () => {
    const r = reportFailure(new Error('boom'));
    expect(r.exitCode).toBe(70);
    expect(r.text).toMatch(/^emoc: internal error: Error: boom\n\s+at /);
  });
});

describe('runtime backstops', () => {
  it('refuses randomcrop with a frozen backbone as not runnable, naming the spec (an IR the compiler did not check)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-rt-'));
    const file = path.join(dir, 'bb.emo');
    fs.writeFileSync(
      file,
      'experiment bb {\n  data { source builtin:faces; images 14; input 64x64x3 }\n  backbone expression { tap avgpool }\n  head { fc 7 | softmax }\n}\n',
    );
    const r = compile(file, { validate: true });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const ir = structuredClone(r.experiments[0]!);
    ir.augment.train = [{ kind: 'randomcrop', size: [56, 56] }];
    const empty = { height: 64, width: 64, channels: 3, images: [], labels: [], origins: [] };
    const err = await featureFeed(
      ir,
      { classes: ir.data.classes, train: empty, val: empty, skipped: [], notes: [] },
      { cacheDir: dir, sink: () => {} },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NotRunnableError);
    expect((err as NotRunnableError).where).toBe(file);
    expect((err as NotRunnableError).hint).toMatch(/flip or tencrop/);
  });
});
