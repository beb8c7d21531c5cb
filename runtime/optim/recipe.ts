// Loss-side training recipes: label smoothing of the targets and clipping of the gradients by their
// global norm. Both are tensor ops inside the step's tidy, with no readback.

import * as tf from '@tensorflow/tfjs-core';

/** (1 - e) * oneHot + e / k: each wrong class gets e/k, the right one 1 - e + e/k (Szegedy et al.). */
export function smoothTargets(oneHot: tf.Tensor2D, e: number): tf.Tensor2D {
  if (e === 0) return oneHot;
  const k = oneHot.shape[1];
  return tf.add(tf.mul(oneHot, 1 - e), e / k) as tf.Tensor2D;
}

/**
 * Every gradient times min(1, maxNorm / (norm + 1e-6)), norm being the L2 norm of all gradients
 * together (PyTorch's clip_grad_norm_): the direction of the whole update is kept. The norm is one
 * tensor computed from the per-variable sums of squares, and the scale stays on the backend.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  const names = Object.keys(grads);
  if (names.length === 0) return grads;
  const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!)))));
  const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, 1e-6)));
  const out: tf.NamedTensorMap = {};
  for (const n of names) out[n] = tf.mul(grads[n]!, scale);
  return out;
}
