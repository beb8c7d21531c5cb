// The fused Adam step (runtime/backend/wasm/adam.ts) against tfjs' own Adam: same values and moments
// after several steps, on the wasm backend (where the fused kernel runs) and against the cpu backend;
// the optimizer state a checkpoint stores is that of a standard Adam.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../runtime/backend/select.ts';
import { EmocAdamOptimizer } from '../runtime/backend/wasm/adam.ts';
import { currentSimdKernels } from '../runtime/backend/wasm/simd-kernels.ts';
import { rand, relErr } from './numeric-helpers.ts';

// Sizes with and without a tail of < 4 elements (the kernel's scalar loop), and a scalar.
const SHAPES = [[5, 5, 3, 8], [7], [1], [13, 4]];
const STEPS = 4;

/** Variables after STEPS Adam steps with seeded gradients, then the optimizer's weights, as arrays. */
async function train(
  backend: string,
  make: () => tf.Optimizer,
): Promise<{ values: Float32Array[]; weights: Array<{ name: string; values: Float32Array }> }> {
  await tf.setBackend(backend);
  const vars = SHAPES.map((s, i) =>
    tf.variable(tf.tensor(rand(tf.util.sizeFromShape(s), 40 + i), s), true, `adam_test_${backend}_${i}_${Math.random()}`),
  );
  const opt = make();
  for (let step = 0; step < STEPS; step++) {
    tf.tidy(() => {
      const grads = Object.fromEntries(vars.map((v, i) => [v.name, tf.mul(tf.tensor(rand(v.size, 100 * step + i), v.shape), step + 1)]));
      opt.applyGradients(grads);
    });
  }
  const values = vars.map((v) => v.dataSync() as Float32Array);
  const weights = (await opt.getWeights()).map((w) => ({
    name: w.name.replace(/adam_test_\w+?_(\d+)_[\d.]+/, 'var$1'),
    values: w.tensor.dataSync() as Float32Array,
  }));
  tf.dispose(vars);
  opt.dispose();
  return { values, weights };
}

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', threads: 2 });
});

describe('fused Adam (EmocAdam)', () => {
  it("gives tfjs Adam's values and moments bit for bit on wasm, runs one fused kernel per variable, and matches the cpu backend", async () => {
    const lr = 0.01;
    const pool = currentSimdKernels()!;
    const before = pool.calls.get('adamUpdate') ?? 0;
    const fused = await train('wasm', () => new EmocAdamOptimizer(lr, 0.9, 0.999, 1e-7));
    expect(pool.calls.get('adamUpdate') ?? 0).toBe(before + STEPS * SHAPES.length);
    const stock = await train('wasm', () => tf.train.adam(lr, 0.9, 0.999, 1e-7));
    expect(pool.calls.get('adamUpdate') ?? 0).toBe(before + STEPS * SHAPES.length); // tfjs' Adam: no fused kernel
    fused.values.forEach((v, i) =>
      expect(Buffer.compare(Buffer.from(v.buffer), Buffer.from(stock.values[i]!.buffer)), `variable ${i}`).toBe(0),
    );
    const cpu = await train('cpu', () => tf.train.adam(lr, 0.9, 0.999, 1e-7));
    fused.values.forEach((v, i) => expect(relErr(v, cpu.values[i]!), `variable ${i}`).toBeLessThan(1e-5));
    // The state a checkpoint stores: iterations, then every first moment, then every second one.
    expect(fused.weights.map((w) => w.name)).toEqual(stock.weights.map((w) => w.name));
    expect(fused.weights.map((w) => w.name)).toEqual(['iter', ...SHAPES.map((_, i) => `var${i}/m`), ...SHAPES.map((_, i) => `var${i}/v`)]);
    fused.weights.forEach((w, i) => expect(relErr(w.values, stock.weights[i]!.values), w.name).toBe(0));
  });

  it('falls back to tfjs Adam on the cpu backend (same results as tf.train.adam there)', async () => {
    const a = await train('cpu', () => new EmocAdamOptimizer(0.01, 0.9, 0.999, 1e-7));
    const b = await train('cpu', () => tf.train.adam(0.01, 0.9, 0.999, 1e-7));
    a.values.forEach((v, i) => expect(Buffer.compare(Buffer.from(v.buffer), Buffer.from(b.values[i]!.buffer)), `variable ${i}`).toBe(0));
  });
});

afterAll(async () => {
  await tf.setBackend('cpu');
});
