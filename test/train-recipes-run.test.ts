// Every training recipe on at once through `emoc run` (bin/emoc.js) on the built-in faces, with the
// lr of each epoch in metrics.jsonl; and an AdamW + cosine warm-up run interrupted during the
// warm-up and resumed, against the same run uninterrupted.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import type { EpochEvent, RunEvent } from '../runtime/events.ts';
import { runExperiment } from '../runtime/run.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'emoc.js');

const SPEC = `experiment recipes {
  data {
    source builtin:faces
    input 32x32x1
    split 0.2
  }
  model {
    default activation relu
    conv 8 k3 s2 | bn | maxpool 2
    flatten
    fc 7 | softmax
  }
  train {
    epochs 5
    batch 8
    optimizer adamw lr=2e-3 weight-decay=0.05
    schedule cosine warmup=1 min=1e-5
    label-smoothing 0.1
    clip-norm 1
    seed 5
  }
}
`;

let tmp: string;
const metrics = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as EpochEvent);

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-recipes-'));
  fs.writeFileSync(path.join(tmp, 'recipes.emo'), SPEC);
});

describe('training recipes in a run', () => {
  it('emoc run with adamw, cosine warm-up, label smoothing and clip-norm finishes and records the lr per epoch', () => {
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'run',
        'recipes.emo',
        '--images',
        '70',
        '--epochs',
        '2',
        '--backend',
        'wasm',
        '--threads',
        '1',
        '--no-dashboard',
        '--runs',
        'runs',
      ],
      {
        cwd: tmp,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const parent = path.join(tmp, 'runs', 'recipes');
    const [dir] = fs.readdirSync(parent).map((d) => path.join(parent, d));
    const lines = metrics(dir!);
    expect(lines.map((e) => e.epoch)).toEqual([1, 2]);
    // Epoch 1 is the warm-up, whose last batch reaches lr; epoch 2 is the cosine's only epoch: t = 0, full lr.
    expect(lines.map((e) => e.lr)).toEqual([2e-3, 2e-3]);
    for (const e of lines) expect(Number.isFinite(e.train.loss) && Number.isFinite(e.val.loss)).toBe(true);
    const ir = JSON.parse(fs.readFileSync(path.join(dir!, 'ir.json'), 'utf8'));
    expect(ir.train).toMatchObject({
      labelSmoothing: 0.1,
      clipNorm: 1,
      optimizer: { kind: 'adamw', weightDecay: 0.05 },
      schedule: { kind: 'cosine', warmup: 1 },
    });
  });

  it('an AdamW + warm-up run interrupted during the warm-up and resumed equals the uninterrupted run', async () => {
    const file = path.join(tmp, 'resume.emo');
    fs.writeFileSync(
      file,
      SPEC.replace('epochs 5', 'epochs 3')
        .replace('warmup=1', 'warmup=2')
        .replace('source builtin:faces', 'source builtin:faces\n    images 70'),
    );
    const compiled = compile(file, { validate: true });
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const ir = compiled.experiments[0]!;
    const run = async (extra: Partial<Parameters<typeof runExperiment>[0]> = {}) => {
      const events: RunEvent[] = [];
      const outcome = await runExperiment({
        ir,
        specText: SPEC,
        runsDir: path.join(tmp, 'resume-runs'),
        backend: 'wasm',
        threads: 1,
        sink: (e) => events.push(e),
        shouldStop: () => false,
        ...extra,
      });
      return { outcome, events };
    };
    const reference = await run();
    expect(reference.outcome.status).toBe('finished');
    let batches = 0;
    // 56 training images in batches of 8: 7 a epoch; stop after batch 3 of epoch 2, inside the warm-up.
    const first = await run({ shouldStop: () => ++batches >= 10 });
    expect(first.outcome.status).toBe('interrupted');
    const resumed = await run({ resume: first.outcome.runDir });
    expect(resumed.outcome.status).toBe('finished');
    const pick = (es: EpochEvent[]) => es.map((e) => [e.epoch, e.lr, e.train.loss, e.val.loss, e.val.acc]);
    const want = pick(metrics(reference.outcome.runDir));
    expect(pick(metrics(first.outcome.runDir))).toEqual(want);
    // The warm-up's per-batch rates: epoch 1 ends at 7/14 of lr, epoch 2 at lr, then the cosine's only epoch (t = 0).
    expect(want.map((e) => e[1])).toEqual([(2e-3 * 7) / 14, 2e-3, 2e-3]);
  });
});
