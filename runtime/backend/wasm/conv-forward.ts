// Forward convolutions (Conv2D and FusedConv2D with bias and relu/relu6/linear) on emoc's SIMD
// kernels, replacing the stock XNNPACK path where they cover the call:
//   convForward: a 4x8 register tile (4 output pixels x 8 channels) over each output pixel's window,
//     the filter packed in strips of 8 output channels, the input padded once (copyWindow);
//   1x1, stride 1 (MobileNet's pointwise layers, most of a backbone's time): the same kernel on the
//     unpadded input, each image one row of pixels (a matrix product).
// Bias and clamp are applied before the store. Measured on 32 images, 2 threads: pointwise layers
// 52-62 -> 61-79 GFLOPS; S1's two convolutions 37 -> 30 and 42 -> 36 ms (npx tsx bench/mobilenet.ts,
// npx tsx bench/layers.ts). Output channels must be a multiple of 8; everything else (other
// activations, dilation, NCHW, other dtypes) goes to the stock kernels.

import * as tf from '@tensorflow/tfjs-core';
import { f32Bits, ptr, simd, type WasmBackendLike } from './heap.ts';
import { stockKernel } from './ops.ts';
import type { SimdKernelPool } from './simd-kernels.ts';
import { grainFor } from './simd-kernels.ts';

type TI = tf.TensorInfo;
type KernelArgs = Parameters<tf.KernelFunc>[0];

export const CLAMP: Record<string, [number, number]> = {
  linear: [-Infinity, Infinity],
  relu: [0, Infinity],
  relu6: [0, 6],
};

/** The filter [K, N] packed in strips of 8 output channels ([N/8, K, 8]); the caller frees it. Also
 * dy ([pixels, Cout]) for the filter gradient as a matrix product (conv-filter-grad.ts). */
export function packFilter(b: WasmBackendLike, pool: SimdKernelPool, filter: TI, k: number, n: number): TI {
  const packed = b.makeOutput([n, k], 'float32');
  const [pf, pp] = [ptr(b, filter), ptr(b, packed)];
  pool.parallel('packStrips8', n / 8, (_, from, to) => [pf, pp, from, to, k, n], grainFor(k * 8));
  return packed;
}

/** x padded (or cropped) to [N, hp, wp, C] from row -top, column -left; the caller frees it. */
function padInput(b: WasmBackendLike, pool: SimdKernelPool, x: TI, hp: number, wp: number, top: number, left: number): TI {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const out = b.makeOutput([n, hp, wp, c], 'float32');
  const [px, pout] = [ptr(b, x), ptr(b, out)];
  pool.parallel('copyWindow', n * hp, (_, from, to) => [px, pout, from, to, h, w, hp, wp, c, -top, -left], grainFor(wp * c));
  return out;
}

/** A convolution call (plain or fused) as emoc's SIMD kernels take it. */
export interface SimdConvCall {
  b: WasmBackendLike;
  pool: SimdKernelPool;
  x: TI;
  filter: TI;
  bias?: TI;
  clamp: [number, number];
  info: tf.backend_util.Conv2DInfo;
}

/** The call's tensors, clamp and geometry when emoc's kernels can take it (the pool runs; NHWC float32;
 * no dilation; bias, if any, one per output channel; relu, relu6 or linear), else null. Also the
 * depthwise convolutions (depthwise-forward.ts); each caller checks its own channel counts. */
export function simdConvCall(args: KernelArgs, depthwise: boolean): SimdConvCall | null {
  const { x, filter, bias, preluActivationWeights } = args.inputs as { x: TI; filter: TI; bias?: TI; preluActivationWeights?: TI };
  const attrs = args.attrs as Record<string, unknown>;
  const pool = simd(args.backend as tf.KernelBackend);
  if (!pool || x.shape.length !== 4 || ((attrs.dataFormat as string | undefined) ?? 'NHWC') !== 'NHWC') return null;
  const clamp = CLAMP[(attrs.activation as string | undefined) ?? 'linear'];
  if (!clamp || preluActivationWeights) return null;
  if ([x, filter, bias].some((t) => t != null && t.dtype !== 'float32')) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides as number | [number, number],
    (attrs.dilations as number | [number, number] | undefined) ?? 1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if (bias && tf.util.sizeFromShape(bias.shape) !== info.outChannels) return null;
  return { b: args.backend as WasmBackendLike, pool, x, filter, bias, clamp, info };
}

