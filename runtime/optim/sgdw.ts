// SGD (with momentum, optionally Nesterov) and decoupled weight decay: the decay step, then tfjs'
// momentum update. Unlike an L2 term in the loss, the decay does not pass through the momentum
// buffer. State and checkpoints are those of tfjs' MomentumOptimizer.

import * as tf from '@tensorflow/tfjs-core';
import { applyDecoupledDecay } from './decoupled-decay.ts';

export class SgdwOptimizer extends tf.MomentumOptimizer {
  constructor(
    learningRate: number,
    momentum: number,
    nesterov: boolean,
    readonly weightDecay: number,
  ) {
    super(learningRate, momentum, nesterov);
  }

  override applyGradients(variableGradients: Parameters<tf.MomentumOptimizer['applyGradients']>[0]): void {
    applyDecoupledDecay(variableGradients, this.learningRate, this.weightDecay);
    super.applyGradients(variableGradients);
  }
}
