// IR layers -> a tfjs-layers model. Weight initialisers and dropout are seeded from the run's seed so
// the same seed and backend give the same numbers.

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Activation, ExperimentIR, LayerIR } from '../compiler/ir.ts';
import { BATCH_NORM } from '../compiler/defaults.ts';
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

/**
 * Where a layer sits in the IR: its index in `layers`, then its index inside each residual body around
 * it. Layer names and initialiser seeds are made from it, so the same IR always gives the same names
 * (saved models, checkpoints and resume rely on that) and every layer its own initial weights.
 */
type LayerPath = readonly number[];

/** Prefix of every tfjs layer made for the IR layer at `path`, e.g. l3 or l3_1 (body layer 1 of the residual l3). */
function layerName(path: LayerPath): string {
  return `l${path.join('_')}`;
}

/**
 * Initialiser / dropout seed of one layer. Top-level layers keep seed * 1000 + index, the scheme emoc
 * used before residuals, so plain specs start from the same weights as before; layers inside residual
 * bodies (and projections, `part`) get a 31-bit FNV-1a hash of seed and path, distinct per layer.
 */
function layerSeed(seed: number, path: LayerPath, part = ''): number {
  if (path.length === 1 && !part) return seed * 1000 + path[0]!;
  let h = 0x811c9dc5;
  for (const ch of `${seed}/${path.join('.')}/${part}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h & 0x7fffffff;
}

function activationLayers(fn: Activation, name: string): tfl.layers.Layer[] {
  if (fn === 'leakyrelu') return [tfl.layers.leakyReLU({ alpha: 0.2, name })];
  return [tfl.layers.activation({ activation: fn as TfActivation, name })];
}

/** Dense/conv activation: leaky ReLU has no string form in tfjs, so it becomes its own layer. */
function splitActivation(fn: Activation, name: string): { inline: TfActivation; after: tfl.layers.Layer[] } {
  return fn === 'leakyrelu' ? { inline: 'linear', after: activationLayers(fn, name) } : { inline: fn as TfActivation, after: [] };
}

function batchNorm(momentum: number, epsilon: number, name: string): tfl.layers.Layer {
  return new FusedBatchNormalization({ momentum, epsilon, name });
}

type PlainLayerIR = Exclude<LayerIR, { kind: 'residual' }>;

/** The tfjs layers of one IR layer that is not a residual, in order. */
function plainLayers(l: PlainLayerIR, seed: number, path: LayerPath): tfl.layers.Layer[] {
  const name = layerName(path);
  const init = () => tfl.initializers.glorotUniform({ seed: layerSeed(seed, path) });
  switch (l.kind) {
    case 'conv': {
      const a = splitActivation(l.activation, `${name}_act`);
      const conv = tfl.layers.conv2d({
        filters: l.filters,
        kernelSize: l.kernel,
        strides: l.stride,
        padding: l.padding,
        activation: a.inline,
        useBias: l.bias,
        kernelInitializer: init(),
        name: `${name}_conv`,
      });
      return [conv, ...a.after];
    }
    case 'fc': {
      const a = splitActivation(l.activation, `${name}_act`);
      return [
        tfl.layers.dense({ units: l.units, activation: a.inline, useBias: l.bias, kernelInitializer: init(), name: `${name}_fc` }),
        ...a.after,
      ];
    }
    case 'bn':
      return [batchNorm(l.momentum, l.epsilon, `${name}_bn`)];
    case 'maxpool':
      return [tfl.layers.maxPooling2d({ poolSize: l.size, strides: l.stride, padding: l.padding, name: `${name}_maxpool` })];
    case 'avgpool':
      return [tfl.layers.averagePooling2d({ poolSize: l.size, strides: l.stride, padding: l.padding, name: `${name}_avgpool` })];
    case 'globalavgpool':
      return [tfl.layers.globalAveragePooling2d({ name: `${name}_globalavgpool` })];
    case 'flatten':
      return [tfl.layers.flatten({ name: `${name}_flatten` })];
    case 'dropout':
      return [new SeededDropout({ rate: l.rate, seed: layerSeed(seed, path), name: `${name}_dropout` })];
    case 'activation':
      return activationLayers(l.fn, `${name}_act`);
    case 'l2norm':
      return [new L2Normalize({ name: `${name}_l2norm` })];
  }
}

function applyAll(layers: tfl.layers.Layer[], x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
  return x;
}

/**
 * y = activation(body(x) + shortcut(x)). The projection shortcut is a 1x1 conv without bias (the bn
 * after it has the offset) and a bn with the defaults of the language's bn, as the IR contract says.
 */
function applyResidual(
  l: Extract<LayerIR, { kind: 'residual' }>,
  x: tfl.SymbolicTensor,
  seed: number,
  path: LayerPath,
): tfl.SymbolicTensor {
  const name = layerName(path);
  const body = applyLayerList(l.body, x, seed, path);
  let shortcut = x;
  if (l.shortcut.kind === 'projection') {
    const conv = tfl.layers.conv2d({
      filters: l.shortcut.filters,
      kernelSize: 1,
      strides: l.shortcut.stride,
      padding: 'same',
      useBias: false,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: layerSeed(seed, path, 'proj') }),
      name: `${name}_proj_conv`,
    });
    shortcut = applyAll([conv, batchNorm(BATCH_NORM.momentum, BATCH_NORM.epsilon, `${name}_proj_bn`)], x);
  }
  const sum = tfl.layers.add({ name: `${name}_add` }).apply([body, shortcut]) as tfl.SymbolicTensor;
  return l.activation === 'linear' ? sum : applyAll(activationLayers(l.activation, `${name}_act`), sum);
}

/** Applies `layers` (the IR's, or a residual's body at `parent`) to x. */
function applyLayerList(layers: readonly LayerIR[], x: tfl.SymbolicTensor, seed: number, parent: LayerPath): tfl.SymbolicTensor {
  layers.forEach((l, i) => {
    const path = [...parent, i];
    x = l.kind === 'residual' ? applyResidual(l, x, seed, path) : applyAll(plainLayers(l, seed, path), x);
  });
  return x;
}

/**
 * The network the IR describes (the head alone when there is a backbone: it takes tap features), as a
 * functional tfjs-layers model: a plain stack is a chain, residuals branch and add. A chain computes
 * exactly what the sequential model emoc built before did (same layers, seeds and weight order).
 */
export function buildModel(ir: ExperimentIR, inputWidth?: number): tfl.LayersModel {
  const input = ir.backbone ? [inputWidth ?? ir.backbone.width ?? -1] : ir.shapes.input;
  // internal: the compiler infers every input shape, and the runner passes the backbone feed's width.
  if (input.some((d) => d < 1)) throw new Error(`model input shape unknown: ${input.join('x')}`);
  const x = tfl.input({ shape: input, name: 'input' });
  const y = applyLayerList(ir.layers, x, ir.train.seed, []);
  return tfl.model({ inputs: x, outputs: y, name: modelName(ir) });
}

function modelName(ir: ExperimentIR): string {
  return ir.name.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * A head on a fine-tuned backbone, as one model: images of `imageShape` in, the `backbone` layer
 * (runtime/finetune/graph-backbone-layer.ts: tap features out), then the IR's layers.
 */
export function buildModelOnBackbone(ir: ExperimentIR, imageShape: number[], backbone: tfl.layers.Layer): tfl.LayersModel {
  const x = tfl.input({ shape: imageShape, name: 'input' });
  const features = backbone.apply(x) as tfl.SymbolicTensor;
  const y = applyLayerList(ir.layers, features, ir.train.seed, []);
  return tfl.model({ inputs: x, outputs: y, name: modelName(ir) });
}

/** Does the model end in softmax (probabilities) or in raw scores (logits)? Decided by the compiler. */
export function outputsProbabilities(ir: ExperimentIR): boolean {
  return endsInSoftmax(ir.layers);
}
