// The IR's optimizer as a tfjs optimizer, and the one way to change its learning rate.

import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerIR } from '../../compiler/ir.ts';
import { EmocAdamOptimizer } from '../backend/wasm/adam.ts';
import { AdamWOptimizer } from './adamw.ts';
import { SgdwOptimizer } from './sgdw.ts';

export function makeOptimizer(o: OptimizerIR): tf.Optimizer {
  switch (o.kind) {
    case 'adam':
      // EmocAdamOptimizer is tfjs' Adam (same results, state and checkpoints) in one kernel per variable on wasm.
      return new EmocAdamOptimizer(o.lr, o.beta1, o.beta2, o.epsilon);
    case 'adamw':
      return new AdamWOptimizer(o.lr, o.beta1, o.beta2, o.epsilon, o.weightDecay);
    case 'sgd':
      // A run folder written before weight decay existed has no weightDecay: none.
      return o.weightDecay
        ? new SgdwOptimizer(o.lr, o.momentum, o.nesterov, o.weightDecay)
        : tf.train.momentum(o.lr, o.momentum, o.nesterov);
  }
}

/**
 * Sets the rate of the next update. tfjs' SGD and momentum optimizers apply a scalar made when the
 * rate is set (setLearningRate), so assigning `learningRate` alone would leave them at the first rate;
 * Adam reads the field on every step.
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // Not `instanceof tf.SGDOptimizer`: tfjs' optimizer classes answer instanceof by duck typing (every
  // optimizer, Adam included, is "an SGDOptimizer"), so the method itself is looked for.
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}
