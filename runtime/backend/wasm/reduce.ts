// Sum / Mean over a contiguous block of axes that is not the innermost one (bias and batch-norm
// gradients, moments, global average pooling). The stock kernels transpose the reduced axes to the
// end first (single-threaded, the bulk of their time). Here x is viewed as [P, M, 1, C] and averaged
// by one XNNPACK average pool with an [M, 1] window (SIMD, threaded), then scaled by M for Sum.
// Everything else goes to the stock kernels.

import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './heap.ts';
import { Ops, stockKernel, type KernelArgs, type TI } from './ops.ts';

function blockReduction(xShape: number[], axis: number | number[]): { p: number; m: number; c: number; axes: number[] } | null {
  const axes = tf.util.parseAxisParam(axis, xShape).sort((a, b) => a - b);
  if (axes.length === 0) return null;
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  if (last - first + 1 !== axes.length) return null; // not contiguous
  if (last === xShape.length - 1) return null; // innermost: the stock kernel needs no transpose
  const p = tf.util.sizeFromShape(xShape.slice(0, first));
  const m = tf.util.sizeFromShape(xShape.slice(first, last + 1));
  const c = tf.util.sizeFromShape(xShape.slice(last + 1));
  if (m < 2 || c < 2) return null;
  return { p, m, c, axes };
}

function reduceByPool(args: KernelArgs, isMean: boolean): TI {
  const name = isMean ? 'Mean' : 'Sum';
  const { x } = args.inputs as { x: TI };
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const plan = x.dtype === 'float32' ? blockReduction(x.shape, axis) : null;
  if (!plan) return stockKernel(name)(args) as TI;
  const o = new Ops(args.backend as WasmBackendLike);
  const x4 = o.reshape(x, [plan.p, plan.m, 1, plan.c]);
  let r = o.run('AvgPool', { x: x4 }, { filterSize: [plan.m, 1], strides: [plan.m, 1], pad: 'valid', dimRoundingMode: undefined });
  if (!isMean) r = o.run('Multiply', { a: r, b: o.scalar(plan.m) });
  const outShape = keepDims ? x.shape.map((d, i) => (plan.axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !plan.axes.includes(i));
  return o.finish(o.reshape(r, outShape));
}

export function sum(args: KernelArgs): TI {
  return reduceByPool(args, false);
}

export function mean(args: KernelArgs): TI {
  return reduceByPool(args, true);
}
