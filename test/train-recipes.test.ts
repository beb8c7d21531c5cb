// Training recipes (issue 13, item 5): the learning rate per step of a warm-up + cosine and of a
// one-cycle schedule, AdamW's and SGDW's decoupled decay against the update written out by hand,
// label-smoothed cross-entropy against a hand-computed value, and clipping by global norm. The
// optimizers run on wasm (where AdamW's Adam step is the fused kernel) and on cpu.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '../runtime/backend/select.ts';
import { AdamWOptimizer } from '../runtime/optim/adamw.ts';
import { SgdwOptimizer } from '../runtime/optim/sgdw.ts';
import { clipByGlobalNorm, smoothTargets } from '../runtime/optim/recipe.ts';
import { setLearningRate } from '../runtime/optim/make.ts';
import { learningRate } from '../runtime/schedule.ts';
import { TrainStep } from '../runtime/train-step.ts';

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', threads: 2 });
});

describe('learning-rate schedules', () => {
  const at = (epoch: number, batch: number, batchesPerEpoch: number, epochs: number) => ({ epoch, batch, batchesPerEpoch, epochs });

  it('cosine warmup=2 rises per batch over two epochs, then anneals per epoch towards min', () => {
    const s = { kind: 'cosine', minLr: 0.001, warmup: 2 } as const;
    // 5 epochs of 4 batches; warm-up is the first 8 batches: lr * (step + 1) / 8.
    const lr = (e: number, b: number) => learningRate(0.1, s, at(e, b, 4, 5));
    expect(lr(0, 0)).toBeCloseTo(0.0125, 12);
    expect(lr(0, 3)).toBeCloseTo(0.05, 12);
    expect(lr(1, 0)).toBeCloseTo(0.0625, 12);
    expect(lr(1, 3)).toBeCloseTo(0.1, 12);
    // Epochs 2, 3, 4 are the cosine's three epochs: t = 0, 1/3, 2/3 (PyTorch's T_max = 3), the same for
    // every batch: cos(pi/3) = 1/2, cos(2pi/3) = -1/2.
    expect(lr(2, 0)).toBeCloseTo(0.1, 12);
    expect(lr(2, 3)).toBeCloseTo(0.1, 12);
    expect(lr(3, 1)).toBeCloseTo(0.001 + 0.5 * 0.099 * 1.5, 12);
    expect(lr(4, 2)).toBeCloseTo(0.001 + 0.5 * 0.099 * 0.5, 12);
  });

  it("cosine without warm-up is PyTorch's CosineAnnealingLR per epoch: the last epoch still trains", () => {
    const s = { kind: 'cosine', minLr: 0, warmup: 0 } as const;
    // 4 epochs: t = 0, 1/4, 1/2, 3/4; cos(pi/4) = sqrt(1/2), cos(3pi/4) = -sqrt(1/2).
    expect(learningRate(1, s, at(0, 3, 10, 4))).toBeCloseTo(1, 12);
    expect(learningRate(1, s, at(1, 7, 10, 4))).toBeCloseTo(0.5 * (1 + Math.SQRT1_2), 12);
    expect(learningRate(1, s, at(2, 0, 10, 4))).toBeCloseTo(0.5, 12);
    expect(learningRate(1, s, at(3, 0, 10, 4))).toBeCloseTo(0.5 * (1 - Math.SQRT1_2), 12);
    // One epoch: the full rate, not min.
    expect(learningRate(1, s, at(0, 0, 10, 1))).toBeCloseTo(1, 12);
  });

  it('onecycle rises from lr/div to lr over rise of the steps and falls to lr/(div*final-div)', () => {
    const s = { kind: 'onecycle', rise: 0.5, div: 25, finalDiv: 1e4 } as const;
    // 3 epochs of 3 batches: steps 0..8, peak at step 4.
    const lr = (step: number) => learningRate(1, s, at(Math.floor(step / 3), step % 3, 3, 3));
    expect(lr(0)).toBeCloseTo(0.04, 12);
    expect(lr(2)).toBeCloseTo(0.52, 12); // halfway up: (0.04 + 1) / 2
    expect(lr(4)).toBeCloseTo(1, 12);
    expect(lr(6)).toBeCloseTo((1 + 4e-6) / 2, 12);
    expect(lr(8)).toBeCloseTo(4e-6, 12);
  });
});

