// Gradients on the wasm backend (with emoc's training kernels) against the pure-JS cpu backend, for
// every layer kind emoc's language has. Error measure: max |wasm - cpu| / max |cpu| over each output.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../runtime/backend/select.ts';
import { WASM_KERNELS } from '../runtime/backend/wasm/registry.ts';
import { batchNormTraining } from '../runtime/fused-batch-norm.ts';
import { rand, relErr } from './numeric-helpers.ts';

const TOL = 1e-4;

type Inputs = Array<{ shape: number[]; values: Float32Array }>;

function inputs(shapes: number[][], seed = 1): Inputs {
  return shapes.map((shape, i) => ({ shape, values: rand(tf.util.sizeFromShape(shape), seed * 31 + i) }));
}

/** Runs f on the given backend with fresh tensors, returns every output's values. */
function runOn(backend: string, ins: Inputs, f: (...xs: tf.Tensor[]) => tf.Tensor[]): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = ins.map((i) => tf.tensor(i.values, i.shape));
    return f(...xs).map((t) => t.dataSync() as Float32Array);
  });
}

/** Gradients of sum(f(xs) * w) for a fixed random weight w (so every output element matters). */
function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor) {
  return (...xs: tf.Tensor[]): tf.Tensor[] => {
    const probe = f(...xs);
    const w = tf.tensor(rand(probe.size, 99), probe.shape);
    const g = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), w)));
    return [probe, ...g(xs)];
  };
}

function check(ins: Inputs, f: (...xs: tf.Tensor[]) => tf.Tensor[]): void {
  const cpu = runOn('cpu', ins, f);
  const wasm = runOn('wasm', ins, f);
  expect(wasm.length).toBe(cpu.length);
  cpu.forEach((c, i) => {
    const e = relErr(wasm[i]!, c);
    expect(e, `output ${i}`).toBeLessThan(TOL);
  });
}

beforeAll(async () => {
  const info = await selectBackend({ prefer: 'wasm', threads: 1 });
  expect(info.name).toBe('wasm');
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
});

describe('wasm training kernels are registered', () => {
  it("every kernel of the table is registered as emoc's own function, not a stock kernel of the same name", () => {
    expect(WASM_KERNELS.length).toBeGreaterThan(0);
    for (const { name, kernelFunc } of WASM_KERNELS) expect(tf.getKernel(name, 'wasm')?.kernelFunc, name).toBe(kernelFunc);
  });
  it('the kernels the wasm backend lacks for training are in the table', () => {
    const names = WASM_KERNELS.map((k) => k.name);
    for (const k of [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'UnsortedSegmentSum',
    ])
      expect(names).toContain(k);
  });
});

describe('conv2d gradients (Conv2DBackpropFilter, Conv2DBackpropInput)', () => {
  const cases: Array<{ k: number; s: number | [number, number]; pad: 'same' | 'valid'; x: number[]; cout: number }> = [];
  for (const k of [1, 3, 5, 9]) {
    for (const s of [1, 2, 4]) {
      for (const pad of ['same', 'valid'] as const) cases.push({ k, s, pad, x: [2, 13, 11, 3], cout: 4 });
    }
  }
  cases.push({ k: 3, s: [2, 1], pad: 'same', x: [2, 9, 10, 2], cout: 3 });
  cases.push({ k: 5, s: [1, 3], pad: 'valid', x: [1, 12, 17, 5], cout: 2 });
  cases.push({ k: 2, s: 2, pad: 'same', x: [3, 8, 8, 4], cout: 6 });
  cases.push({ k: 4, s: 3, pad: 'valid', x: [2, 16, 15, 1], cout: 1 });
  for (const c of cases) {
    it(`k${c.k} s${String(c.s)} ${c.pad} x=${c.x.join('x')} cout=${c.cout}`, () => {
      const ins = inputs([c.x, [c.k, c.k, c.x[3]!, c.cout], [c.cout]], c.k * 7 + Number(c.s));
      check(
        ins,
        gradsOf((x, w, b) => tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad), b))),
      );
    });
  }
  it('non-square kernel 3x5 stride 2 same', () => {
    const ins = inputs(
      [
        [2, 11, 13, 3],
        [3, 5, 3, 4],
      ],
      5,
    );
    check(
      ins,
      gradsOf((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')),
    );
  });
});

describe('depthwise conv2d gradients', () => {
  for (const [k, s, m, pad] of [
    [3, 1, 1, 'same'],
    [3, 2, 1, 'same'],
    [3, 2, 2, 'valid'],
    [5, 1, 3, 'valid'],
  ] as const) {
    it(`k${k} s${s} multiplier ${m} ${pad}`, () => {
      const ins = inputs(
        [
          [2, 9, 10, 3],
          [k, k, 3, m],
        ],
        k + s + m,
      );
      check(
        ins,
        gradsOf((x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad)),
      );
    });
  }
});

