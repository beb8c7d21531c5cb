// A run stopped between two batches of an epoch (Ctrl-C or SIGTERM: `emoc run` sets the same flag that
// shouldStop reads) and resumed gives the uninterrupted run's numbers bit for bit, after enough Adam
// steps that the bias-correction powers beta^t, rebuilt from the step count on restore, would differ
// in float32 from the products the updates accumulate (they first do at 2 steps for beta2 = 0.999).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import type { ExperimentIR } from '../compiler/ir.ts';
import { selectBackend } from '../runtime/backend/select.ts';
import { EmocAdamOptimizer } from '../runtime/backend/wasm/adam.ts';
import type { EpochEvent, RunEvent } from '../runtime/events.ts';
import { runExperiment } from '../runtime/run.ts';
import { rand } from './numeric-helpers.ts';

// The queue fault test's network (no bn, no dropout, no augmentation, constant rate), at its size.
const SPEC = `experiment midepoch {
  data { source builtin:faces; images 56; input 32x32x1 }
  model {
    default activation relu
    conv 4 k3 | maxpool 2
    flatten
    fc 9
    fc 7 | softmax
  }
  train { epochs 5; batch 8; seed 11 }
}
`;

// Everything else a batch draws or carries: augmentation, dropout, batch norm's moving statistics, and the
// per-batch rate of a warm-up, with adamw, label smoothing and clipping.
const RECIPES = `experiment midrecipes {
  data { source builtin:faces; images 56; input 32x32x1 }
  augment {
    flip
    rotate 10
    zoom 0.1
    erase 0.5 size=0.2
  }
  model {
    default activation relu
    conv 4 k3 | bn | maxpool 2
    flatten
    fc 9
    dropout 0.3
    fc 7 | softmax
  }
  train {
    epochs 5
    batch 8
    optimizer adamw lr=3e-3 weight-decay=0.05
    schedule cosine warmup=4 min=1e-5
    label-smoothing 0.1
    clip-norm 1
    seed 11
  }
}
`;

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-resume-mid-'));
});

function compileText(text: string): ExperimentIR {
  const file = path.join(tmp, `spec-${Math.random().toString(36).slice(2)}.emo`);
  fs.writeFileSync(file, text);
  const r = compile(file, { validate: true });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.experiments[0];
}

/** Runs the spec; with `stopAfter`, asks to stop once that batch (1-based epoch and batch) is done. */
async function run(
  ir: ExperimentIR,
  extra: Partial<Parameters<typeof runExperiment>[0]> = {},
  stopAfter?: { epoch: number; batch: number },
) {
  const events: RunEvent[] = [];
  const shouldStop = () => {
    const last = events.at(-1);
    return stopAfter !== undefined && last?.type === 'batch' && last.epoch === stopAfter.epoch && last.batch === stopAfter.batch;
  };
  const outcome = await runExperiment({
    ir,
    specText: fs.readFileSync(ir.file, 'utf8'),
    runsDir: path.join(tmp, 'runs'),
    backend: 'wasm',
    threads: 1,
    sink: (e) => events.push(e),
    shouldStop,
    ...extra,
  });
  return { outcome, events };
}

const numbers = (es: EpochEvent[]) => es.map((e) => ({ epoch: e.epoch, train: [e.train.loss, e.train.acc], val: [e.val.loss, e.val.acc] }));

