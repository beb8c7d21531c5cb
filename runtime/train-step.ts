// One training step: a batch in, the optimizer's update applied, the batch's loss and predicted
// classes out. The training loop (train.ts) and the benchmarks (bench/fer-sizes.ts) run this same
// code, so the bench measures what `emoc run` does per batch.

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { clipByGlobalNorm, smoothTargets } from './optim/recipe.ts';

/** Label smoothing and gradient clipping of the IR's train section (TrainIR). */
export interface StepRecipe {
  labelSmoothing: number;
  clipNorm: number | null;
  /**
   * Variables (by name) that learn at `factor` times the optimizer's rate: a fine-tuned backbone's. The
   * update is scaled, not the gradient, which for Adam, AdamW, SGD and momentum is exactly a parameter
   * group with rate lr * factor (their moments do not depend on the rate; the decoupled decay scales too).
   */
  scaled?: { names: string[]; factor: number };
}

export interface StepResult {
  /** Mean weighted cross-entropy of the batch. */
  loss: number;
  /** Arg-max class of each sample's output. */
  predicted: Int32Array;
}

/**
 * Mean over the batch of w[y] * cross-entropy against `targets` (one-hot, or smoothed); `probabilities`
 * says whether outputs are softmaxed (compiler/softmax.ts decides).
 */
function lossOf(output: tf.Tensor2D, targets: tf.Tensor2D, sampleWeights: tf.Tensor1D, probabilities: boolean): tf.Scalar {
  const logp = probabilities ? tf.log(tf.clipByValue(output, 1e-7, 1)) : tf.logSoftmax(output);
  const perSample = tf.neg(tf.sum(tf.mul(targets, logp), -1));
  return tf.mean(tf.mul(perSample, sampleWeights)) as tf.Scalar;
}

export class TrainStep {
  private readonly weights: tf.Tensor1D;

  constructor(
    private readonly model: tfl.LayersModel,
    private readonly optimizer: tf.Optimizer,
    /** Per-class loss weights in class order. */
    classWeights: number[],
    /** Whether the model's outputs are probabilities (ends in softmax) or logits. */
    private readonly probabilities: boolean,
    /** One sample's shape (without the batch). */
    private readonly inputShape: number[],
    private readonly recipe: StepRecipe = { labelSmoothing: 0, clipNorm: null },
  ) {
    this.weights = tf.keep(tf.tensor1d(classWeights));
  }

  /** Trains on n samples: x holds them in row-major order, y their class indices. */
  run(x: Float32Array, y: Int32Array, n: number): StepResult {
    const k = this.weights.shape[0];
    const [loss, predicted] = tf.tidy(() => {
      const xs = tf.tensor(x, [n, ...this.inputShape]);
      const labels = tf.tensor1d(y, 'int32');
      const oneHot = tf.oneHot(labels, k) as tf.Tensor2D;
      const sampleWeights = tf.gather(this.weights, labels) as tf.Tensor1D;
      // Intermediate tensors of the loss function are freed by minimize(), so the predictions are
      // taken (and kept) inside it.
      let predictions: tf.Tensor | null = null;
      // The variables are passed in the model's layer order: without a list, minimize() takes every
      // variable in the order it was created, which for a model with residual branches differs between
      // a built model and the same model loaded from a checkpoint, and the optimizer's moments (kept by
      // position) would then meet the wrong weights after --resume.
      const vars = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
      const targets = smoothTargets(oneHot, this.recipe.labelSmoothing);
      const f = () => {
        const out = this.model.apply(xs, { training: true }) as tf.Tensor2D;
        predictions = tf.keep(tf.argMax(out, -1));
        return lossOf(out, targets, sampleWeights, this.probabilities);
      };
      const { clipNorm } = this.recipe;
      const scaled = this.recipe.scaled && this.recipe.scaled.factor !== 1 ? this.recipe.scaled : null;
      const scaledVars = scaled ? vars.filter((v) => scaled.names.includes(v.name)) : [];
      const before = scaledVars.map((v) => tf.clone(v));
      let l: tf.Scalar;
      if (clipNorm === null) l = this.optimizer.minimize(f, true, vars)!;
      else {
        // minimize() is computeGradients + applyGradients; clipping goes between the two.
        const { value, grads } = this.optimizer.computeGradients(f, vars);
        this.optimizer.applyGradients(clipByGlobalNorm(grads, clipNorm));
        l = value;
      }
      // w <- w_before + factor * (w_after - w_before)
      scaledVars.forEach((v, i) => v.assign(tf.add(before[i]!, tf.mul(tf.sub(v, before[i]!), scaled!.factor))));
      const p = predictions!.dataSync() as Int32Array;
      predictions!.dispose();
      return [l.dataSync()[0]!, p] as const;
    });
    return { loss, predicted };
  }

  dispose(): void {
    this.weights.dispose();
  }
}
