// emoc's own wasm SIMD kernels (runtime/backend/wasm): the committed binaries match their source,
// the modules touch nothing of the backend's memory but the tensors they are given, and every kernel
// gives the cpu backend's results through the threaded build (shared memory, a worker thread) and the
// single-threaded build (plain memory, main thread only).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../runtime/backend/select.ts';
import {
  currentSimdKernels,
  enableRelaxedSimd,
  kernelsUseFma,
  POOL_SPIN_MS,
  type SimdKernelName,
} from '../runtime/backend/wasm/simd-kernels.ts';
import { batchNormTraining } from '../runtime/fused-batch-norm.ts';
import { buildWasmKernels, KERNELS_DIR } from '../scripts/build-wasm-kernels.ts';
import { rand, relErr } from './numeric-helpers.ts';
import { engineHasRelaxedSimd } from './wasm-relaxed-probe.ts';

const TOL = 1e-4;

/** Outputs of f on a backend, from fresh tensors of the given shapes (seeded values). */
function runOn(backend: string, shapes: number[][], seed: number, f: (...xs: tf.Tensor[]) => tf.Tensor[]): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() =>
    f(...shapes.map((s, i) => tf.tensor(rand(tf.util.sizeFromShape(s), seed + i), s))).map((t) => t.dataSync() as Float32Array),
  );
}

/** f and its gradients (of sum(f * w), w fixed) on wasm match cpu, and `kernels` ran on the pool. */
function checkAgainstCpu(shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor, kernels: SimdKernelName[], seed = 3): void {
  const withGrads = (...xs: tf.Tensor[]): tf.Tensor[] => {
    const probe = f(...xs);
    const w = tf.tensor(rand(probe.size, 99), probe.shape);
    return [probe, ...tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), w)))(xs)];
  };
  const pool = currentSimdKernels()!;
  const before = kernels.map((k) => pool.calls.get(k) ?? 0);
  const wasm = runOn('wasm', shapes, seed, withGrads);
  kernels.forEach((k, i) => expect(pool.calls.get(k) ?? 0, `${k} ran`).toBeGreaterThan(before[i]!));
  const cpu = runOn('cpu', shapes, seed, withGrads);
  cpu.forEach((c, i) => expect(relErr(wasm[i]!, c), `output ${i}`).toBeLessThan(TOL));
  tf.setBackend('wasm');
}

/** Outputs of one training-like computation per kernel build and thread count (see the check). */
const byThreads = new Map<string, Float32Array[]>();
const smallMapsByThreads = new Map<string, Float32Array[]>();