describe('resume from a stop in the middle of an epoch', () => {
  it.each([
    // Both stop 20 steps in (6 batches an epoch: 3 epochs and 2; 11 with the augmented views: 1 and 9).
    ['the queue test network', SPEC, 6, { epoch: 4, batch: 2 }],
    ['augmentation, dropout, bn, adamw with a warm-up, label smoothing and clipping', RECIPES, 11, { epoch: 2, batch: 9 }],
  ])(
    'continues to the uninterrupted numbers exactly: %s',
    async (_, text, batchesPerEpoch, stopAfter) => {
      const ir = compileText(text);
      const reference = await run(ir);
      expect(reference.outcome.status).toBe('finished');
      const start = reference.events.find((e) => e.type === 'start');
      if (start?.type !== 'start') throw new Error('no start event');
      const perEpoch = start.batchesPerEpoch;
      expect(perEpoch).toBe(batchesPerEpoch);
      expect((stopAfter.epoch - 1) * perEpoch + stopAfter.batch).toBe(20);
      const first = await run(ir, {}, stopAfter);
      expect(first.outcome.status).toBe('interrupted');
      const dir = first.outcome.runDir;
      const state = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint', 'state.json'), 'utf8'));
      expect([state.epoch, state.batch]).toEqual([stopAfter.epoch - 1, stopAfter.batch]);

      const resumed = await run(ir, { resume: dir });
      expect(resumed.outcome.status).toBe('finished');
      const lines = fs
        .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as EpochEvent);
      const ref = reference.events.filter((e): e is EpochEvent => e.type === 'epoch');
      expect(numbers(lines)).toEqual(numbers(ref));
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')).val).toEqual(reference.outcome.summary.val);
    },
    120_000,
  );

  it('drops an epoch line written after the last checkpoint (a kill between the two): that epoch runs again, listed once', async () => {
    const ir = compileText(SPEC);
    const reference = await run(ir);
    const first = await run(ir, {}, { epoch: 4, batch: 2 });
    const dir = first.outcome.runDir;
    const metrics = path.join(dir, 'metrics.jsonl');
    // What a worker SIGKILLed after writing epoch 4's line, before its checkpoint, leaves behind.
    const stray = { ...JSON.parse(fs.readFileSync(metrics, 'utf8').trim().split('\n').at(-1)!), epoch: 4 };
    fs.appendFileSync(metrics, `${JSON.stringify(stray)}\n`);
    await run(ir, { resume: dir });
    const lines = fs
      .readFileSync(metrics, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EpochEvent);
    expect(numbers(lines)).toEqual(numbers(reference.events.filter((e): e is EpochEvent => e.type === 'epoch')));
  }, 120_000);
});

describe("Adam's state through a checkpoint", () => {
  it('restores the bias-correction powers the updates accumulated, so later steps match an uninterrupted optimizer', async () => {
    await selectBackend({ prefer: 'wasm', threads: 1 });
    const shape = [6, 5];
    const grad = (step: number) => tf.tensor(rand(30, 500 + step), shape);
    const steps = 40;
    const cut = 25;
    const a = tf.variable(tf.tensor(rand(30, 3), shape), true, `resume_adam_a_${Math.random()}`);
    const b = tf.variable(tf.tensor(rand(30, 3), shape), true, `resume_adam_b_${Math.random()}`);
    const whole = new EmocAdamOptimizer(0.01, 0.9, 0.999, 1e-7);
    const before = new EmocAdamOptimizer(0.01, 0.9, 0.999, 1e-7);
    for (let s = 0; s < steps; s++) tf.tidy(() => whole.applyGradients([{ name: a.name, tensor: grad(s) }]));
    for (let s = 0; s < cut; s++) tf.tidy(() => before.applyGradients([{ name: b.name, tensor: grad(s) }]));
    // What a checkpoint holds (getWeights), read into a fresh optimizer as --resume does.
    const saved = (await before.getWeights()).map((w) => ({ name: w.name.replace(b.name, a.name), tensor: tf.clone(w.tensor) }));
    const after = new EmocAdamOptimizer(0.01, 0.9, 0.999, 1e-7);
    await after.setWeights(saved);
    for (let s = cut; s < steps; s++) tf.tidy(() => after.applyGradients([{ name: b.name, tensor: grad(s) }]));
    const acc = (o: tf.Optimizer) => {
      const x = o as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
      return [x.accBeta1.dataSync()[0], x.accBeta2.dataSync()[0]];
    };
    expect(acc(after)).toEqual(acc(whole));
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b]);
    for (const o of [whole, before, after]) o.dispose();
  });
});
