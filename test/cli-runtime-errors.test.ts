// Runtime failures a user can cause, through `bin/emoc.js` as a user meets them: each ends in exit 1 with
// one `emoc: <where>: <message>` line and a `  hint:` line, never a stack trace, and never costs a finished
// run its artifacts.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const bin = path.resolve('bin/emoc.js');
const sampleImage = (() => {
  const dir = path.resolve('../shared/data/fer2013-sample/val/happy');
  return path.join(
    dir,
    fs.readdirSync(dir).find((f) => f.endsWith('.jpg'))!,
  );
})();

// A model small enough that one epoch on 28 built-in faces takes about a second on the cpu backend.
const spec = (name: string, model: string, lr: string) => `experiment ${name} {
  data {
    source builtin:faces
    images 28
    input 16x16x1
    split 0.25
  }
  model {
    flatten
    ${model}
  }
  train {
    epochs 1
    batch 8
    optimizer sgd lr=${lr}
    seed 7
  }
}
`;

let tmp: string;
let finished: string;

function emoc(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The failure as the user reads it: exactly one `emoc:` line, a hint on the next line, no stack frames. */
function failure(err: string): { line: string; hint: string } {
  const lines = err.split('\n');
  const at = lines.findIndex((l) => l.startsWith('emoc: '));
  expect(at, err).toBeGreaterThanOrEqual(0);
  expect(
    lines.filter((l) => l.startsWith('emoc: ')),
    err,
  ).toHaveLength(1);
  expect(lines[at + 1], err).toMatch(/^ {2}hint: \S/);
  expect(err).not.toContain('    at ');
  expect(err).not.toContain('internal error');
  return { line: lines[at]!, hint: lines[at + 1]! };
}

const snapshot = (dir: string) =>
  Object.fromEntries(
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const file = path.join(e.parentPath, e.name);
        return [path.relative(dir, file), fs.readFileSync(file, 'base64')];
      }),
  );

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-rt-errors-'));
  fs.writeFileSync(path.join(tmp, 'tiny.emo'), spec('tiny', 'fc 7 | softmax', '0.01'));
  const r = emoc(['run', 'tiny.emo', '--runs', 'runs', '--backend', 'cpu', '--no-dashboard']);
  expect(r.code, r.err).toBe(0);
  const runs = fs.readdirSync(path.join(tmp, 'runs', 'tiny'));
  expect(runs).toHaveLength(1);
  finished = path.join('runs', 'tiny', runs[0]!);
}, 120_000);

describe('emoc run --resume', () => {
  it('refuses a run folder without a checkpoint, naming the folder', () => {
    const dir = path.join('runs', 'tiny', 'no-checkpoint');
    fs.mkdirSync(path.join(tmp, dir), { recursive: true });
    for (const f of ['ir.json', 'spec.emo']) fs.copyFileSync(path.join(tmp, finished, f), path.join(tmp, dir, f));
    const r = emoc(['run', '--resume', dir, '--backend', 'cpu', '--no-dashboard']);
    expect(r.code).toBe(1);
    const { line, hint } = failure(r.err);
    expect(line).toBe(`emoc: ${dir}: has no checkpoint: only an interrupted run (Ctrl-C, q) can be resumed`);
    expect(hint).toContain('emoc run');
    expect(fs.readdirSync(path.join(tmp, dir)).sort()).toEqual(['ir.json', 'spec.emo']);
  });

  it('refuses a damaged checkpoint as a resume error, not a crash', () => {
    const dir = path.join('runs', 'tiny', 'damaged');
    fs.mkdirSync(path.join(tmp, dir, 'checkpoint'), { recursive: true });
    for (const f of ['ir.json', 'spec.emo']) fs.copyFileSync(path.join(tmp, finished, f), path.join(tmp, dir, f));
    fs.writeFileSync(path.join(tmp, dir, 'checkpoint', 'state.json'), '{"epoch": 1, "bat');
    const r = emoc(['run', '--resume', dir, '--backend', 'cpu', '--no-dashboard']);
    expect(r.code).toBe(1);
    const { line, hint } = failure(r.err);
    expect(line).toMatch(new RegExp(`^emoc: ${dir}: checkpoint/state\\.json cannot be read \\(`));
    expect(hint).toContain('damaged');
    // The checkpoint stays for a second look; nothing of it is deleted by the failed attempt.
    expect(fs.readFileSync(path.join(tmp, dir, 'checkpoint', 'state.json'), 'utf8')).toBe('{"epoch": 1, "bat');
  });

  it('refuses a finished run and leaves every file of it as it was', () => {
    const before = snapshot(path.join(tmp, finished));
    expect(JSON.parse(before['summary.json'] ? Buffer.from(before['summary.json'], 'base64').toString() : '{}').status).toBe('finished');
    const r = emoc(['run', '--resume', finished, '--backend', 'cpu', '--no-dashboard']);
    expect(r.code).toBe(1);
    const { line, hint } = failure(r.err);
    expect(line).toBe(`emoc: ${finished}: this run already finished; there is nothing to resume`);
    expect(hint).toContain('emoc run');
    expect(snapshot(path.join(tmp, finished))).toEqual(before);
  });
});

