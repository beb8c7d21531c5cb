// Batch norm on emoc's SIMD kernels. Inference: the stock wasm FusedBatchNorm kernel is replaced
// (29 ms -> ~4 ms on 32x80x80x64, 2 threads) by one pass of channelAffine where every parameter is
// per channel and the channel count is a multiple of 4; anything else goes to the stock kernel.
// Training, as two kernels (runtime/fused-batch-norm.ts uses them on the wasm backend when the
// channel count is a multiple of 4):
//   EmocBatchNormTrain  x, gamma, beta -> y, mean, variance, invstd   (3 passes over x: sum, squared
//                       deviations, normalise)
//   EmocBatchNormGrad   dy, x, mean, invstd, gamma -> dx, dgamma, dbeta   (2 passes: the two sums, dx)
// The composed form (tf.moments, tf.batchNorm and the closed-form gradient in six element-wise ops)
// made about ten passes over the activation. Sums are per chunk of pixels in f64 (see channelSums
// in assembly/kernels.ts), then added here in chunk order.

import * as tf from '@tensorflow/tfjs-core';
import type { SimdKernelName, SimdKernelPool } from './simd-kernels.ts';
import { ptr, simd, zerosOnHeap, type WasmBackendLike } from './heap.ts';
import { stockKernel } from './ops.ts';
import { grainFor } from './simd-kernels.ts';

export const BN_TRAIN = 'EmocBatchNormTrain';
export const BN_GRAD = 'EmocBatchNormGrad';

type TI = tf.TensorInfo;
type KernelArgs = Parameters<tf.KernelFunc>[0];

/** True when the wasm batch-norm kernels can run for `channels` on the active backend. */
export function wasmBatchNormAvailable(channels: number): boolean {
  return tf.getBackend() === 'wasm' && channels % 4 === 0 && simd(tf.backend()) != null && tf.getKernel(BN_TRAIN, 'wasm') != null;
}

/** Pixels are summed in at most this many chunks, each with its own f64 totals added in chunk order:
 * the result does not depend on the thread count (enough chunks to keep 8 threads busy). */
const SUM_CHUNKS = 48;

/** Runs a chunked f64 summing kernel over `pixels` and returns the totals (width values). */
function totals(
  b: WasmBackendLike,
  pool: SimdKernelPool,
  name: SimdKernelName,
  pixels: number,
  width: number,
  args: (out: number, from: number, to: number, chunk: number) => number[],
): Float64Array {
  const chunk = Math.ceil(pixels / Math.min(SUM_CHUNKS, pixels));
  const chunks = Math.ceil(pixels / chunk);
  const scratch = zerosOnHeap(b, [chunks * width * 2]); // f64 = 2 floats
  const base = ptr(b, scratch);
  pool.parallel(name, chunks, (_, from, to) => args(base, from, to, chunk), grainFor(chunk * width));
  const parts = new Float64Array(pool.memory.buffer, base, chunks * width);
  const sum = new Float64Array(width);
  for (let k = 0; k < chunks; k++) for (let i = 0; i < width; i++) sum[i] += parts[k * width + i]!;
  b.disposeData(scratch.dataId);
  return sum;
}

function vector(b: WasmBackendLike, values: ArrayLike<number>): TI {
  return b.makeOutput([values.length], 'float32', null, Float32Array.from(values));
}

function pools(backend: tf.KernelBackend): { b: WasmBackendLike; pool: SimdKernelPool } {
  const pool = simd(backend);
  // internal: runtime/fused-batch-norm.ts runs these kernels only where wasmBatchNormAvailable says so.
  if (!pool) throw new Error('emoc batch-norm kernels need the wasm SIMD kernel pool');
  return { b: backend as WasmBackendLike, pool };
}

