// Access to the tfjs wasm backend's heap for emoc's kernels: tensor pointers, zeroed outputs, the
// backend's WebAssembly.Memory and the SIMD kernel pool that runs on it.

import * as tf from '@tensorflow/tfjs-core';
import { simdKernelsFor, type SimdKernelPool } from './simd-kernels.ts';

type TI = tf.TensorInfo;

/** The parts of BackendWasm these kernels use. */
export interface WasmBackendLike extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number | null, values?: tf.backend_util.TypedArray): TI;
  typedArrayFromHeap(t: TI): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  /** The emscripten module: `wasmMemory` in the threaded build, `asm.memory` in the plain one. */
  wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
}

/** The WebAssembly.Memory holding a wasm backend's tensors (undefined for other backends). */
export function wasmBackendMemory(backend: tf.KernelBackend | undefined): WebAssembly.Memory | undefined {
  const m = (backend as WasmBackendLike | undefined)?.wasm;
  return m?.wasmMemory ?? m?.asm?.memory;
}

/** emoc's SIMD kernels for this backend's memory, or null (composed kernels are used instead). */
export function simd(backend: tf.KernelBackend): SimdKernelPool | null {
  return simdKernelsFor(wasmBackendMemory(backend));
}

/** Byte offset of a tensor's data in the wasm heap. */
export function ptr(backend: WasmBackendLike, t: TI): number {
  const d = backend.dataIdMap.get(t.dataId);
  // internal: emoc's kernels run only on the wasm backend, so every tensor they get lives in its heap.
  if (!d) throw new Error('tensor is not on the wasm backend');
  return d.memoryOffset;
}

/** The bits of v as a float32, as an int32 (kernel arguments are integers: pass floats this way). */
const bitsView = new DataView(new ArrayBuffer(4));
export function f32Bits(v: number): number {
  bitsView.setFloat32(0, v);
  return bitsView.getInt32(0);
}

/** A float32 output of `shape`, zero-filled. */
export function zerosOnHeap(backend: WasmBackendLike, shape: number[]): TI {
  const t = backend.makeOutput(shape, 'float32');
  backend.typedArrayFromHeap(t).fill(0);
  return t;
}

/**
 * Registers `make(stock)` as the wasm kernel `name`, over the stock kernel if there is one (passed to
 * `make` as the fallback, null otherwise). Returns the stock kernel function. The stock setupFunc is
 * kept: it binds the wasm function the stock kernel calls.
 */
export function replaceWasmKernel(name: string, make: (stock: tf.KernelFunc | null) => tf.KernelFunc): tf.KernelFunc | null {
  const existing = tf.getKernel(name, 'wasm');
  if (existing) tf.unregisterKernel(name, 'wasm');
  const stock = existing?.kernelFunc ?? null;
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: make(stock),
    setupFunc: existing?.setupFunc,
    disposeFunc: existing?.disposeFunc,
  });
  return stock;
}
