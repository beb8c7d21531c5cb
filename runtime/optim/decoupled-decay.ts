// Decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"): before the
// optimizer's own update, every decayed weight is multiplied by 1 - lr_t * wd, as PyTorch's AdamW
// does (p.mul_(1 - lr * weight_decay) before the Adam step). The decay is not part of the gradient,
// so Adam's moments never see it. Only weights of rank >= 2 (conv and dense kernels) decay: biases
// and batch-norm gamma/beta (rank 1) are left alone, the common choice (timm, fast.ai) since
// shrinking a scale or an offset towards zero does not regularise the function the way shrinking a
// kernel does. The decay has no state: checkpoints hold exactly the underlying optimizer's.

import * as tf from '@tensorflow/tfjs-core';

type VariableGradients = Parameters<tf.Optimizer['applyGradients']>[0];

/** Names of the variables that get a gradient in this step. */
function gradientNames(variableGradients: VariableGradients): string[] {
  if (Array.isArray(variableGradients)) return variableGradients.filter((v) => v.tensor != null).map((v) => v.name);
  return Object.entries(variableGradients)
    .filter(([, g]) => g != null)
    .map(([name]) => name);
}

/** Whether a variable decays: rank >= 2 (kernels), not biases or batch-norm parameters. */
export function decays(v: tf.Variable): boolean {
  return v.rank >= 2;
}

/** w <- w * (1 - lr * wd) for every decayed variable with a gradient in this step. */
export function applyDecoupledDecay(variableGradients: VariableGradients, learningRate: number, weightDecay: number): void {
  if (weightDecay === 0) return;
  const factor = 1 - learningRate * weightDecay;
  tf.tidy(() => {
    const f = tf.scalar(factor);
    for (const name of gradientNames(variableGradients)) {
      const v = tf.engine().registeredVariables[name];
      if (v && decays(v)) v.assign(tf.mul(v, f));
    }
  });
}
