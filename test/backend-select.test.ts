// Backend selection: forced backends, missing optional packages, repeated calls, run metadata.

import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { cudaPresent, currentBackendInfo, currentBackendThreads, selectBackend } from '../runtime/backend/select.ts';
import { WASM_GRADIENTS, WASM_KERNELS } from '../runtime/backend/wasm/registry.ts';
import { BackendError } from '../runtime/errors.ts';
import { engineHasRelaxedSimd } from './wasm-relaxed-probe.ts';

const require = createRequire(import.meta.url);
/** Whether an optional native backend package really loads: npm tolerates a failed optional
 * dependency, so its folder may be there without the native library. */
function loads(pkg: string): boolean {
  try {
    require(pkg);
    return true;
  } catch {
    return false;
  }
}
const nativeLoads = loads('@tensorflow/tfjs-node');

describe('selectBackend', () => {
  it('wasm: SIMD, the requested threads, versions, training kernels registered', async () => {
    const info = await selectBackend({ prefer: 'wasm', threads: 2 });
    expect(info.name).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(2);
    // The fused-multiply-add build exactly where the engine accepts relaxed SIMD (asked with a module
    // of its own; on Node 20 the pool has turned on V8's flag by now), else the plain one.
    expect(['fma', 'plain']).toContain(info.emocKernels);
    expect(info.emocKernels).toBe(engineHasRelaxedSimd() ? 'fma' : 'plain');
    expect(info.versions['tfjs-core']).toBe(tf.version_core);
    expect(info.versions['tfjs-backend-wasm']).toBeTruthy();
    // emoc's own functions are the registered ones (a stock kernel of the same name would not do).
    for (const { name, kernelFunc } of WASM_KERNELS) expect(tf.getKernel(name, 'wasm')?.kernelFunc, name).toBe(kernelFunc);
    for (const g of WASM_GRADIENTS) expect(tf.getGradient(g.kernelName)?.gradFunc, g.kernelName).toBe(g.gradFunc);
    // Two threads really compute: a convolution gives the same answer as on one thread's cpu backend.
    const y = tf.tidy(
      () => tf.sum(tf.conv2d(tf.ones([2, 16, 16, 8]) as tf.Tensor4D, tf.ones([3, 3, 8, 4]) as tf.Tensor4D, 1, 'valid')).dataSync()[0],
    );
    expect(y).toBe(2 * 14 * 14 * 4 * 72);
  });

  it('calling it again is harmless and keeps the backend and its tensors', async () => {
    const t = tf.tensor1d([1, 2, 3]);
    const again = await selectBackend({ prefer: 'wasm', threads: 2 });
    expect(again.name).toBe('wasm');
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3]);
    t.dispose();
    expect(currentBackendInfo()).toEqual(again);
    expect(currentBackendThreads()).toBe(2);
  });

  it('cpu can be forced, and wasm selected again afterwards', async () => {
    expect((await selectBackend({ prefer: 'cpu' })).name).toBe('cpu');
    expect(currentBackendThreads()).toBe(1);
    expect((await selectBackend({ prefer: 'wasm', threads: 2 })).name).toBe('wasm');
  });

  it('forcing tfjs-node gives its backend where it loads, else a BackendError that names the package', async () => {
    const r = await selectBackend({ prefer: 'tensorflow' }).catch((err: unknown) => err);
    if (nativeLoads) {
      expect((r as { name: string }).name).toBe('tensorflow');
      return;
    }
    expect(r).toBeInstanceOf(BackendError);
    expect((r as BackendError).message).toMatch(/@tensorflow\/tfjs-node/);
    expect((r as BackendError).hint).toMatch(/npm install @tensorflow\/tfjs-node@/);
  });

  it('forcing tfjs-node-gpu without CUDA is a BackendError that names the package', async () => {
    if (cudaPresent()) return; // the GPU machine's case is the one above, through CUDA
    const e = await selectBackend({ prefer: 'tensorflow-gpu' }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BackendError);
    expect((e as BackendError).message).toMatch(/tfjs-node-gpu/);
  });

  it('auto picks the fastest installed backend', async () => {
    const info = await selectBackend({ prefer: 'auto', threads: 2 });
    expect(info.name).toBe(nativeLoads ? 'tensorflow' : 'wasm');
  });

  it('rejects an unknown backend name', async () => {
    const e = await selectBackend({ prefer: 'webgl' as never }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BackendError);
    expect((e as BackendError).message).toMatch(/Unknown backend 'webgl'/);
    expect((e as BackendError).hint).toMatch(/wasm/);
  });
});
