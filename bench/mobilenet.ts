// Benchmark: MobileNetV1 (width 1.0) inference at 160x160x3, batch 32, the size of network emoc runs
// as a frozen backbone. Built from the fused kernels a converted graph model runs (batch norm folded
// into each convolution's bias, ReLU6 fused), with seeded random weights: speed does not depend on
// the values. bench/pytorch_mobilenet.py is the same network in PyTorch.
//
//   npx tsx bench/mobilenet.ts [--threads N] [--steps 5] [--json]

import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendInfo } from '../runtime/backend/select.ts';
import { median } from './stats.ts';

/** [pointwise filters, depthwise stride] of the 13 separable blocks. */
const BLOCKS: Array<[number, number]> = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [1024, 2],
  [1024, 1],
];

interface Weights {
  stem: { w: tf.Tensor4D; b: tf.Tensor1D };
  blocks: Array<{ dw: tf.Tensor4D; dwb: tf.Tensor1D; pw: tf.Tensor4D; pwb: tf.Tensor1D; stride: number }>;
  fc: { w: tf.Tensor2D; b: tf.Tensor1D };
}

function makeWeights(): Weights {
  let seed = 1;
  const r = (shape: number[], scale: number) => tf.randomUniform(shape, -scale, scale, 'float32', seed++);
  let cin = 32;
  const blocks = BLOCKS.map(([cout, stride]) => {
    const b = {
      dw: r([3, 3, cin, 1], 0.3) as tf.Tensor4D,
      dwb: r([cin], 0.1) as tf.Tensor1D,
      pw: r([1, 1, cin, cout], 1 / Math.sqrt(cin)) as tf.Tensor4D,
      pwb: r([cout], 0.1) as tf.Tensor1D,
      stride,
    };
    cin = cout;
    return b;
  });
  return {
    stem: { w: r([3, 3, 3, 32], 0.3) as tf.Tensor4D, b: r([32], 0.1) as tf.Tensor1D },
    blocks,
    fc: { w: r([1024, 1000], 0.03) as tf.Tensor2D, b: r([1000], 0.1) as tf.Tensor1D },
  };
}

function forward(wt: Weights, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    let h = tf.fused.conv2d({ x, filter: wt.stem.w, strides: 2, pad: 'same', bias: wt.stem.b, activation: 'relu6' });
    for (const b of wt.blocks) {
      h = tf.fused.depthwiseConv2d({ x: h, filter: b.dw, strides: b.stride, pad: 'same', bias: b.dwb, activation: 'relu6' });
      h = tf.fused.conv2d({ x: h, filter: b.pw, strides: 1, pad: 'same', bias: b.pwb, activation: 'relu6' });
    }
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    return tf.fused.matMul({ a: pooled, b: wt.fc.w, bias: wt.fc.b }) as tf.Tensor2D;
  });
}

export interface MobileNetResult {
  backend: BackendInfo;
  input: [number, number, number];
  batch: number;
  inferImagesPerSec: number;
  inferStepMs: number[];
}

export async function benchMobileNet(opts: { threads?: number; steps?: number; batch?: number } = {}): Promise<MobileNetResult> {
  const backend = await selectBackend({ prefer: 'wasm', threads: opts.threads });
  const batch = opts.batch ?? 32;
  const steps = Math.max(5, opts.steps ?? 5);
  const wt = makeWeights();
  const x = tf.randomUniform([batch, 160, 160, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
  const stepMs: number[] = [];
  for (let i = 0; i < steps + 2; i++) {
    const t0 = performance.now();
    const y = forward(wt, x);
    await y.data();
    if (i >= 2) stepMs.push(performance.now() - t0);
    y.dispose();
  }
  return { backend, input: [160, 160, 3], batch, inferImagesPerSec: (batch * 1000) / median(stepMs), inferStepMs: stepMs };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const at = (flag: string) => (argv.includes(flag) ? Number(argv[argv.indexOf(flag) + 1]) : undefined);
  const r = await benchMobileNet({ threads: at('--threads'), steps: at('--steps') });
  if (argv.includes('--json')) console.log(JSON.stringify(r));
  else
    console.log(
      `MobileNetV1 160x160x3, batch ${r.batch}, wasm ${r.backend.threads} thread(s): ${r.inferImagesPerSec.toFixed(1)} img/s (steps ms: ${r.inferStepMs.map((v) => v.toFixed(0)).join(' ')})`,
    );
  // The wasm backend's pthread workers keep the event loop alive: leave once the output is written.
  process.stdout.write('', () => process.exit(0));
}
