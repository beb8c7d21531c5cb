// Backend selection: forced backends, missing optional packages, repeated calls, run metadata.

import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { currentBackendInfo, currentBackendThreads, selectBackend } from '../runtime/backend/select.ts';
import { WASM_TRAINING_KERNELS } from '../runtime/backend/wasm-kernels.ts';

const require = createRequire(import.meta.url);
function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

describe('selectBackend', () => {
  it('wasm: SIMD, the requested threads, versions, training kernels registered', async () => {
    const info = await selectBackend({ prefer: 'wasm', threads: 2 });
    expect(info.name).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(2);
    expect(info.emocKernels).toBe('fma'); // relaxed SIMD: Node 20 gets it through a V8 flag
    expect(info.versions['tfjs-core']).toBe(tf.version_core);
    expect(info.versions['tfjs-backend-wasm']).toBeTruthy();
    for (const k of WASM_TRAINING_KERNELS) expect(tf.getKernel(k, 'wasm'), k).toBeDefined();
    // Two threads really compute: a convolution gives the same answer as on one thread's cpu backend.
    const y = tf.tidy(() => tf.sum(tf.conv2d(tf.ones([2, 16, 16, 8]) as tf.Tensor4D, tf.ones([3, 3, 8, 4]) as tf.Tensor4D, 1, 'valid')).dataSync()[0]);
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

  it.skipIf(installed('@tensorflow/tfjs-node'))('forcing tfjs-node when it is not installed names the package', async () => {
    await expect(selectBackend({ prefer: 'tensorflow' })).rejects.toThrow(/@tensorflow\/tfjs-node/);
  });

  it.skipIf(installed('@tensorflow/tfjs-node-gpu'))('forcing tfjs-node-gpu without it (or without CUDA) is a clear error', async () => {
    await expect(selectBackend({ prefer: 'tensorflow-gpu' })).rejects.toThrow(/tfjs-node-gpu/);
  });

  it('auto picks the fastest installed backend', async () => {
    const info = await selectBackend({ prefer: 'auto', threads: 2 });
    expect(info.name).toBe(installed('@tensorflow/tfjs-node') ? 'tensorflow' : 'wasm');
  });

  it('rejects an unknown backend name', async () => {
    await expect(selectBackend({ prefer: 'webgl' as never })).rejects.toThrow(/Unknown backend/);
  });
});
