// Blocks through the CLI (bin/emoc.js): check points into the block call with the code and hint, compile
// prints residual layers with their shortcut (validated against the schema before printing).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin/emoc.js');
const emoc = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });

describe('emoc with blocks', () => {
  it('check: a misspelt block is one located error with its hint, exit 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-blocks-'));
    const file = path.join(dir, 'bad.emo');
    fs.copyFileSync(path.join(ROOT, 'test/fixtures/blocks/lib.emo'), path.join(dir, 'lib.emo'));
    fs.writeFileSync(
      file,
      'import "lib.emo"\nexperiment e {\n  data { source builtin:faces; input 48x48x1 }\n  model {\n    convbm 8\n    avgpool | fc 7 | softmax\n  }\n}\n',
    );
    const r = emoc('check', file);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain(`${file}:5:5 error E050 unknown block 'convbm'`);
    expect(r.stdout + r.stderr).toContain("did you mean 'convbn'?");
    // Reported once, as a block: not also as an unknown layer.
    expect(r.stdout + r.stderr).not.toContain('E011');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('compile: the fixture with blocks prints residuals with identity and projection shortcuts', () => {
    const r = emoc('compile', 'test/fixtures/fmt/blocks.output.emo');
    expect(r.status).toBe(0);
    const ir = JSON.parse(r.stdout);
    const residuals = ir.layers.filter((l: { kind: string }) => l.kind === 'residual');
    // repeat 2 basic 32, repeat 2 basic 64 stride=2, and two inline residuals.
    expect(residuals.map((l: { shortcut: { kind: string } }) => l.shortcut.kind)).toEqual([
      'identity',
      'identity',
      'projection',
      'projection',
      'identity',
      'identity',
    ]);
    expect(residuals[2]).toMatchObject({ activation: 'relu', shortcut: { filters: 64, stride: [2, 2] }, from: { block: 'basic' } });
  });
});
