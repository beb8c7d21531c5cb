// 1x1, stride-1 convolutions (MobileNet's pointwise layers, most of a backbone's time) on emoc's SIMD
// kernel pointwiseConv: a 4x8 register tile over the whole reduction, the filter packed in strips of
// 8 output channels, bias and relu/relu6 applied before the store. Measured against the stock
// XNNPACK path on 32 images, 2 threads: 52-62 -> 61-79 GFLOPS (npx tsx bench/mobilenet.ts).
// Replaces Conv2D and FusedConv2D on wasm for that case only; everything else goes to the stock
// kernels.

import * as tf from '@tensorflow/tfjs-core';
import { ptr, simd, type WasmBackendLike } from './heap.ts';

type TI = tf.TensorInfo;
type KernelArgs = Parameters<tf.KernelFunc>[0];

const CLAMP: Record<string, [number, number]> = {
  linear: [-Infinity, Infinity],
  relu: [0, Infinity],
  relu6: [0, 6],
};

const stock = new Map<string, tf.KernelFunc>();

/** The bits of v as a float32, as an int32 (kernel arguments are integers). */
const bitsView = new DataView(new ArrayBuffer(4));
function f32Bits(v: number): number {
  bitsView.setFloat32(0, v);
  return bitsView.getInt32(0);
}

/** The pointwise path, or null when this call is not one it covers. */
function pointwise(args: KernelArgs): TI | null {
  const { x, filter, bias, preluActivationWeights } = args.inputs as { x: TI; filter: TI; bias?: TI; preluActivationWeights?: TI };
  const attrs = args.attrs as { strides: number | [number, number]; pad: unknown; dataFormat?: string; dilations?: number | [number, number]; activation?: string };
  const pool = simd(args.backend as tf.KernelBackend);
  if (!pool || x.shape.length !== 4 || (attrs.dataFormat ?? 'NHWC') !== 'NHWC') return null;
  const [kh, kw, cin, cout] = filter.shape;
  const ones = (v: number | [number, number] | undefined) => v == null || (Array.isArray(v) ? v.every((d) => d === 1) : v === 1);
  if (kh !== 1 || kw !== 1 || !ones(attrs.strides) || !ones(attrs.dilations) || !(attrs.pad === 'same' || attrs.pad === 'valid')) return null;
  const clamp = CLAMP[attrs.activation ?? 'linear'];
  if (!clamp || preluActivationWeights || cout! % 8 !== 0 || cin! < 1) return null;
  if (bias && tf.util.sizeFromShape(bias.shape) !== cout) return null;
  if ([x, filter, bias].some((t) => t != null && t.dtype !== 'float32')) return null;
  const b = args.backend as WasmBackendLike;
  const [n, h, w] = x.shape as [number, number, number, number];
  const m = n * h * w;
  const packed = b.makeOutput([cout!, cin!], 'float32');
  const y = b.makeOutput([n, h, w, cout!], 'float32');
  const [px, pf, pp, py, pb] = [ptr(b, x), ptr(b, filter), ptr(b, packed), ptr(b, y), bias ? ptr(b, bias) : 0];
  pool.parallel('packStrips8', cout! / 8, (_, from, to) => [pf, pp, from, to, cin!, cout!]);
  // Shares in whole 4-row tiles.
  pool.parallel('pointwiseConv', Math.ceil(m / 4), (_, from, to) => [px, pp, pb, py, from * 4, Math.min(to * 4, m), cin!, cout!, f32Bits(clamp[0]), f32Bits(clamp[1])]);
  b.disposeData(packed.dataId);
  return y;
}

function register(name: 'Conv2D' | 'FusedConv2D'): void {
  const k = tf.getKernel(name, 'wasm');
  if (!k || stock.has(name)) return;
  stock.set(name, k.kernelFunc);
  tf.unregisterKernel(name, 'wasm');
  // Keep the stock setupFunc: it binds the wasm function the stock kernel (our fallback) calls.
  tf.registerKernel({ ...k, kernelFunc: ((args: KernelArgs) => pointwise(args) ?? stock.get(name)!(args)) as tf.KernelFunc });
}

/** Routes 1x1 stride-1 convolutions (plain and fused) on wasm through pointwiseConv (once). */
export function registerWasmPointwiseConv(): void {
  register('Conv2D');
  register('FusedConv2D');
}