function kernelChecks(): void {
  it('conv and batch-norm gradients are bit-identical whatever the thread count (fixed chunks, fixed order)', () => {
    const shapes = [[6, 24, 24, 8], [5, 5, 8, 16], [16], [16]];
    const out = runOn('wasm', shapes, 17, (x, w, g, b) => {
      const f = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor) => {
        const r = batchNormTraining(tf.conv2d(a as tf.Tensor4D, c as tf.Tensor4D, 2, 'same'), d as tf.Tensor1D, e as tf.Tensor1D, 1e-3);
        tf.dispose([r.mean, r.variance]);
        return tf.sum(tf.square(r.y));
      };
      return tf.grads(f)([x!, w!, g!, b!]);
    });
    const build = kernelsUseFma ? 'fma' : 'plain';
    const threads = currentSimdKernels()!.threads;
    byThreads.set(`${build} ${threads}`, out);
    const other = [...byThreads.entries()].find(([k]) => k.startsWith(`${build} `) && k !== `${build} ${threads}`)?.[1];
    if (other) out.forEach((o, i) => expect(Buffer.compare(Buffer.from(o.buffer), Buffer.from(other[i]!.buffer)), `output ${i}`).toBe(0));
  });
  it('conv gradients on small maps with many channels are bit-identical whatever the thread count (FER-sized ResNet stages)', () => {
    // 3x3 and 6x6 maps: the filter gradient as one matrix product (im2colT) and, with 20 channels, split
    // over channel slices; the stride-1 input gradient on the forward kernel, the stride-2 one on
    // convInputGrad; a 48x48 map (4,608 pixels) takes the filter gradient in chunks.
    const shapes = [
      [8, 6, 6, 16],
      [3, 3, 16, 32],
      [3, 3, 32, 20],
      [2, 48, 48, 4],
      [3, 3, 4, 8],
    ];
    const out = runOn('wasm', shapes, 23, (x, w1, w2, x2, w3) => {
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor) => {
        const h = tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'));
        const big = tf.conv2d(d as tf.Tensor4D, e as tf.Tensor4D, 1, 'same');
        return tf.add(tf.sum(tf.square(tf.conv2d(h, c as tf.Tensor4D, 1, 'same'))), tf.sum(tf.square(big)));
      };
      return tf.grads(f)([x!, w1!, w2!, x2!, w3!]);
    });
    const key = `${kernelsUseFma ? 'fma' : 'plain'} ${currentSimdKernels()!.threads}`;
    smallMapsByThreads.set(key, out);
    const other = [...smallMapsByThreads.entries()].find(([k]) => k.split(' ')[0] === key.split(' ')[0] && k !== key)?.[1];
    if (other) out.forEach((o, i) => expect(Buffer.compare(Buffer.from(o.buffer), Buffer.from(other[i]!.buffer)), `output ${i}`).toBe(0));
  });
  it('conv gradients on small maps with many channels: filter gradient as a matrix product or over channel slices (with a tail of 4), input gradient as forward convolutions (stride 1, and per phase when strided)', () => {
    // [input, kernel, stride, padding, output channels, the kernels that must run]
    for (const [x, k, s, pad, cout, kernels] of [
      [[5, 3, 3, 32], 3, 1, 'same', 48, ['im2colT', 'packFlipped8', 'convForward']],
      [[4, 6, 6, 16], 3, 2, 'same', 20, ['convFilterGrad', 'convInputGrad']],
      [[3, 7, 5, 8], 3, 1, 'valid', 8, ['im2colT', 'packFlipped8']],
      [[2, 4, 4, 16], 1, 1, 'same', 8, ['im2colT', 'packFlipped8']],
      [[2, 5, 6, 8], 5, 1, 'same', 12, ['convFilterGrad', 'packFlipped8']],
      [[2, 48, 48, 4], 3, 1, 'same', 8, ['convFilterGrad', 'convInputGrad']], // 4,608 pixels: chunks
      // Strided input gradients, one forward convolution per output phase: k5 s2 (phases of 3 and 2
      // taps), 1x1 s2 on an odd size (three phases of zeros), k2 s2 valid (a row and column no window reads).
      [[3, 12, 12, 16], 5, 2, 'same', 64, ['scatterPhase', 'packFlipped8']],
      [[2, 7, 7, 8], 1, 2, 'same', 8, ['scatterPhase']],
      [[2, 13, 13, 8], 2, 2, 'valid', 256, ['scatterPhase']],
    ] as const) {
      checkAgainstCpu([[...x], [k, k, x[3], cout]], (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, s, pad), [...kernels]);
    }
  });
  it('conv gradients: S1-like k5 s2 same, k3 s1 valid, k9 s4 same, odd sizes', () => {
    for (const [x, k, s, pad] of [
      [[3, 17, 15, 8], 5, 2, 'same'],
      [[2, 9, 11, 4], 3, 1, 'valid'],
      [[2, 19, 21, 4], 9, 4, 'same'],
    ] as const) {
      checkAgainstCpu([[...x], [k, k, x[3], 8]], (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, s, pad), [
        'im2colT',
        'convInputGrad',
      ]);
    }
  });
  it('conv gradients when KW*Cin is not a multiple of 4 (rows padded to SIMD blocks): 3 channels (the first layer), 1 channel', () => {
    checkAgainstCpu(
      [
        [4, 21, 20, 3],
        [5, 5, 3, 12],
      ],
      (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
      ['convFilterGrad', 'convInputGrad'],
    );
    checkAgainstCpu(
      [
        [3, 13, 11, 1],
        [5, 5, 1, 4],
      ],
      (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
      ['convFilterGrad', 'convInputGrad'],
    );
  });
  it('maxpool 2x2 stride 2 gradient, even and odd sizes, with ties', () => {
    for (const shape of [
      [3, 8, 10, 8],
      [2, 9, 7, 4],
    ]) {
      checkAgainstCpu([shape], (a) => tf.maxPool(tf.round(tf.mul(a, 2)) as tf.Tensor4D, 2, 2, 'valid'), ['maxPool2x2', 'maxPoolGrad2x2']);
    }
  });
  it('maxpool 2x2 stride 2 forward gives exactly what the cpu backend gives, NaN and -Infinity included; other windows go to the stock kernel', () => {
    const pool = currentSimdKernels()!;
    // 3x5 pixels of 4 channels: the odd last row and column are outside every window.
    const values = Array.from(rand(2 * 3 * 5 * 4, 11), (v, i) => (i % 7 === 0 ? NaN : i % 11 === 0 ? -Infinity : Math.round(v * 3)));
    values.fill(NaN, 0, 4 * 2); // a whole window of NaN in the first two pixels of the first row ...
    values.fill(NaN, 4 * 5, 4 * 7); // ... and the two below them: -Infinity, as on cpu
    const out = (backend: string, size: number, stride: number, pad: 'valid' | 'same', v = values) => {
      tf.setBackend(backend);
      return tf.tidy(() => tf.maxPool(tf.tensor4d(v, [2, 3, 5, 4]), size, stride, pad).dataSync() as Float32Array);
    };
    const before = pool.calls.get('maxPool2x2') ?? 0;
    const wasm = out('wasm', 2, 2, 'valid');
    expect(pool.calls.get('maxPool2x2') ?? 0).toBe(before + 1);
    expect(wasm[0]).toBe(-Infinity);
    expect(Array.from(wasm)).toEqual(Array.from(out('cpu', 2, 2, 'valid')));
    // (The stock kernel is XNNPACK's, whose NaN rules are its own: compared on finite values.)
    const finite = values.map((v) => (Number.isNaN(v) ? 0.5 : v));
    const other = (backend: string) => [out(backend, 3, 2, 'same', finite), out(backend, 2, 1, 'valid', finite)].map((a) => Array.from(a));
    const stock = other('wasm');
    expect(pool.calls.get('maxPool2x2') ?? 0).toBe(before + 1);
    expect(stock).toEqual(other('cpu'));
    tf.setBackend('wasm');
  });
  it('depthwise convolutions (depthwiseForward): kernel sizes, strides, paddings, bias and relu/relu6/linear, 16-channel blocks and a tail of 4', () => {
    const pool = currentSimdKernels()!;
    const cases: Array<[number[], number, number | [number, number], 'same' | 'valid', 'linear' | 'relu' | 'relu6', boolean]> = [
      [[2, 9, 11, 4], 3, 1, 'same', 'relu6', true],
      [[2, 10, 9, 20], 3, 2, 'same', 'relu', true],
      [[3, 7, 8, 32], 5, [2, 1], 'valid', 'linear', false],
      [[1, 6, 6, 16], 1, 1, 'valid', 'linear', true],
      // A window wider than the input: taps clipped on both sides.
      [[1, 2, 1, 8], 3, 1, 'same', 'relu', true],
    ];
    for (const [xs, k, stride, pad, activation, withBias] of cases) {
      const before = pool.calls.get('depthwiseForward') ?? 0;
      const what = `k${k} s${String(stride)} ${pad} ${activation} C=${xs[3]}`;
      const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => [
        tf.fused.depthwiseConv2d({
          x: tf.mul(x, 4) as tf.Tensor4D,
          filter: w as tf.Tensor4D,
          strides: stride,
          pad,
          bias: withBias ? b : undefined,
          activation,
        }),
      ];
      const shapes = [xs, [k, k, xs[3]!, 1], [xs[3]!]];
      const wasm = runOn('wasm', shapes, 5, f as never);
      expect(pool.calls.get('depthwiseForward') ?? 0, what).toBe(before + 1);
      expect(relErr(wasm[0]!, runOn('cpu', shapes, 5, f as never)[0]!), what).toBeLessThan(TOL);
    }
    // A channel multiplier of 2 is the stock kernel's.
    const before = pool.calls.get('depthwiseForward') ?? 0;
    const twice = (x: tf.Tensor, w: tf.Tensor) => [tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')];
    const stock = runOn(
      'wasm',
      [
        [1, 5, 5, 4],
        [3, 3, 4, 2],
      ],
      9,
      twice as never,
    );
    expect(pool.calls.get('depthwiseForward') ?? 0).toBe(before);
    expect(
      relErr(
        stock[0]!,
        runOn(
          'cpu',
          [
            [1, 5, 5, 4],
            [3, 3, 4, 2],
          ],
          9,
          twice as never,
        )[0]!,
      ),
    ).toBeLessThan(TOL);
    // Through a training step (fine-tuning a backbone): forward here, gradients by depthwise-grad.ts.
    checkAgainstCpu(
      [
        [2, 8, 7, 8],
        [3, 3, 8, 1],
      ],
      (a, w) => tf.depthwiseConv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
      ['depthwiseForward'],
    );
  });
  it('batch norm (training) values and gradients against cpu autodiff of moments + batchNorm', () => {
    const shapes = [[4, 7, 5, 8], [8], [8]];
    const seed = 11;
    const grads =
      (fn: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) =>
      (...xs: tf.Tensor[]) => {
        const w = tf.tensor(rand(tf.util.sizeFromShape(shapes[0]!), 98), shapes[0]!);
        const [x, g, b] = [tf.add(tf.mul(xs[0]!, 3), 5), tf.add(xs[1]!, 1.5), xs[2]!];
        return [fn(x, g, b), ...tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(fn(a, c, d), w)))([x, g, b])];
      };
    const pool = currentSimdKernels()!;
    const before = pool.calls.get('bnGradSums') ?? 0;
    const fused = runOn(
      'wasm',
      shapes,
      seed,
      grads((x, g, b) => {
        const r = batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
        tf.dispose([r.mean, r.variance]);
        return r.y;
      }),
    );
    expect(pool.calls.get('bnGradSums') ?? 0).toBeGreaterThan(before);
    const reference = runOn(
      'cpu',
      shapes,
      seed,
      grads((x, g, b) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.batchNorm(x, mean, variance, b, g, 1e-3);
      }),
    );
    reference.forEach((r, i) => expect(relErr(fused[i]!, r), `output ${i}`).toBeLessThan(TOL));
    tf.setBackend('wasm');
  });
  it('batch-norm statistics are exact to float32 on a large, offset activation (f64 totals)', () => {
    const shape = [16, 40, 40, 8];
    const values = rand(tf.util.sizeFromShape(shape), 5).map((v) => 100 + 3 * v);
    const C = 8;
    const mean64 = new Float64Array(C);
    values.forEach((v, i) => (mean64[i % C] += v));
    mean64.forEach((_, c) => (mean64[c] /= values.length / C));
    const var64 = new Float64Array(C);
    values.forEach((v, i) => (var64[i % C] += (v - mean64[i % C]!) ** 2));
    var64.forEach((_, c) => (var64[c] /= values.length / C));
    const r = tf.tidy(() => batchNormTraining(tf.tensor(values, shape), tf.ones([C]) as tf.Tensor1D, tf.zeros([C]) as tf.Tensor1D, 1e-3));
    const [m, v] = [r.mean.dataSync(), r.variance.dataSync()];
    tf.dispose([r.y, r.mean, r.variance]);
    for (let c = 0; c < C; c++) {
      expect(Math.abs(m[c]! - mean64[c]!) / mean64[c]!).toBeLessThan(1e-6);
      expect(Math.abs(v[c]! - var64[c]!) / var64[c]!).toBeLessThan(1e-5);
    }
  });
  it('batch norm inference (FusedBatchNorm) with and without offset and scale, per-channel statistics', () => {
    const pool = currentSimdKernels()!;
    const before = pool.calls.get('channelAffine') ?? 0;
    for (const [withOffset, withScale] of [
      [true, true],
      [false, true],
      [true, false],
      [false, false],
    ]) {
      const shapes = [[3, 5, 4, 8], [8], [8], [8], [8]];
      const f = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, g: tf.Tensor) => [
        tf.batchNorm(x, m, tf.add(tf.abs(v), 0.5), withOffset ? o : undefined, withScale ? g : undefined, 1e-3),
      ];
      const wasm = runOn('wasm', shapes, 21, f as never);
      const cpu = runOn('cpu', shapes, 21, f as never);
      expect(relErr(wasm[0]!, cpu[0]!)).toBeLessThan(TOL);
    }
    expect(pool.calls.get('channelAffine') ?? 0).toBe(before + 4);
    // 6 channels: the stock kernel, same results.
    const f6 = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor) => [tf.batchNorm(x, m, tf.add(tf.abs(v), 0.5), undefined, undefined, 1e-3)];
    expect(
      relErr(runOn('wasm', [[2, 3, 3, 6], [6], [6]], 5, f6 as never)[0]!, runOn('cpu', [[2, 3, 3, 6], [6], [6]], 5, f6 as never)[0]!),
    ).toBeLessThan(TOL);
    expect(pool.calls.get('channelAffine') ?? 0).toBe(before + 4);
    tf.setBackend('wasm');
  });
  it('forward convolutions (convForward): kernel sizes, strides, same/valid/explicit padding, fused bias and activations', () => {
    const pool = currentSimdKernels()!;
    const cases: Array<[number[], number, number | [number, number], 'same' | 'valid' | number, 'linear' | 'relu' | 'relu6']> = [
      [[2, 17, 15, 3], 5, 2, 'same', 'relu'],
      [[3, 12, 11, 8], 3, 1, 'valid', 'linear'],
      [[2, 21, 19, 4], 9, 4, 'same', 'relu6'],
      [[2, 10, 9, 5], 3, [2, 1], 1, 'linear'],
      [[1, 7, 7, 2], 1, 2, 'valid', 'relu'],
      // Rows of 6 and 7 output pixels: a 4-pixel tile, then the 2-pixel tile (and a single pixel).
      [[3, 12, 12, 8], 5, 2, 'same', 'relu'],
      [[2, 7, 7, 4], 3, 1, 'same', 'linear'],
    ];
    for (const [xs, k, stride, pad, activation] of cases) {
      const before = pool.calls.get('convForward') ?? 0;
      const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => [
        tf.fused.conv2d({ x: tf.mul(x, 4) as tf.Tensor4D, filter: w as tf.Tensor4D, strides: stride, pad, bias: b, activation }),
      ];
      const shapes = [xs, [k, k, xs[3]!, 16], [16]];
      const wasm = runOn('wasm', shapes, 7, f as never);
      expect(pool.calls.get('convForward') ?? 0, `k${k} s${String(stride)} ${pad}`).toBe(before + 1);
      expect(relErr(wasm[0]!, runOn('cpu', shapes, 7, f as never)[0]!), `k${k} s${String(stride)} ${pad}`).toBeLessThan(TOL);
    }
    // Through a training step: forward here, gradients by the gradient kernels.
    checkAgainstCpu(
      [
        [2, 11, 10, 4],
        [3, 3, 4, 8],
      ],
      (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
      ['convForward', 'im2colT', 'convInputGrad'],
    );
  });
  it('1x1 stride-1 convolutions (convForward as a matrix product): plain with gradients, fused with bias and relu/relu6/linear', () => {
    checkAgainstCpu(
      [
        [2, 7, 9, 12],
        [1, 1, 12, 16],
      ],
      (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
      ['convForward'],
    );
    const pool = currentSimdKernels()!;
    for (const activation of ['linear', 'relu', 'relu6'] as const) {
      for (const withBias of [true, false]) {
        const before = pool.calls.get('convForward') ?? 0;
        // Values up to +-8, so relu6's upper clamp matters.
        const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => [
          tf.fused.conv2d({
            x: tf.mul(x, 8) as tf.Tensor4D,
            filter: w as tf.Tensor4D,
            strides: 1,
            pad: 'valid',
            bias: withBias ? b : undefined,
            activation,
          }),
        ];
        const shapes = [[3, 5, 6, 20], [1, 1, 20, 24], [24]];
        const wasm = runOn('wasm', shapes, 13, f as never);
        expect(pool.calls.get('convForward') ?? 0, `${activation} bias=${withBias}`).toBe(before + 1);
        expect(relErr(wasm[0]!, runOn('cpu', shapes, 13, f as never)[0]!), `${activation} bias=${withBias}`).toBeLessThan(TOL);
      }
    }
    // Not covered (12 output channels, sigmoid) and the stride-2 1x1 case: same results.
    const before = pool.calls.get('convForward') ?? 0;
    const others = (x: tf.Tensor, w: tf.Tensor, v: tf.Tensor) => [
      tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
      tf.conv2d(x as tf.Tensor4D, tf.concat([w, w], 3) as tf.Tensor4D, 2, 'same'),
      tf.fused.conv2d({ x: x as tf.Tensor4D, filter: tf.concat([w, v], 3) as tf.Tensor4D, strides: 1, pad: 'same', activation: 'sigmoid' }),
    ];
    const shapes = [
      [2, 6, 6, 8],
      [1, 1, 8, 12],
      [1, 1, 8, 4],
    ];
    const wasm = runOn('wasm', shapes, 3, others as never);
    const cpu = runOn('cpu', shapes, 3, others as never);
    wasm.forEach((w, i) => expect(relErr(w, cpu[i]!), `case ${i}`).toBeLessThan(TOL));
    expect(pool.calls.get('convForward') ?? 0).toBe(before + 1); // the stride-2 one
    tf.setBackend('wasm');
  });
  it('matrix products (BatchMatMul, _FusedMatMul) on convForward: transposes, a batched left operand, bias and activations; others go to the stock kernel', () => {
    const pool = currentSimdKernels()!;
    // A dense layer's product and its two gradients (x^T.dy and dy.w^T: both transposed).
    checkAgainstCpu(
      [
        [6, 40],
        [40, 24],
      ],
      (x, w) => tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
      ['convForward', 'packStrips8'],
    );
    const cases: Array<[string, number[][], (...t: tf.Tensor[]) => tf.Tensor, boolean]> = [
      [
        'transposed both',
        [
          [40, 6],
          [16, 40],
        ],
        (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true),
        true,
      ],
      [
        'batched left',
        [
          [3, 5, 24],
          [24, 16],
        ],
        (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor2D),
        true,
      ],
      [
        'fused relu6',
        [[7, 24], [24, 8], [8]],
        (a, b, c) => tf.fused.matMul({ a: tf.mul(a, 3) as tf.Tensor2D, b: b as tf.Tensor2D, bias: c, activation: 'relu6' }),
        true,
      ],
      [
        'fused relu, transposed right',
        [[7, 24], [16, 24], [16]],
        (a, b, c) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeB: true, bias: c, activation: 'relu' }),
        true,
      ],
      [
        '7 columns',
        [
          [5, 24],
          [24, 7],
        ],
        (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
        false,
      ],
      [
        'batched right',
        [
          [3, 5, 24],
          [3, 24, 16],
        ],
        (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
        false,
      ],
    ];
    for (const [what, shapes, f, ours] of cases) {
      const before = pool.calls.get('convForward') ?? 0;
      const wasm = runOn('wasm', shapes, 13, (...t) => [f(...t)]);
      expect(pool.calls.get('convForward') ?? 0, what).toBe(before + (ours ? 1 : 0));
      expect(relErr(wasm[0]!, runOn('cpu', shapes, 13, (...t) => [f(...t)])[0]!), what).toBeLessThan(TOL);
    }
    tf.setBackend('wasm');
  });
  it('adding a bias vector (addChannels) gives exactly what the cpu backend gives, either operand order, with gradients; other adds are stock', () => {
    const pool = currentSimdKernels()!;
    const cases: Array<[string, number[][], (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, boolean]> = [
      ['x + bias', [[3, 5, 7, 8], [8]], (a, b) => tf.add(a, b), true],
      ['bias + x', [[6, 12], [12]], (a, b) => tf.add(b, a), true],
      ['3 channels', [[2, 4, 4, 3], [3]], (a, b) => tf.add(a, b), false],
      [
        'same shapes',
        [
          [4, 8],
          [4, 8],
        ],
        (a, b) => tf.add(a, b),
        false,
      ],
    ];
    for (const [what, shapes, f, ours] of cases) {
      const before = pool.calls.get('addChannels') ?? 0;
      const wasm = runOn('wasm', shapes, 17, (a, b) => [f(a!, b!)]);
      expect(pool.calls.get('addChannels') ?? 0, what).toBe(before + (ours ? 1 : 0));
      expect(Array.from(wasm[0]!), what).toEqual(Array.from(runOn('cpu', shapes, 17, (a, b) => [f(a!, b!)])[0]!));
    }
    checkAgainstCpu([[2, 6, 5, 16], [16]], (a, b) => tf.relu(tf.add(a, b)), ['addChannels']);
    tf.setBackend('wasm');
  });
  it("relu's gradient (one SIMD pass), sizes with and without a tail of < 4 elements", () => {
    for (const shape of [
      [3, 6, 5, 8],
      [2, 3, 7],
    ])
      checkAgainstCpu([shape], (a) => tf.relu(a), ['relu', 'reluGrad']);
  });
  it('relu (one SIMD pass) gives what the cpu backend gives for NaN, -0, +-Infinity and a tail of < 4 elements', () => {
    const values = [NaN, -0, 0, -Infinity, Infinity, -1.5, 2.5, 1e-45, -1e-45];
    const out = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => tf.relu(tf.tensor(values)).dataSync() as Float32Array);
    };
    const pool = currentSimdKernels()!;
    const before = pool.calls.get('relu') ?? 0;
    const wasm = out('wasm');
    expect(pool.calls.get('relu') ?? 0).toBeGreaterThan(before);
    const cpu = out('cpu');
    tf.setBackend('wasm');
    // Element by element with Object.is: NaN is NaN (whatever its payload bits), -0 is not 0.
    expect(Array.from(wasm)).toEqual(Array.from(cpu));
  });
  it('a kernel that traps reports an error instead of hanging, and the pool keeps working', () => {
    const pool = currentSimdKernels()!;
    // Summing from far past the end of memory traps (out of bounds) on every thread.
    expect(() => pool.parallel('sumParts', 64, (_, from, to) => [0x7ffffff0, 0, 64, from, to, 2])).toThrow();
    checkAgainstCpu([[2, 8, 8, 4]], (a) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), ['maxPoolGrad2x2']);
  });
  it('no tensor is left behind by a training step through every kernel', () => {
    const x = tf.tensor(rand(2 * 12 * 12 * 4, 1), [2, 12, 12, 4]);
    const w = tf.variable(tf.tensor(rand(3 * 3 * 4 * 8, 2), [3, 3, 4, 8]));
    const g = tf.variable(tf.ones([8]));
    const b = tf.variable(tf.zeros([8]));
    const step = () =>
      tf.tidy(() => {
        const { grads, value } = tf.variableGrads(() => {
          const r = batchNormTraining(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'), g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
          tf.dispose([r.mean, r.variance]);
          return tf.sum(tf.square(tf.maxPool(r.y as tf.Tensor4D, 2, 2, 'valid'))) as tf.Scalar;
        });
        tf.dispose([value, ...Object.values(grads)]);
      });
    step();
    const n = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(n);
    expect(tf.memory().numBytes).toBe(bytes);
    tf.dispose([x, w, g, b]);
  });
}

