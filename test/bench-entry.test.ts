// `npm run bench` starts (its entry is an ES module in a CommonJS bin/ folder: it once stopped starting
// without anything noticing), runs only the sections --only names, and refuses an unknown one.

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './spec-files.ts';

const bench = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin/bench.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

describe('npm run bench', () => {
  it('runs the front-end section alone with --only frontend', () => {
    const r = bench('--only', 'frontend');
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^machine: .*AVX-512 (yes|no)/m);
    expect(r.stdout).toMatch(/## front end\n\d+-line spec: median \d+\.\d ms/);
    expect(r.stdout).not.toMatch(/## S1 training|## Data loading/);
  });

  it('refuses an unknown section in one line with the choices, exit 2', () => {
    const r = bench('--only', 'frontnd');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/unknown section 'frontnd'.*\n {2}hint: choose from frontend, startup/);
  });
});
