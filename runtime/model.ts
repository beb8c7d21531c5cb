// IR layers -> a tfjs-layers model. Weight initialisers and dropout are seeded from the run's seed so
// the same seed and backend give the same numbers.

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Activation, ExperimentIR, LayerIR } from '../compiler/ir.ts';
import { endsInSoftmax } from '../compiler/softmax.ts';
import { FusedBatchNormalization } from './fused-batch-norm.ts';

/** L2-normalises the last axis: the write-up's embedding tap as a layer. */
export class L2Normalize extends tfl.layers.Layer {
  static className = 'EmocL2Normalize';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 1e-12));
      return tf.div(x, norm);
    });
  }
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }
}
tf.serialization.registerClass(L2Normalize);

/**
 * Dropout whose mask is seeded per training step. tfjs' own seeded dropout repeats the same mask on
 * every call, and its unseeded one is not reproducible; the trainer sets the step before each batch.
 */
let dropoutStep = 0;
export function setDropoutStep(step: number): void {
  dropoutStep = step;
}

export class SeededDropout extends tfl.layers.Layer {
  static className = 'EmocSeededDropout';
  readonly rate: number;
  readonly seed: number;
  constructor(config: { rate: number; seed: number; name?: string }) {
    super(config);
    this.rate = config.rate;
    this.seed = config.seed;
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs?.training || this.rate === 0) return tf.clone(x);
    return tf.dropout(x, this.rate, undefined, (this.seed * 7919 + dropoutStep) % 2147483647);
  }
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);

/** Every activation but leaky ReLU has a tfjs string form. */
type TfActivation = Exclude<Activation, 'leakyrelu'>;

function activationLayers(fn: Activation): tfl.layers.Layer[] {
  if (fn === 'leakyrelu') return [tfl.layers.leakyReLU({ alpha: 0.2 })];
  return [tfl.layers.activation({ activation: fn as TfActivation })];
}

/** Dense/conv activation: leaky ReLU has no string form in tfjs, so it becomes its own layer. */
function splitActivation(fn: Activation): { inline: TfActivation; after: tfl.layers.Layer[] } {
  return fn === 'leakyrelu' ? { inline: 'linear', after: activationLayers(fn) } : { inline: fn as TfActivation, after: [] };
}

export function buildLayers(layers: LayerIR[], seed: number): tfl.layers.Layer[] {
  const out: tfl.layers.Layer[] = [];
  layers.forEach((l, i) => {
    const init = () => tfl.initializers.glorotUniform({ seed: seed * 1000 + i });
    switch (l.kind) {
      case 'conv': {
        const a = splitActivation(l.activation);
        out.push(
          tfl.layers.conv2d({ filters: l.filters, kernelSize: l.kernel, strides: l.stride, padding: l.padding, activation: a.inline, useBias: l.bias, kernelInitializer: init() }),
          ...a.after,
        );
        break;
      }
      case 'fc': {
        const a = splitActivation(l.activation);
        out.push(tfl.layers.dense({ units: l.units, activation: a.inline, useBias: l.bias, kernelInitializer: init() }), ...a.after);
        break;
      }
      case 'bn':
        out.push(new FusedBatchNormalization({ momentum: l.momentum, epsilon: l.epsilon }));
        break;
      case 'maxpool':
        out.push(tfl.layers.maxPooling2d({ poolSize: l.size, strides: l.stride, padding: l.padding }));
        break;
      case 'avgpool':
        out.push(tfl.layers.averagePooling2d({ poolSize: l.size, strides: l.stride, padding: l.padding }));
        break;
      case 'globalavgpool':
        out.push(tfl.layers.globalAveragePooling2d({}));
        break;
      case 'flatten':
        out.push(tfl.layers.flatten());
        break;
      case 'dropout':
        out.push(new SeededDropout({ rate: l.rate, seed: seed * 1000 + i }));
        break;
      case 'activation':
        out.push(...activationLayers(l.fn));
        break;
      case 'l2norm':
        out.push(new L2Normalize({}));
        break;
    }
  });
  return out;
}

/** The network the IR describes (the head alone when there is a backbone: it takes tap features). */
export function buildModel(ir: ExperimentIR, inputWidth?: number): tfl.Sequential {
  const input = ir.backbone ? [inputWidth ?? ir.backbone.width ?? -1] : ir.shapes.input;
  // internal: the compiler infers every input shape, and the runner passes the backbone feed's width.
  if (input.some((d) => d < 1)) throw new Error(`model input shape unknown: ${input.join('x')}`);
  const model = tfl.sequential({ name: ir.name.replace(/[^A-Za-z0-9_]/g, '_') });
  model.add(tfl.layers.inputLayer({ inputShape: input }));
  for (const layer of buildLayers(ir.layers, ir.train.seed)) model.add(layer);
  return model;
}

/** Does the model end in softmax (probabilities) or in raw scores (logits)? Decided by the compiler. */
export function outputsProbabilities(ir: ExperimentIR): boolean {
  return endsInSoftmax(ir.layers);
}