describe('the committed kernel binaries', () => {
  it('are what scripts/build-wasm-kernels.ts makes from assembly/kernels.ts (run it after editing)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-kernels-'));
    try {
      for (const file of await buildWasmKernels(dir)) {
        const committed = fs.readFileSync(path.join(KERNELS_DIR, path.basename(file)));
        expect(Buffer.compare(fs.readFileSync(file), committed), path.basename(file)).toBe(0);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
  it('import only a memory and carry no data segments or start function (they must not write to the backend heap)', () => {
    for (const file of ['kernels.wasm', 'kernels-shared.wasm', 'kernels-fma.wasm', 'kernels-fma-shared.wasm']) {
      const bytes = fs.readFileSync(path.join(KERNELS_DIR, file));
      // The fma builds compile exactly where the engine takes relaxed SIMD (Node 20: once the flag is on).
      if (file.includes('fma')) expect(enableRelaxedSimd(bytes), file).toBe(engineHasRelaxedSimd());
      if (WebAssembly.validate(bytes)) {
        const m = new WebAssembly.Module(bytes);
        expect(WebAssembly.Module.imports(m)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
      }
      // Section ids: 8 = start, 11 = data.
      const ids: number[] = [];
      for (let at = 8; at < bytes.length;) {
        ids.push(bytes[at]!);
        let size = 0;
        let shift = 0;
        let b: number;
        at++;
        do {
          b = bytes[at++]!;
          size |= (b & 0x7f) << shift;
          shift += 7;
        } while (b & 0x80);
        at += size;
      }
      expect(ids).not.toContain(8);
      expect(ids).not.toContain(11);
    }
  });
});

describe('threaded build: shared memory, one worker thread (fused multiply-add kernels where the engine has relaxed SIMD)', () => {
  it('starts with two threads, on the fused-multiply-add build exactly where the engine takes relaxed SIMD (Node 20: by a V8 flag)', async () => {
    const info = await selectBackend({ prefer: 'wasm', threads: 2 });
    expect(info.threads).toBe(2);
    expect(currentSimdKernels()?.threads).toBe(2);
    // The stock kernels' own pool (XNNPACK) has one thread: its helpers would spin on the pool's cores.
    expect(tfwasm.getThreadsCount()).toBe(1);
    expect(kernelsUseFma).toBe(engineHasRelaxedSimd());
    // Its threads poll between calls (the checks below run that way; the plain build's sleep at once).
    expect(currentSimdKernels()?.spinMs).toBe(POOL_SPIN_MS);
  });
  kernelChecks();
});

describe('single-threaded build: plain memory, main thread only', () => {
  it('re-initialises with one thread on a new memory', async () => {
    expect(byThreads.has(`${kernelsUseFma ? 'fma' : 'plain'} 2`)).toBe(true); // recorded above, compared below
    const old = currentSimdKernels();
    const info = await selectBackend({ prefer: 'wasm', threads: 1 });
    expect(info.threads).toBe(1);
    const pool = currentSimdKernels()!;
    expect(pool).not.toBe(old);
    expect(pool.threads).toBe(1);
    expect(pool.memory.buffer).toBeInstanceOf(ArrayBuffer);
  });
  kernelChecks();
});

describe('plain build (EMOC_WASM_FMA=0: separate multiply and add), threaded, threads that sleep at once (EMOC_POOL_SPIN_MS=0)', () => {
  it('re-initialises on the plain build', async () => {
    process.env.EMOC_WASM_FMA = '0';
    process.env.EMOC_POOL_SPIN_MS = '0';
    try {
      await selectBackend({ prefer: 'wasm', threads: 2 });
    } finally {
      delete process.env.EMOC_WASM_FMA;
      delete process.env.EMOC_POOL_SPIN_MS;
    }
    expect(kernelsUseFma).toBe(false);
    expect(currentSimdKernels()?.threads).toBe(2);
    expect(currentSimdKernels()?.spinMs).toBe(0);
  });
  kernelChecks();
});

afterAll(() => {
  tf.setBackend('cpu');
});
