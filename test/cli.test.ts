// The command line as a user meets it: help everywhere, one-line errors, exit codes, no stack traces.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = path.resolve('bin/emoc.js');
function emoc(args: string[], cwd = process.cwd()) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('emoc CLI', () => {
  it('lists every command in --help', () => {
    const r = emoc(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['check', 'compile', 'explain', 'run', 'predict', 'results', 'report', 'cache', 'fmt', 'lint', 'diff', 'preview'])
      expect(r.out).toContain(c);
  });

  it.each(['check', 'compile', 'explain', 'run', 'predict', 'results', 'report', 'cache', 'fmt', 'lint', 'diff'])(
    '%s --help exits 0 with usage',
    (cmd) => {
      const r = emoc([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: emoc /);
    },
  );

  it('a reader that stops early (emoc run --help | head) ends the output quietly: exit 0, no EPIPE stack', async () => {
    const child = spawn(process.execPath, [bin, 'run', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // closed before emoc writes a byte, as `head` closes it after its lines
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(err).not.toMatch(/EPIPE|at /);
    expect(code).toBe(0);
  });

  it('rejects a bad flag value with exit 2 and no stack trace', () => {
    const r = emoc(['run', 'specs/s1.emo', '--epochs', 'zero']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("option '--epochs <n>' argument 'zero' is invalid");
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('stops before training on a missing data folder, with the path and a hint, leaving no run folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-cli-'));
    fs.writeFileSync(path.join(dir, 'bad.emo'), 'experiment x {\n  data { source "nope/faces" }\n  model { flatten; fc 7 }\n}\n');
    const r = emoc(['run', 'bad.emo', '--runs', 'runs', '--backend', 'cpu'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain("data folder 'nope/faces' does not exist");
    expect(r.err).toContain('hint:');
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(dir, 'runs'))).toBe(false);
  });

  it('explains S1 with the write-up flatten width', () => {
    const r = emoc(['explain', 'specs/s1.emo']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/flatten\s+6400/);
    expect(r.out).toContain('928,071');
  });

  it('compile prints schema-valid JSON and FILE#point selects a sweep point', () => {
    const r = emoc(['compile', 'specs/facenet-grid.emo#l2-h256']);
    expect(r.code).toBe(0);
    const ir = JSON.parse(r.out);
    expect(ir.name).toBe('facenet-grid-l2-h256');
    expect(ir.backbone.taps).toEqual(['l2']);
    const bad = emoc(['compile', 'specs/facenet-grid.emo#l2-h999']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("no experiment or sweep point 'l2-h999'");
  });

  it('a --runs folder that cannot be made is a one-line error with a hint (exit 1), for a run and a sweep', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-runs-'));
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'not a folder');
    const spec = path.join(dir, 'tiny.emo');
    fs.writeFileSync(
      spec,
      'experiment tiny {\n  data { source builtin:faces; images 14; input 16x16x1 }\n  model { flatten; fc $u; fc 7 | softmax }\n  train { epochs 1 }\n  sweep { u in [4] }\n}\n',
    );
    for (const target of [`${spec}#4`, spec]) {
      const r = emoc(['run', target, '--backend', 'cpu', '--no-dashboard', '--runs', path.join(file, 'runs')]);
      expect(r.code).toBe(1);
      expect(r.err).toContain('cannot create the run folder (ENOTDIR)');
      expect(r.err).toContain('hint: give a folder you can write to with --runs DIR');
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it('predict on a folder that is not a run is a one-line error', () => {
    // A folder of its own: the shared temp folder may hold anything other tests left there.
    const r = emoc(['predict', fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-not-a-run-')), 'x.jpg', '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('has no trained model');
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
