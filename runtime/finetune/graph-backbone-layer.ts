// A pretrained graph backbone as one tfjs-layers layer, so a fine-tuned network is an ordinary
// LayersModel: the trainer's step, checkpoints, resume, the saved model, predict and eval all work on it
// unchanged. The layer's weights are only the tuned blocks (tf.Variables the optimizer updates, saved with
// the model); the frozen part stays the graph's constants, found again from the package by content hash
// (prepare.ts), so a run folder does not hold the untouched pretrained network again.
//
// Input: raw pixels 0..255, [n, h, w, c] at the data's size. The layer resizes to the backbone's input,
// applies the backbone's preprocessing and returns the concatenated taps [n, width]. Batch norm inside the
// graph always runs in inference mode with its stored statistics (folded into Mul/Add in faceres):
// fine-tuning on small batches of faces would otherwise wreck statistics learnt on millions.

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { preprocess } from '../backbones/preprocess.ts';
import { tapValues } from '../backbones/taps.ts';
import { preparedFor, type BackboneRef, type PreparedBackbone } from './prepare.ts';

/**
 * The ref travels through the saved model.json as hex: tfjs-layers snake-cases every string in a layer
 * config when saving (toSnakeCase), which would mangle node names and paths such as
 * 'StatefulPartitionedCall/model_1/...'; lowercase hex passes through unchanged.
 */
function encodeRef(ref: BackboneRef): string {
  return Buffer.from(JSON.stringify(ref), 'utf8').toString('hex');
}
export function decodeRef(hex: string): BackboneRef {
  return JSON.parse(Buffer.from(hex, 'hex').toString('utf8')) as BackboneRef;
}

/** A graph weight name as a layer weight name: tfjs-layers reads '/' as a scope separator. */
function weightName(i: number, graphName: string): string {
  return `w${i}_${graphName.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

export class GraphBackbone extends tfl.layers.Layer {
  static className = 'EmocGraphBackbone';
  readonly ref: BackboneRef;
  private readonly backbone: PreparedBackbone;
  /** Layer variables by graph weight name, made in build(). */
  private variables = new Map<string, tfl.LayerVariable>();

  constructor(config: { ref: BackboneRef | string; name?: string; trainable?: boolean }) {
    super(config);
    this.ref = typeof config.ref === 'string' ? decodeRef(config.ref) : config.ref;
    this.backbone = preparedFor(this.ref);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const { graph, trainable } = this.backbone;
    trainable.forEach((graphName, i) => {
      const value = graph.weight(graphName);
      const v = this.addWeight(weightName(i, graphName), value.shape, 'float32', tfl.initializers.zeros(), undefined, true);
      // The pretrained value is the starting point; a loaded model overwrites it with the tuned one.
      v.write(value);
      this.variables.set(graphName, v);
    });
    super.build(inputShape);
  }

  /** The tuned weights by their graph names (the layer's own weight names are made unique by tfjs). */
  tunedWeights(): ReadonlyMap<string, tfl.LayerVariable> {
    return this.variables;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [h, w, c] = this.ref.input;
      // halfPixelCenters=false, as the frozen path (runtime/backbones/load.ts) resizes.
      const sized = x.shape[1] === h && x.shape[2] === w ? x : tf.image.resizeBilinear(x, [h, w], false);
      const fed = preprocess(this.ref.preprocess, sized, c);
      const overrides = new Map<string, tf.Tensor>([...this.variables].map(([name, v]) => [name, v.read()]));
      const { graph, nodes, spec, plans, frontier } = this.backbone;
      let values: tf.Tensor[];
      if (frontier.length === 1 && frontier[0] !== graph.inputName) {
        // The frozen blocks run as one custom-gradient op: tfjs does not record the ops inside one on the
        // gradient tape, so their activations are freed at once instead of kept for a backward pass they
        // have no part in (about a third of the memory of a step that tunes faceres' last blocks).
        const cut = frontier[0]!;
        const prefix = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
          const image = args[0] as tf.Tensor4D;
          return { value: graph.execute(image, [cut])[0]!, gradFunc: () => tf.zerosLike(image) };
        })(fed);
        values = graph.run(new Map([[cut, prefix]]), nodes, overrides);
      } else values = graph.execute(fed, nodes, overrides);
      const taps = tapValues(spec, plans, new Map(nodes.map((n, i) => [n, values[i]!])));
      return taps.length === 1 ? taps[0]! : tf.concat(taps, 1);
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [s[0] ?? null, this.backbone.width];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ref: encodeRef(this.ref) };
  }
}
tf.serialization.registerClass(GraphBackbone);