describe('batch normalisation as tfjs-layers trains it (moments + batchNorm)', () => {
  for (const shape of [
    [4, 7, 5, 6],
    [8, 16, 16, 8],
    [5, 12],
  ]) {
    it(`shape ${shape.join('x')}`, () => {
      const c = shape[shape.length - 1]!;
      const axes = shape.map((_, i) => i).slice(0, -1);
      const ins = inputs([shape, [c], [c]], shape.length);
      check(
        ins,
        gradsOf((x, gamma, beta) => {
          const { mean, variance } = tf.moments(x, axes);
          return tf.batchNorm(x, mean, variance, beta, gamma, 1e-3);
        }),
      );
    });
  }
});

describe("emoc's fused batch norm (closed-form gradient) against tfjs' moments + batchNorm", () => {
  for (const shape of [
    [4, 7, 5, 6],
    [8, 16, 16, 8],
    [5, 12],
  ]) {
    it(`shape ${shape.join('x')}, wasm fused vs cpu autodiff`, () => {
      const c = shape[shape.length - 1]!;
      const axes = shape.map((_, i) => i).slice(0, -1);
      const ins = inputs([shape, [c], [c]], shape.length + 7);
      const reference = runOn(
        'cpu',
        ins,
        gradsOf((x, gamma, beta) => {
          const { mean, variance } = tf.moments(x, axes);
          return tf.batchNorm(x, mean, variance, beta, gamma, 1e-3);
        }),
      );
      const fused = runOn(
        'wasm',
        ins,
        gradsOf((x, gamma, beta) => {
          const r = batchNormTraining(x!, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-3);
          tf.dispose([r.mean, r.variance]);
          return r.y;
        }),
      );
      reference.forEach((r, i) => expect(relErr(fused[i]!, r), `output ${i}`).toBeLessThan(TOL));
    });
  }
});

