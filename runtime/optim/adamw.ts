// AdamW: the decoupled decay step, then the (fused on wasm) Adam update of EmocAdamOptimizer. Its
// state, class name and checkpoints are Adam's: the decay keeps none.

import { EmocAdamOptimizer } from '../backend/wasm/adam.ts';
import { applyDecoupledDecay } from './decoupled-decay.ts';

export class AdamWOptimizer extends EmocAdamOptimizer {
  constructor(
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    readonly weightDecay: number,
  ) {
    super(learningRate, beta1, beta2, epsilon);
  }

  override applyGradients(variableGradients: Parameters<EmocAdamOptimizer['applyGradients']>[0]): void {
    applyDecoupledDecay(variableGradients, this.learningRate, this.weightDecay);
    super.applyGradients(variableGradients);
  }
}