/** Two variables, a 2x2 kernel and a bias; the loss sum(w*c) + sum(b*d) has gradients c and d. */
function tinyProblem() {
  const w0 = [1, 2, -3, 4];
  const b0 = [0.5, -0.5];
  const c = [1, -2, 0.5, 3];
  const d = [-1, 4];
  const w = tf.variable(tf.tensor2d(w0, [2, 2]), true, `w_${Math.random()}`);
  const b = tf.variable(tf.tensor1d(b0), true, `b_${Math.random()}`);
  const loss = () => tf.add(tf.sum(tf.mul(w, tf.tensor2d(c, [2, 2]))), tf.sum(tf.mul(b, tf.tensor1d(d)))) as tf.Scalar;
  return { w0, b0, c, d, w, b, loss };
}

describe('decoupled weight decay', () => {
  for (const backend of ['wasm', 'cpu']) {
    it(`AdamW on ${backend}: kernels shrink by 1 - lr*wd before the Adam step, biases do not decay`, async () => {
      await tf.setBackend(backend);
      const { w0, b0, c, d, w, b, loss } = tinyProblem();
      const [lr, wd, b1, b2, eps] = [0.1, 0.5, 0.9, 0.999, 1e-7];
      const opt = new AdamWOptimizer(lr, b1, b2, eps, wd);
      // The Adam formula, independently: m, v and bias corrections per step (constant gradient g).
      const adam = (x0: number[], g: number[], decay: boolean, steps: number) => {
        let x = [...x0];
        let m = g.map(() => 0);
        let v = g.map(() => 0);
        for (let t = 1; t <= steps; t++) {
          if (decay) x = x.map((xi) => xi * (1 - lr * wd));
          m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]!);
          v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i]! ** 2);
          x = x.map((xi, i) => xi - (lr * (m[i]! / (1 - b1 ** t))) / (Math.sqrt(v[i]! / (1 - b2 ** t)) + eps));
        }
        return x;
      };
      for (let step = 1; step <= 2; step++) {
        tf.tidy(() => {
          opt.minimize(loss, false, [w, b]);
        });
        const want = { w: adam(w0, c, true, step), b: adam(b0, d, false, step) };
        Array.from(w.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(want.w[i]!, 5));
        Array.from(b.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(want.b[i]!, 5));
      }
      // Two steps by hand for the first kernel entry (|g| = 1, so each Adam step moves it by ~lr):
      // 1 -> 1 * 0.95 - 0.1 = 0.85 -> 0.85 * 0.95 - 0.1 = 0.7075.
      expect(w.dataSync()[0]).toBeCloseTo(0.7075, 5);
      // The state a checkpoint keeps is Adam's: iterations and the two moments per variable.
      expect((await opt.getWeights()).length).toBe(5);
      tf.dispose([w, b]);
      opt.dispose();
    });
  }

  it('SGDW: w <- w * (1 - lr*wd) - lr * (momentum buffer), the decay outside the buffer', async () => {
    await tf.setBackend('cpu');
    const { w0, b0, c, d, w, b, loss } = tinyProblem();
    const [lr, wd, mu] = [0.1, 0.5, 0.9];
    const opt = new SgdwOptimizer(lr, mu, false, wd);
    tf.tidy(() => {
      opt.minimize(loss, false, [w, b]);
    });
    tf.tidy(() => {
      opt.minimize(loss, false, [w, b]);
    });
    // Step 1: buffer g, w1 = 0.95 w0 - 0.1 g; step 2: buffer 1.9 g, w2 = 0.95 w1 - 0.19 g.
    const wantW = w0.map((x, i) => 0.95 * (0.95 * x - 0.1 * c[i]!) - 0.19 * c[i]!);
    const wantB = b0.map((x, i) => x - 0.1 * d[i]! - 0.19 * d[i]!);
    Array.from(w.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(wantW[i]!, 5));
    Array.from(b.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(wantB[i]!, 5));
    tf.dispose([w, b]);
    opt.dispose();
  });

  it('setLearningRate changes the rate tfjs SGD applies (assigning learningRate alone does not)', async () => {
    await tf.setBackend('cpu');
    const v = tf.variable(tf.scalar(1), true, `s_${Math.random()}`);
    const opt = tf.train.sgd(0.1);
    setLearningRate(opt, 0.5);
    tf.tidy(() => {
      opt.minimize(() => tf.mul(v, 2) as tf.Scalar, false, [v]);
    });
    expect(v.dataSync()[0]).toBeCloseTo(1 - 0.5 * 2, 6);
    tf.dispose(v);
    opt.dispose();
  });
});