/** The SIMD path, or null when this call is not one it covers. */
function convolve(args: KernelArgs): TI | null {
  const call = simdConvCall(args, false);
  const [kh, kw, cin, cout] = args.inputs.filter!.shape as [number, number, number, number];
  if (!call || cout % 8 !== 0) return null;
  const { b, pool, x, filter, bias, clamp, info } = call;
  const { batchSize: n, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const packed = packFilter(b, pool, filter, kh * kw * cin, cout);
  const y = convolvePacked(
    b,
    pool,
    x,
    packed,
    { n, oh, ow, kh, kw, cin, cout, sh, sw, top: info.padInfo.top, left: info.padInfo.left },
    bias,
    clamp,
  );
  b.disposeData(packed.dataId);
  return y;
}

/** The geometry of a convolution for convolvePacked: output size, filter size, channels, strides and
 * the padding before the first row and column. */
export interface ConvGeometry {
  n: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  cin: number;
  cout: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/** y = clamp(bias + conv(x, filter)) by convForward, the filter already packed in strips of 8 output
 * channels ([cout/8, kh*kw*cin, 8]); returns y ([n, oh, ow, cout]), which the caller owns. Also the
 * input gradient of a stride-1 convolution (conv-input-grad.ts). */
export function convolvePacked(
  b: WasmBackendLike,
  pool: SimdKernelPool,
  x: TI,
  packed: TI,
  g: ConvGeometry,
  bias?: TI,
  clamp: [number, number] = CLAMP.linear!,
): TI {
  const { n, oh, ow, kh, kw, cin, cout, sh, sw, top, left } = g;
  const y = b.makeOutput([n, oh, ow, cout], 'float32');
  const pb = bias ? ptr(b, bias) : 0;
  const [lo, hi] = [f32Bits(clamp[0]), f32Bits(clamp[1])];
  const pp = ptr(b, packed);
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0 && x.shape[1] === oh && x.shape[2] === ow;
  // A 1x1, stride-1 convolution of x's own size reads x as it is: each image is one row of h*w pixels.
  const [rows, cols, hp, wp] = pointwise ? [1, oh * ow, 1, oh * ow] : [oh, ow, (oh - 1) * sh + kh, (ow - 1) * sw + kw];
  const xp = pointwise ? x : padInput(b, pool, x, hp, wp, top, left);
  // Scratch for the kernel's table of window offsets, one per output pixel (see convForward).
  const pix = b.makeOutput([n * rows * cols], 'int32');
  const [px, py, ppix] = [ptr(b, xp), ptr(b, y), ptr(b, pix)];
  pool.parallel('convForward', n * rows, (_, from, to) => [
    px,
    pp,
    pb,
    py,
    from,
    to,
    rows,
    cols,
    hp,
    wp,
    cin,
    cout,
    kh,
    kw * cin,
    sh,
    sw,
    lo,
    hi,
    ppix,
  ]);
  b.disposeData(pix.dataId);
  if (xp !== x) b.disposeData(xp.dataId);
  return y;
}

/** Conv2D on emoc's kernel where it covers the call, else the stock kernel. */
export function conv2D(args: KernelArgs): TI {
  return convolve(args) ?? (stockKernel('Conv2D')(args) as TI);
}

/** FusedConv2D (bias, relu/relu6/linear) on emoc's kernel where it covers the call, else the stock kernel. */
export function fusedConv2D(args: KernelArgs): TI {
  return convolve(args) ?? (stockKernel('FusedConv2D')(args) as TI);
}
