// Data folders assembled from symbolic links (issue 12): linked splits, class folders and image files
// load like the real folders, the run log names the links followed, and link loops are DataErrors.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataIR, DataSource } from '../compiler/ir.ts';
import { loadData } from '../runtime/data/load.ts';
import { countPerClass } from '../runtime/data/sets.ts';
import { DataError } from '../runtime/data/types.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const sample = resolve(repo, '../shared/data/fer2013-sample');
const CLASSES = ['angry', 'happy', 'sad'];
let dir: string;

function data(source: DataSource, classes = CLASSES): DataIR {
  return { source, classes, input: [48, 48, 1], valSplit: 0.25, preprocess: 'fixed', test: null };
}
const folder = (path: string) => data({ kind: 'folder', path });
const load = (path: string) => loadData(folder(path), { baseDir: dir, seed: 1, limitPerClass: 3 });

async function dataError(p: Promise<unknown>): Promise<DataError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  return err as DataError;
}

beforeAll(() => {
  if (!existsSync(sample)) throw new Error(`the tests need ${sample}`);
  dir = mkdtempSync(join(tmpdir(), 'emoc-links-'));
  // splits/: train/ is a link to the sample's train/; val/ is a real folder of class-folder links.
  mkdirSync(join(dir, 'splits/val'), { recursive: true });
  symlinkSync(join(sample, 'train'), join(dir, 'splits/train'));
  for (const c of CLASSES) symlinkSync(join(sample, 'val', c), join(dir, 'splits/val', c));
  // files/: real class folders whose images are links (relative ones, as `ln -s ../..` makes), plus one
  // link to nothing.
  for (const c of CLASSES) {
    mkdirSync(join(dir, 'files', c), { recursive: true });
    for (const f of readdirSync(join(sample, 'train', c)).slice(0, 3))
      symlinkSync(relative(join(dir, 'files', c), join(sample, 'train', c, f)), join(dir, 'files', c, f));
  }
  symlinkSync(join(dir, 'nowhere.jpg'), join(dir, 'files/happy/zz-missing.jpg'));
  // whole/: the data folder itself is a link.
  symlinkSync(join(dir, 'splits'), join(dir, 'whole'));
  // Loops: a class folder linked to its parent, a link to itself, and two links pointing at each other.
  mkdirSync(join(dir, 'parent/train'), { recursive: true });
  symlinkSync(join(sample, 'train/angry'), join(dir, 'parent/train/angry'));
  symlinkSync('..', join(dir, 'parent/train/happy'));
  mkdirSync(join(dir, 'self'));
  symlinkSync('happy', join(dir, 'self/happy'));
  mkdirSync(join(dir, 'pair'));
  symlinkSync('sad', join(dir, 'pair/happy'));
  symlinkSync('happy', join(dir, 'pair/sad'));
  symlinkSync('looproot', join(dir, 'looproot'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('symbolic links in data folders', () => {
  it('follows a linked train/ split and linked class folders, and names them in the notes', async () => {
    const d = await load('splits');
    expect(countPerClass(d.train, 3)).toEqual([3, 3, 3]);
    expect(countPerClass(d.val, 3)).toEqual([3, 3, 3]);
    expect(d.skipped).toEqual([]);
    expect(d.train.origins[0]).toMatch(/^splits\/train\/angry\/.*\.jpg$/);
    expect(d.notes).toContain(`followed link 'splits/train' -> '${join(sample, 'train')}'`);
    expect(d.notes).toContain(`followed link 'splits/val/happy' -> '${join(sample, 'val/happy')}'`);
  });

  it('decodes linked images to the same pixels as the files they point to', async () => {
    const linked = await load('splits');
    const real = await loadData(folder(sample), { baseDir: dir, seed: 1, limitPerClass: 3 });
    expect(linked.train.images.map((i) => [...i])).toEqual(real.train.images.map((i) => [...i]));
    expect(linked.train.labels).toEqual(real.train.labels);
  });

  it('follows linked image files, notes them once per folder, and leaves out a link to nothing', async () => {
    const d = await load('files');
    expect(countPerClass(d.train, 3).reduce((a, b) => a + b) + countPerClass(d.val, 3).reduce((a, b) => a + b)).toBe(9);
    const first = readdirSync(join(sample, 'train/angry'))[0];
    expect(d.notes).toContain(
      `followed file links in 'files/angry' (3 linked files; first '${first}' -> '${join(sample, 'train/angry', first)}')`,
    );
    expect(d.notes).toContain(`link 'files/happy/zz-missing.jpg' points to '${join(dir, 'nowhere.jpg')}', which does not exist: left out`);
    expect(d.skipped).toEqual([]);
  });

  it('notes a data folder that is itself a link', async () => {
    const d = await load('whole');
    expect(d.notes).toContain(`followed link 'whole' -> '${join(dir, 'splits')}'`);
    expect(countPerClass(d.train, 3)).toEqual([3, 3, 3]);
  });

  it('refuses a class folder linked to a folder that contains it, naming the link', async () => {
    const err = await dataError(load('parent'));
    expect(err.message).toBe(
      `'parent/train/happy' is a symbolic link loop: it points to '${join(dir, 'parent')}', a folder that contains the link`,
    );
    expect(err.where).toBe(join(dir, 'parent/train/happy'));
  });

  it('refuses links that resolve to themselves, directly or through another link', async () => {
    const self = await dataError(load('self'));
    expect(self.message).toBe(`'self/happy' is a symbolic link loop: it leads back to itself`);
    expect(self.where).toBe(join(dir, 'self/happy'));
    const pair = await dataError(load('pair'));
    expect(pair.message).toMatch(/^'pair\/(happy|sad)' is a symbolic link loop/);
    const root = await dataError(load('looproot'));
    expect(root.message).toBe(`'looproot' is a symbolic link loop: it leads back to itself`);
    expect(root.hint).toMatch(/ls -l/);
  });
});

describe('a link loop through the CLI', () => {
  it('`emoc run` stops with one located line and a hint, exit 1, no stack trace, no run folder', () => {
    writeFileSync(
      join(dir, 'loop.emo'),
      `experiment loop {
  data {
    source folder "self"
    input 48x48x1
  }
  model {
    flatten
    fc 7 | softmax
  }
  train {
    epochs 1
    batch 8
    optimizer sgd lr=0.1
  }
}
`,
    );
    const r = spawnSync(
      process.execPath,
      [join(repo, 'bin/emoc.js'), 'run', 'loop.emo', '--backend', 'cpu', '--no-dashboard', '--runs', 'runs'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      `emoc: ${join(dir, 'self/happy')}: 'self/happy' is a symbolic link loop: it leads back to itself`,
      expect.stringMatching(/^ {2}hint: point the link at/),
    ]);
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });
});