describe('label smoothing and clipping', () => {
  it('smoothed targets give the hand-computed cross-entropy through TrainStep', async () => {
    await tf.setBackend('cpu');
    // A model whose output is a fixed softmax of logits [2, 0, -1] (a bias only, no kernel to learn
    // from a zero input): p = [0.8437947, 0.1141952, 0.0420101].
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({
          inputShape: [1],
          units: 3,
          activation: 'softmax',
          kernelInitializer: 'zeros',
          biasInitializer: tfl.initializers.constant({ value: 0 }),
        }),
      ],
    });
    model.layers[0]!.setWeights([tf.zeros([1, 3]), tf.tensor1d([2, 0, -1])]);
    const opt = tf.train.sgd(0); // lr 0: the loss is of these weights
    const step = new TrainStep(model, opt, [1, 1, 1], true, [1], { labelSmoothing: 0.3, clipNorm: null });
    const { loss } = step.run(new Float32Array([0]), new Int32Array([0]), 1);
    // Targets with e = 0.3, k = 3: [0.8, 0.1, 0.1]; loss = -(0.8 ln p0 + 0.1 ln p1 + 0.1 ln p2).
    const z = Math.exp(2) + 1 + Math.exp(-1);
    const want = -(0.8 * Math.log(Math.exp(2) / z) + 0.1 * Math.log(1 / z) + 0.1 * Math.log(Math.exp(-1) / z));
    // ln z = 2.169846: 0.8 * 0.169846 + 0.1 * 2.169846 + 0.1 * 3.169846 = 0.669846.
    expect(want).toBeCloseTo(0.669846, 5);
    expect(loss).toBeCloseTo(want, 5);
    step.dispose();
    model.dispose();
  });

  it('smoothTargets moves e of the mass evenly over the classes', () => {
    const t = tf.tidy(() => smoothTargets(tf.oneHot(tf.tensor1d([1], 'int32'), 4) as tf.Tensor2D, 0.2).arraySync());
    expect(t[0]![0]).toBeCloseTo(0.05, 6);
    expect(t[0]![1]).toBeCloseTo(0.85, 6);
  });

  it('clipByGlobalNorm scales all gradients together to the norm, and leaves small ones', () => {
    // Norm of [3, 4] and [12] is 13.
    const [big, small] = tf.tidy(() => {
      const g = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) };
      const c = clipByGlobalNorm(g, 6.5);
      const s = clipByGlobalNorm(g, 100);
      return [
        [...c.a!.dataSync(), ...c.b!.dataSync()],
        [...s.a!.dataSync(), ...s.b!.dataSync()],
      ];
    });
    expect(big[0]).toBeCloseTo(1.5, 5);
    expect(big[1]).toBeCloseTo(2, 5);
    expect(big[2]).toBeCloseTo(6, 5);
    expect(Math.hypot(...big)).toBeCloseTo(6.5, 4);
    expect(small).toEqual([3, 4, 12]);
  });

  it('TrainStep with clip-norm applies the clipped gradient', async () => {
    await tf.setBackend('cpu');
    // One weight, loss = w * x for a fixed x = 10 (via a linear dense layer): gradient 10, clipped to 2.
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [1], units: 2, useBias: false, kernelInitializer: 'zeros' })] });
    const opt = tf.train.sgd(0.1);
    const step = new TrainStep(model, opt, [1, 1], false, [1], { labelSmoothing: 0, clipNorm: 2 });
    step.run(new Float32Array([10]), new Int32Array([0]), 1);
    // Logits [0, 0]: dL/dlogits = softmax - onehot = [-0.5, 0.5]; kernel gradient = 10 * that, norm
    // sqrt(50) = 7.071; clipped to norm 2: [-sqrt(2), sqrt(2)]; SGD step 0.1.
    const k = model.layers[0]!.getWeights()[0]!.dataSync() as Float32Array;
    expect(k[0]).toBeCloseTo(0.1 * Math.SQRT2, 4);
    expect(k[1]).toBeCloseTo(-0.1 * Math.SQRT2, 4);
    step.dispose();
    model.dispose();
  });
});