export function batchNormTrain({ inputs, backend, attrs }: KernelArgs): TI[] {
  const { x, gamma, beta } = inputs as { x: TI; gamma: TI; beta: TI };
  const epsilon = attrs!.epsilon as number;
  const { b, pool } = pools(backend as tf.KernelBackend);
  const C = x.shape[x.shape.length - 1]!;
  const P = tf.util.sizeFromShape(x.shape) / C;
  const px = ptr(b, x);
  const s = totals(b, pool, 'channelSums', P, C, (out, from, to, chunk) => [px, 0, out, from, to, C, 0, chunk, P]);
  const mean = vector(
    b,
    s.map((v) => v / P),
  );
  const pmean = ptr(b, mean);
  const sq = totals(b, pool, 'channelSums', P, C, (out, from, to, chunk) => [px, pmean, out, from, to, C, 1, chunk, P]);
  const varianceValues = sq.map((v) => v / P);
  const invstdValues = varianceValues.map((v) => 1 / Math.sqrt(v + epsilon));
  const g = b.typedArrayFromHeap(gamma);
  const scale = vector(
    b,
    invstdValues.map((v, c) => v * g[c]!),
  );
  const y = b.makeOutput(x.shape, 'float32');
  const [py, pscale, pbeta] = [ptr(b, y), ptr(b, scale), ptr(b, beta)];
  pool.parallel('channelAffine', P, (_, from, to) => [0, px, py, 0, pscale, pmean, pbeta, from, to, C], grainFor(C));
  b.disposeData(scale.dataId);
  return [y, mean, vector(b, varianceValues), vector(b, invstdValues)];
}

export function batchNormGrad({ inputs, backend }: KernelArgs): TI[] {
  const { dy, x, mean, invstd, gamma } = inputs as { dy: TI; x: TI; mean: TI; invstd: TI; gamma: TI };
  const { b, pool } = pools(backend as tf.KernelBackend);
  const C = x.shape[x.shape.length - 1]!;
  const P = tf.util.sizeFromShape(x.shape) / C;
  const [pdy, px, pmean] = [ptr(b, dy), ptr(b, x), ptr(b, mean)];
  const s = totals(b, pool, 'bnGradSums', P, 2 * C, (out, from, to, chunk) => [pdy, px, pmean, out, from, to, C, chunk, P]);
  const is = b.typedArrayFromHeap(invstd);
  const g = b.typedArrayFromHeap(gamma);
  const k = new Float64Array(C);
  const negSlope = new Float64Array(C);
  const negShift = new Float64Array(C);
  const dgamma = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    k[c] = g[c]! * is[c]!;
    negSlope[c] = (-k[c]! * is[c]! * is[c]! * s[C + c]!) / P;
    negShift[c] = (-k[c]! * s[c]!) / P;
    dgamma[c] = s[C + c]! * is[c]!;
  }
  const [a, bb, d] = [vector(b, k), vector(b, negSlope), vector(b, negShift)];
  const dx = b.makeOutput(x.shape, 'float32');
  const [pdx, pa, pb, pd] = [ptr(b, dx), ptr(b, a), ptr(b, bb), ptr(b, d)];
  pool.parallel('channelAffine', P, (_, from, to) => [pdy, px, pdx, pa, pb, pmean, pd, from, to, C], grainFor(C));
  for (const t of [a, bb, d]) b.disposeData(t.dataId);
  return [dx, vector(b, dgamma), vector(b, s.subarray(0, C))];
}

/** y = (x - mean) * scale / sqrt(variance + eps) + offset with moving statistics (inference). */
export function fusedBatchNorm(args: KernelArgs): TI {
  const { x, mean, variance, offset, scale } = args.inputs as { x: TI; mean: TI; variance: TI; offset?: TI; scale?: TI };
  const epsilon = (args.attrs!.varianceEpsilon as number | undefined) ?? 1e-3;
  const C = x.shape[x.shape.length - 1]!;
  const pool = simd(args.backend as tf.KernelBackend);
  const perChannel = [mean, variance, offset, scale].every((t) => t == null || tf.util.sizeFromShape(t.shape) === C);
  const floats = [x, mean, variance, offset, scale].every((t) => t == null || t.dtype === 'float32');
  if (!pool || C % 4 !== 0 || !perChannel || !floats) return stockKernel('FusedBatchNorm')(args) as TI;
  const b = args.backend as WasmBackendLike;
  const v = b.typedArrayFromHeap(variance);
  const g = scale ? b.typedArrayFromHeap(scale) : null;
  const k = vector(
    b,
    Array.from({ length: C }, (_, c) => (g ? g[c]! : 1) / Math.sqrt(v[c]! + epsilon)),
  );
  const shift = offset ?? vector(b, new Float32Array(C));
  const P = tf.util.sizeFromShape(x.shape) / C;
  const y = b.makeOutput(x.shape, 'float32');
  const [px, py, pk, pmean, pshift] = [ptr(b, x), ptr(b, y), ptr(b, k), ptr(b, mean), ptr(b, shift)];
  pool.parallel('channelAffine', P, (_, from, to) => [0, px, py, 0, pk, pmean, pshift, from, to, C], grainFor(C));
  b.disposeData(k.dataId);
  if (!offset) b.disposeData(shift.dataId);
  return y;
}