describe('pooling gradients', () => {
  for (const kind of ['max', 'avg'] as const) {
    for (const [size, stride, pad] of [
      [2, 2, 'valid'],
      [2, 2, 'same'],
      [3, 2, 'same'],
      [3, 1, 'valid'],
      [3, 3, 'valid'],
    ] as const) {
      it(`${kind}pool ${size} stride ${stride} ${pad} (odd input)`, () => {
        const ins = inputs([[2, 11, 9, 4]], size * 10 + stride);
        const f = kind === 'max' ? tf.maxPool : tf.avgPool;
        check(
          ins,
          gradsOf((x) => f(x as tf.Tensor4D, size, stride, pad)),
        );
      });
    }
  }
  it('maxpool and avgpool with windows that tile the input (the specialised paths), same and valid', () => {
    for (const f of [tf.maxPool, tf.avgPool]) {
      for (const pad of ['valid', 'same'] as const)
        check(
          inputs([[3, 8, 6, 5]], 7),
          gradsOf((x) => f(x as tf.Tensor4D, 2, 2, pad)),
        );
      check(
        inputs([[2, 9, 10, 3]], 8),
        gradsOf((x) => f(x as tf.Tensor4D, [3, 2], [3, 2], 'valid')),
      );
    }
  });
  it('maxpool 2 stride 2 with ties: the first maximum of a window gets its gradient, as on cpu', () => {
    // Values in {-1, -0.5, 0, 0.5, 1}: most windows hold their maximum twice or more.
    const ins = inputs([[2, 8, 8, 3]], 9).map((i) => ({ ...i, values: i.values.map((v) => Math.round(v * 2) / 2) }));
    check(
      ins,
      gradsOf((x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid')),
    );
  });
  it('global average pool (Mean over H, W)', () => {
    check(
      inputs([[3, 7, 9, 5]]),
      gradsOf((x) => tf.mean(x, [1, 2])),
    );
  });
});

describe('reductions (Sum / Mean kernels)', () => {
  for (const [shape, axis] of [
    [
      [16, 10, 10, 8],
      [0, 1, 2],
    ],
    [[64, 40], [0]],
    [[64, 40], [1]],
    [
      [6, 20, 20, 4],
      [1, 2],
    ],
    [[200, 33], 0],
    [
      [5, 6, 7],
      [0, 2],
    ],
    [[4, 9, 7, 3], [1]],
    [[300, 2], [0]],
  ] as Array<[number[], number | number[]]>) {
    it(`sum and mean of ${shape.join('x')} over ${String(axis)}`, () => {
      const ins = inputs([shape]);
      check(ins, (x) => [tf.sum(x!, axis), tf.mean(x!, axis), tf.sum(x!, axis, true), tf.mean(x!, axis, true)]);
      check(
        ins,
        gradsOf((x) => tf.mean(tf.square(x), axis)),
      );
    });
  }
});

describe('Tile kernel (batch-norm gradient broadcasting)', () => {
  for (const [shape, reps] of [
    [
      [1, 1, 1, 6],
      [3, 5, 4, 1],
    ],
    [
      [2, 3],
      [4, 2],
    ],
    [
      [3, 1, 2],
      [2, 5, 3],
    ],
    [[5], [7]],
  ] as Array<[number[], number[]]>) {
    it(`tile ${shape.join('x')} by ${reps.join('x')}`, () => {
      check(inputs([shape]), (x) => [tf.tile(x!, reps)]);
    });
  }
});

describe('dense, dropout, flatten, activations, l2 normalisation', () => {
  it('dense (MatMul) with bias, flatten', () => {
    const ins = inputs([[4, 3, 3, 2], [18, 7], [7]]);
    check(
      ins,
      gradsOf((x, w, b) => tf.add(tf.matMul(tf.reshape(x, [4, 18]), w as tf.Tensor2D), b)),
    );
  });
  it('matMul with every transpose combination, batched and broadcast', () => {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const a = ta ? [9, 5] : [5, 9];
      const b = tb ? [4, 9] : [9, 4];
      check(inputs([a, b]), (x, y) => [tf.matMul(x!, y!, ta, tb)]);
      check(
        inputs([
          [3, ...a],
          [3, ...b],
        ]),
        (x, y) => [tf.matMul(x!, y!, ta, tb)],
      );
      check(
        inputs([
          [2, 3, ...a],
          [1, 1, ...b],
        ]),
        (x, y) => [tf.matMul(x!, y!, ta, tb)],
      );
      check(
        inputs([a, b]),
        gradsOf((x, y) => tf.matMul(x!, y!, ta, tb)),
      );
    }
  });
  it('dropout with a fixed mask', () => {
    const mask = Float32Array.from(rand(60, 4), (v) => (v > 0 ? 1 : 0));
    check(
      inputs([[6, 10]]),
      gradsOf((x) => tf.div(tf.mul(x, tf.tensor(mask, [6, 10])), 0.5)),
    );
  });
  const acts: Record<string, (x: tf.Tensor) => tf.Tensor> = {
    relu: (x) => tf.relu(x),
    relu6: (x) => tf.relu6(tf.mul(x, 8)),
    elu: (x) => tf.elu(x),
    leakyrelu: (x) => tf.leakyRelu(x, 0.2),
    tanh: (x) => tf.tanh(x),
    sigmoid: (x) => tf.sigmoid(x),
    softmax: (x) => tf.softmax(tf.mul(x, 3)),
    linear: (x) => x,
  };
  for (const [name, f] of Object.entries(acts)) {
    it(`activation ${name}`, () => check(inputs([[5, 3, 4, 7]]), gradsOf(f)));
  }
  it('l2 normalisation', () => {
    check(
      inputs([[6, 9]]),
      gradsOf((x) => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12)))),
    );
  });
  it('softmax cross-entropy loss', () => {
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 3, 6, 2, 2], 'int32'), 7).dataSync() as Float32Array);
    check(inputs([[5, 7]]), (logits) => {
      const g = tf.grads((l: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.tensor(labels, [5, 7]), l));
      return [tf.losses.softmaxCrossEntropy(tf.tensor(labels, [5, 7]), logits!), ...g([logits!])];
    });
  });
});

describe('gather gradient (UnsortedSegmentSum)', () => {
  it('unsortedSegmentSum and the gradient of gather', () => {
    const ids = [2, 0, 2, 1, 4, 2];
    check(inputs([[6, 5]]), (x) => [tf.unsortedSegmentSum(x!, tf.tensor1d(ids, 'int32'), 5)]);
    check(
      inputs([[5, 4]]),
      gradsOf((x) => tf.gather(x, tf.tensor1d(ids, 'int32'))),
    );
  });
});

describe('optimizer updates', () => {
  const make: Record<string, () => tf.Optimizer> = {
    adam: () => tf.train.adam(0.01, 0.9, 0.999, 1e-7),
    'sgd momentum': () => tf.train.momentum(0.05, 0.9, false),
    'sgd nesterov': () => tf.train.momentum(0.05, 0.9, true),
  };
  for (const [name, opt] of Object.entries(make)) {
    it(name, () => {
      const ins = inputs([[4, 6], [4, 6], [4, 6], [6]]);
      const f = (w0: tf.Tensor, g1: tf.Tensor, g2: tf.Tensor, b0: tf.Tensor): tf.Tensor[] => {
        const w = tf.variable(w0);
        const b = tf.variable(b0);
        const o = opt();
        o.applyGradients({ [w.name]: g1, [b.name]: tf.sum(g1, 0) });
        o.applyGradients({ [w.name]: g2, [b.name]: tf.sum(g2, 0) });
        const out = [w.clone(), b.clone()];
        o.dispose();
        w.dispose();
        b.dispose();
        return out;
      };
      check(ins, f);
    });
  }
});
