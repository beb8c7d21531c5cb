// Relu's gradient on the wasm backend as one SIMD pass (runtime/backend/wasm/assembly/kernels.ts,
// reluGrad) instead of tfjs' Step + Cast + Multiply (three passes and two temporaries; ~10 ms of an
// S1 step). tfjs keeps gradients in one registry for every backend, so the override below keeps the
// stock formula, dy * step(x), wherever the kernel cannot run.

import * as tf from '@tensorflow/tfjs-core';
import { ptr, simd, type WasmBackendLike } from './heap.ts';
import { grainFor } from './simd-kernels.ts';

export const RELU_GRAD = 'EmocReluGrad';

type TI = tf.TensorInfo;

export function reluGradKernel({ inputs, backend }: Parameters<tf.KernelFunc>[0]): TI {
  const { dy, x } = inputs as { dy: TI; x: TI };
  const b = backend as WasmBackendLike;
  const pool = simd(b)!;
  const dx = b.makeOutput(x.shape, 'float32');
  const size = tf.util.sizeFromShape(x.shape);
  const blocks = Math.floor(size / 4);
  const [pdy, px, pdx] = [ptr(b, dy), ptr(b, x), ptr(b, dx)];
  // Shares in whole blocks of 4 elements; the last size % 4 are done here.
  pool.parallel('reluGrad', blocks, (_, from, to) => [pdy, px, pdx, from * 4, to * 4], grainFor(4));
  if (size % 4) {
    const [dyv, xv, dxv] = [b.typedArrayFromHeap(dy), b.typedArrayFromHeap(x), b.typedArrayFromHeap(dx)];
    for (let i = blocks * 4; i < size; i++) dxv[i] = Number.isNaN(xv[i]!) ? NaN : xv[i]! > 0 ? dyv[i]! : 0;
  }
  return dx;
}

function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const fast = tf.getBackend() === 'wasm' && x.dtype === 'float32' && dy.dtype === 'float32' && simd(tf.backend()) != null;
  if (fast) return tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor;
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

/** Relu's gradient for every backend: the wasm kernel above where it runs, else tfjs' own formula. */
export const reluGradient: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    return { x: () => reluGrad(dy as tf.Tensor, x) };
  },
};