describe('emoc run', () => {
  it('stops a diverging run with the spec, the batch and a lower learning rate to try', () => {
    // Raw scores (no softmax) and an absurd step size: the weights overflow float32 within two batches.
    fs.writeFileSync(path.join(tmp, 'diverge.emo'), spec('diverge', 'fc 7', '1e38'));
    const r = emoc(['run', 'diverge.emo', '--runs', 'runs', '--backend', 'cpu', '--no-dashboard']);
    expect(r.code).toBe(1);
    const { line, hint } = failure(r.err);
    expect(line).toMatch(/^emoc: \S*diverge\.emo: the training loss became (NaN|-?Infinity) at epoch 1, batch \d+$/);
    expect(hint).toBe('  hint: lower the learning rate (now sgd lr=1e+38), e.g. to lr=1e+37');
    const [runId] = fs.readdirSync(path.join(tmp, 'runs', 'diverge'));
    const summary = JSON.parse(fs.readFileSync(path.join(tmp, 'runs', 'diverge', runId!, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('failed');
    expect(summary.message).toMatch(/training loss became/);
  }, 60_000);

  it('keeps a sweep point that finished when a later point diverges, and says why the other failed', () => {
    fs.writeFileSync(
      path.join(tmp, 'sweep.emo'),
      spec('sw', 'fc 7', '$lr').replace('  }\n}\n', '  }\n  sweep {\n    lr in [0.01, 1e38]\n    name "lr{lr}"\n  }\n}\n'),
    );
    const r = emoc(['run', 'sweep.emo', '--runs', 'runs', '--backend', 'cpu', '--no-dashboard']);
    expect(r.code).toBe(1);
    const log = r.out + r.err;
    expect(log).not.toContain('    at ');
    expect(log).toMatch(
      /point lr1e\+38 failed: \S*sweep\.emo: the training loss became \S+ at epoch 1, batch \d+ \(hint: lower the learning rate/,
    );
    const [sweepId] = fs.readdirSync(path.join(tmp, 'runs', 'sw'));
    const sweepDir = path.join(tmp, 'runs', 'sw', sweepId!);
    const rows = JSON.parse(fs.readFileSync(path.join(sweepDir, 'results.json'), 'utf8')) as { point: string; status: string }[];
    expect(rows.map((x) => [x.point, x.status])).toEqual([
      ['lr0.01', 'finished'],
      ['lr1e+38', 'failed'],
    ]);
    expect(fs.existsSync(path.join(sweepDir, 'lr0.01', 'model', 'model.json'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(sweepDir, 'lr0.01', 'summary.json'), 'utf8')).status).toBe('finished');
  }, 60_000);

  it('names the missing package when a backend is forced that is not installed', () => {
    // @tensorflow/tfjs-node is not among emoc's dependencies, so forcing it must fail cleanly.
    const r = emoc(['run', 'tiny.emo', '--runs', 'runs-tf', '--backend', 'tensorflow', '--no-dashboard']);
    expect(r.code).toBe(1);
    const { line, hint } = failure(r.err);
    expect(line).toContain('@tensorflow/tfjs-node');
    expect(hint).toContain('npm install @tensorflow/tfjs-node');
    expect(fs.existsSync(path.join(tmp, 'runs-tf'))).toBe(false);
  }, 60_000);
});

describe('emoc predict', () => {
  it('refuses a folder with a model but no ir.json as not a run folder', () => {
    const dir = 'model-only';
    fs.cpSync(path.join(tmp, finished, 'model'), path.join(tmp, dir, 'model'), { recursive: true });
    const r = emoc(['predict', dir, sampleImage, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    const { line } = failure(r.err);
    expect(line).toBe(`emoc: ${dir}: not a run folder (no ir.json)`);
  });

  it('reports a file that is not an image on one line and still classifies the real image', () => {
    fs.writeFileSync(path.join(tmp, 'notes.txt'), 'not an image\n');
    const r = emoc(['predict', finished, 'notes.txt', sampleImage, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    const { line, hint } = failure(r.err);
    expect(line).toMatch(/^emoc: notes\.txt: cannot read: \S/);
    expect(hint).toContain('image');
    expect(r.out).toMatch(
      new RegExp(`^${sampleImage.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: (angry|disgust|fear|happy|neutral|sad|surprise) \\(`, 'm'),
    );
  });
});

describe('emoc report', () => {
  it('names a missing folder', () => {
    const r = emoc(['report', 'runs/nope']);
    expect(r.code).toBe(1);
    expect(failure(r.err).line).toBe('emoc: runs/nope: no such folder');
  });

  it('names the file that makes a folder a run folder when it is missing', () => {
    fs.mkdirSync(path.join(tmp, 'plain'), { recursive: true });
    const r = emoc(['report', 'plain']);
    expect(r.code).toBe(1);
    expect(failure(r.err).line).toBe('emoc: plain: not a run or sweep folder (no summary.json)');
  });
});
