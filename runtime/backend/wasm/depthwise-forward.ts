// Depthwise convolutions (DepthwiseConv2dNative, and FusedDepthwiseConv2D with bias and relu/relu6/linear:
// every separable block of a MobileNet-style backbone) on emoc's SIMD kernel (assembly/kernels.ts,
// depthwiseForward), split across the kernel pool's threads: each output pixel sums the taps of its
// window that fall inside the input (no padded copy), 32 channels at a time. The stock kernel runs on
// XNNPACK's thread pool, which select.ts keeps at one thread (see there). Channel multipliers above 1,
// dilation, channel counts that are not a multiple of 4, NCHW and other dtypes go to the stock kernels.
import { simdConvCall } from './conv-forward.ts';
import { f32Bits, ptr } from './heap.ts';
import { stockKernel, type KernelArgs, type TI } from './ops.ts';
import { grainFor } from './simd-kernels.ts';

/** The SIMD path, or null when this call is not one it covers. */
function depthwise(args: KernelArgs): TI | null {
  const call = simdConvCall(args, true);
  const [kh, kw, cin, multiplier] = args.inputs.filter!.shape as [number, number, number, number];
  if (!call || multiplier !== 1 || cin % 4 !== 0) return null;
  const { b, pool, x, filter, bias, clamp, info } = call;
  const { batchSize: n, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const [h, w] = [info.inHeight, info.inWidth];
  const y = b.makeOutput([n, oh, ow, cin], 'float32');
  const [lo, hi] = [f32Bits(clamp[0]), f32Bits(clamp[1])];
  const [px, pw, pb, py] = [ptr(b, x), ptr(b, filter), bias ? ptr(b, bias) : 0, ptr(b, y)];
  const { top, left } = info.padInfo;
  pool.parallel(
    'depthwiseForward',
    n * oh,
    (_, from, to) => [px, pw, pb, py, from, to, oh, ow, h, w, cin, kh, kw, sh, sw, top, left, lo, hi],
    grainFor(ow * cin * kh * kw),
  );
  return y;
}

/** DepthwiseConv2dNative on emoc's kernel where it covers the call, else the stock kernel. */
export function depthwiseConv2D(args: KernelArgs): TI {
  return depthwise(args) ?? (stockKernel('DepthwiseConv2dNative')(args) as TI);
}

/** FusedDepthwiseConv2D (bias, relu/relu6/linear) on emoc's kernel where it covers the call, else the stock kernel. */
export function fusedDepthwiseConv2D(args: KernelArgs): TI {
  return depthwise(args) ?? (stockKernel('FusedDepthwiseConv2D')(args) as TI);
}
