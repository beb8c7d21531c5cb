// Add of a per-channel vector (a conv or dense layer's bias: tfjs-layers adds it as its own Add under a
// gradient tape) as one SIMD pass split across the kernel pool's threads (assembly/kernels.ts,
// addChannels). The stock kernel runs on XNNPACK's one thread (select.ts): 1.3-1.4 ms of an S1 step at
// 48x48 (batch 64, a 64x24x24x64 activation). Every other Add (other shapes, broadcasts, dtypes) is the
// stock kernel's.

import * as tf from '@tensorflow/tfjs-core';
import { ptr, simd, type WasmBackendLike } from './heap.ts';
import { stockKernel, type KernelArgs, type TI } from './ops.ts';
import { grainFor } from './simd-kernels.ts';

export function add(args: KernelArgs): TI {
  const { a, b } = args.inputs as { a: TI; b: TI };
  const backend = args.backend as WasmBackendLike;
  const pool = simd(backend);
  // x + bias or bias + x, the bias a vector as long as x's last axis.
  const [x, bias] = a.shape.length === 1 && b.shape.length > 1 ? [b, a] : [a, b];
  const c = x.shape.at(-1) ?? 0;
  const covered =
    pool != null &&
    x.dtype === 'float32' &&
    bias.dtype === 'float32' &&
    bias.shape.length === 1 &&
    bias.shape[0] === c &&
    c % 4 === 0 &&
    c > 0;
  if (!covered) return stockKernel('Add')(args) as TI;
  const y = backend.makeOutput(x.shape, 'float32');
  const pixels = tf.util.sizeFromShape(x.shape) / c;
  const [px, pb, py] = [ptr(backend, x), ptr(backend, bias), ptr(backend, y)];
  pool.parallel('addChannels', pixels, (_, from, to) => [px, pb, py, from, to, c], grainFor(c));
  return y;
}
