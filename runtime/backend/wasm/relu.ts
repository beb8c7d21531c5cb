// Relu on the wasm backend as one SIMD pass split across the kernel pool's threads
// (runtime/backend/wasm/assembly/kernels.ts, relu). The stock kernel runs on one thread: 5 ms of an
// S1 training step at 48x48 (batch 64, a 64x24x24x64 activation) against about 1 ms here. Other
// dtypes, and backends without the pool, keep the stock kernel.

import * as tf from '@tensorflow/tfjs-core';
import { ptr, simd, type WasmBackendLike } from './heap.ts';
import { stockKernel, type KernelArgs, type TI } from './ops.ts';
import { grainFor } from './simd-kernels.ts';

export function relu(args: KernelArgs): TI {
  const { x } = args.inputs as { x: TI };
  const b = args.backend as WasmBackendLike;
  const pool = simd(b);
  if (!pool || x.dtype !== 'float32') return stockKernel('Relu')(args) as TI;
  const y = b.makeOutput(x.shape, 'float32');
  const size = tf.util.sizeFromShape(x.shape);
  const blocks = Math.floor(size / 4);
  const [px, py] = [ptr(b, x), ptr(b, y)];
  // Shares in whole blocks of 4 elements; the last size % 4 are done here.
  if (blocks > 0) pool.parallel('relu', blocks, (_, from, to) => [px, py, from * 4, to * 4], grainFor(4));
  if (size % 4) {
    const [xv, yv] = [b.typedArrayFromHeap(x), b.typedArrayFromHeap(y)];
    for (let i = blocks * 4; i < size; i++) yv[i] = Math.max(0, xv[i]!);
  }
  return y;
}
