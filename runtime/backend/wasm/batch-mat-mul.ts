// BatchMatMul, and _FusedMatMul (bias and relu/relu6/linear: a dense layer outside training), on emoc's
// convolution kernel where it covers the call: a [M, K] x [K, N] product is a 1x1 convolution over M
// pixels of K channels into N (convolvePacked's matrix-product case), split across the kernel pool's
// threads. The stock kernels run on XNNPACK (one thread: see select.ts), and a transposed operand goes
// through a scalar triple loop there (measured, 1 thread: x^T.dy for a [32,25600] x and [32,128] dy,
// the weight gradient of a dense layer, 267 ms; transposing x first and multiplying plainly, 22 ms).
// Measured here (S2 at 48x48, batch 64, 2 threads): the dense layer's three products (2304 -> 128)
// took 9-12 ms of a 23-27 ms step on the stock path.
// Covered: float32, the right operand not batched (a layer's weights), N a multiple of 8. Otherwise a
// transposed operand is transposed explicitly and the stock kernel takes the plain product.

import * as tf from '@tensorflow/tfjs-core';
import { CLAMP, convolvePacked, packFilter } from './conv-forward.ts';
import { simd, type WasmBackendLike } from './heap.ts';
import { Ops, stockKernel, type KernelArgs, type TI } from './ops.ts';

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
}

/** The operand with its last two axes swapped. */
const swapLast = (o: Ops, x: TI) => o.transpose(x, [...x.shape.slice(0, -2).map((_, i) => i), x.shape.length - 1, x.shape.length - 2]);

/** clamp(a.b + bias) by emoc's kernel, or null when the call is not one it covers. */
function bySimd(o: Ops, a: TI, b: TI, attrs: MatMulAttrs, bias?: TI): TI | null {
  const pool = simd(o.backend as unknown as tf.KernelBackend);
  const clamp = CLAMP[attrs.activation ?? 'linear'];
  if (!pool || !clamp || [a, b, bias].some((t) => t != null && t.dtype !== 'float32')) return null;
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const [k, n] = attrs.transposeB ? [b.shape.at(-1)!, b.shape.at(-2)!] : [b.shape.at(-2)!, b.shape.at(-1)!];
  if (batchB !== 1 || n % 8 !== 0 || (bias && tf.util.sizeFromShape(bias.shape) !== n)) return null;
  const at = attrs.transposeA ? swapLast(o, a) : a;
  const rows = tf.util.sizeFromShape(at.shape) / k; // every batch of a, one after another
  const bk = o.reshape(attrs.transposeB ? swapLast(o, b) : b, [k, n]);
  const packed = o.keep(packFilter(o.backend, pool, bk, k, n));
  const geometry = { n: 1, oh: 1, ow: rows, kh: 1, kw: 1, cin: k, cout: n, sh: 1, sw: 1, top: 0, left: 0 };
  const y = o.keep(convolvePacked(o.backend, pool, o.reshape(at, [1, 1, rows, k]), packed, geometry, bias, clamp));
  return o.reshape(y, [...at.shape.slice(0, -1), n]);
}

export function batchMatMul(args: KernelArgs): TI {
  const { a, b } = args.inputs as { a: TI; b: TI };
  const attrs = args.attrs as unknown as MatMulAttrs;
  const o = new Ops(args.backend as WasmBackendLike);
  const fast = bySimd(o, a, b, attrs);
  if (fast) return o.finish(fast);
  if (!attrs.transposeA && !attrs.transposeB) return stockKernel('BatchMatMul')(args) as TI;
  const at = attrs.transposeA ? swapLast(o, a) : a;
  const bt = attrs.transposeB ? swapLast(o, b) : b;
  return o.finish(o.run('BatchMatMul', { a: at, b: bt }, { transposeA: false, transposeB: false }));
}

export function fusedMatMul(args: KernelArgs): TI {
  const { a, b, bias, preluActivationWeights } = args.inputs as { a: TI; b: TI; bias?: TI; preluActivationWeights?: TI };
  const o = new Ops(args.backend as WasmBackendLike);
  const fast = preluActivationWeights ? null : bySimd(o, a, b, args.attrs as unknown as MatMulAttrs, bias);
  return fast ? o.finish(fast) : (stockKernel('_FusedMatMul')(args) as TI);
}
