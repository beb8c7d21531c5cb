// BatchMatMul with transposeA or transposeB. The stock kernel hands only the untransposed case to
// XNNPACK; a transposed operand goes through a scalar triple loop (measured, 1 thread: x^T.dy for a
// [32,25600] x and [32,128] dy, the weight gradient of a dense layer, 267 ms; transposing x first and
// multiplying plainly, 22 ms). So transpose the operand explicitly, then use the fast path.

import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './heap.ts';
import { Ops, stockKernel, type KernelArgs, type TI } from './ops.ts';

export function batchMatMul(args: KernelArgs): TI {
  const { a, b } = args.inputs as { a: TI; b: TI };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  if (!transposeA && !transposeB) return stockKernel('BatchMatMul')(args) as TI;
  const o = new Ops(args.backend as WasmBackendLike);
  const swapLast = (x: TI) => o.transpose(x, [...x.shape.slice(0, -2).map((_, i) => i), x.shape.length - 1, x.shape.length - 2]);
  const at = transposeA ? swapLast(a) : a;
  const bt = transposeB ? swapLast(b) : b;
  return o.finish(o.run('BatchMatMul', { a: at, b: bt }, { transposeA: false, transposeB: false }));
}
