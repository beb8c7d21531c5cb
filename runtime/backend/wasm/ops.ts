// A small toolbox for emoc's wasm kernels that are composed from stock kernels: run a stock kernel by
// name, free the intermediates, the conv geometry of a call, and the SIMD window copy (pad / crop).
// Every kernel takes and returns TensorInfos and frees its intermediates with backend.disposeData, as
// the stock wasm kernels do.

import * as tf from '@tensorflow/tfjs-core';
import type { SimdKernelPool } from './simd-kernels.ts';
import { ptr, type WasmBackendLike } from './heap.ts';
import { grainFor } from './simd-kernels.ts';

export type TI = tf.TensorInfo;
export type Attrs = Record<string, unknown>;
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Stock kernel functions, captured by the registry (registry.ts) before it registers over them. */
const stock = new Map<string, tf.KernelFunc>();

/** Records the stock kernel `name` (called by the registry, once per kernel it replaces). */
export function setStockKernel(name: string, kernelFunc: tf.KernelFunc): void {
  stock.set(name, kernelFunc);
}

/** The stock kernel `name` (emoc's replacements fall back to it), else whatever wasm has registered. */
export function stockKernel(name: string): tf.KernelFunc {
  const own = stock.get(name);
  if (own) return own;
  const k = tf.getKernel(name, 'wasm');
  // internal: every name asked for here is a kernel tfjs-backend-wasm ships.
  if (!k) throw new Error(`wasm kernel ${name} is not registered`);
  return k.kernelFunc;
}

/** A small toolbox bound to one backend: each call runs one stock wasm kernel and returns its output. */
export class Ops {
  private readonly temps: TI[] = [];
  constructor(readonly backend: WasmBackendLike) {}

  run(name: string, inputs: Record<string, TI>, attrs: Attrs = {}): TI {
    const out = stockKernel(name)({ inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs: attrs as tf.NamedAttrMap });
    const t = (Array.isArray(out) ? out[0] : out) as TI;
    this.temps.push(t);
    return t;
  }
  /** Frees every intermediate except `keep`. */
  finish(keep: TI): TI {
    // Each temp holds one reference (a reshape's output shares its input's data with a reference of
    // its own), so dropping every temp but `keep` frees exactly what this kernel allocated.
    for (const t of this.temps) if (t !== keep) this.backend.disposeData(t.dataId);
    // An output that is one of the kernel's inputs must own a reference of its own.
    if (!this.temps.includes(keep)) this.backend.incRef(keep.dataId);
    return keep;
  }
  /** Tracks an output made outside `run` (freed by finish unless it is the result). */
  keep(t: TI): TI {
    this.temps.push(t);
    return t;
  }
  scalar(v: number): TI {
    const t = this.backend.makeOutput([], 'float32', null, Float32Array.of(v));
    this.temps.push(t);
    return t;
  }
  zeros(shape: number[]): TI {
    const t = this.backend.makeOutput(shape, 'float32', null, new Float32Array(tf.util.sizeFromShape(shape)));
    this.temps.push(t);
    return t;
  }
  reshape(x: TI, shape: number[]): TI {
    return this.run('Reshape', { x }, { shape });
  }
  transpose(x: TI, perm: number[]): TI {
    if (perm.every((p, i) => p === i)) return x;
    return this.run('Transpose', { x }, { perm });
  }
  pad(x: TI, paddings: Array<[number, number]>): TI {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }
  slice(x: TI, begin: number[], size: number[]): TI {
    if (begin.every((b) => b === 0) && size.every((s, i) => s === x.shape[i])) return x;
    return this.run('Slice', { x }, { begin, size });
  }
  conv2d(x: TI, filter: TI, strides: [number, number], dilations: [number, number]): TI {
    return this.run('Conv2D', { x, filter }, { strides, pad: 'valid', dataFormat: 'NHWC', dilations, dimRoundingMode: undefined });
  }
  matMul(a: TI, b: TI, transposeA = false, transposeB = false): TI {
    return this.run('BatchMatMul', { a, b }, { transposeA, transposeB });
  }
}

export function convInfo(xShape: number[], filterShape: number[], attrs: Attrs, depthwise: boolean): tf.backend_util.Conv2DInfo {
  const dataFormat = tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC');
  // internal: emoc builds every model channels-last, and the gradients come from its own layers.
  if (dataFormat !== 'channelsLast') throw new Error('wasm training kernels support NHWC only');
  const dilations = (attrs.dilations as number | [number, number] | undefined) ?? 1;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    dilations,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
    dataFormat,
  );
}

/** The geometry of a pooling call (MaxPool, AvgPool and their gradients) on an [N, H, W, C] input. */
export function poolInfo(xShape: number[], attrs: Attrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as number | [number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
}

/** x ([N, H, W, C]) as the window [N, dh, dw, C] starting at (oy, ox), zeros outside x (negative
 * offsets pad, positive ones crop), by emoc's SIMD copy kernel. */
export function windowBySimd(o: Ops, pool: SimdKernelPool, x: TI, dh: number, dw: number, oy: number, ox: number): TI {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  if (dh === h && dw === w && oy === 0 && ox === 0) return x;
  const b = o.backend;
  const out = o.keep(b.makeOutput([n, dh, dw, c], x.dtype));
  const [px, pout] = [ptr(b, x), ptr(b, out)];
  pool.parallel('copyWindow', n * dh, (_, from, to) => [px, pout, from, to, h, w, dh, dw, c, oy, ox], grainFor(dw * c));
  return out;
}
