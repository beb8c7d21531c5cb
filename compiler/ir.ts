// The typed intermediate representation of one experiment.
//
// The IR is plain JSON: every part of emoc after the front end (run, diff, lint's IR rules, explain)
// reads this, never the source text. Every default is explicit here (activations, padding, strides),
// so two specs that mean the same thing compile to the same IR. `src` fields are the only
// presentation-dependent data and are ignored by semantic comparisons.

import type {
  ACTIVATIONS,
  BUILTIN_SOURCES,
  CLASS_WEIGHT_MODES,
  CROP_KINDS,
  EMOTIONS,
  METRICS,
  OPTIMIZERS,
  PADDINGS,
  PATH_SOURCES,
  PREPROCESS_MODES,
  RANDOM_AUGMENTS,
  SCHEDULES,
  TEST_AUGMENTS,
  TRAIN_AUGMENTS,
} from './vocabulary.ts';

export { EMOTIONS } from './vocabulary.ts';

/** 2: residual layers (an old emoc cannot run them). 3: fine-tuned backbones (`finetune N lr=F`; a worker of
 * version 2 would train them frozen). 4: `finetune N after=E` (a worker of version 3 would train the blocks
 * from the first epoch). An older IR is a valid newer IR without those, so run folders written
 * by an older emoc (irVersion 1, e.g. test/fixtures/runs) are still read as they are. */
export const IR_VERSION = 4;

export type Emotion = (typeof EMOTIONS)[number];

/** Where an IR element came from: 1-based line and column, as in diagnostics. */
export interface SrcRef {
  file: string;
  line: number;
  column: number;
}

export type Preprocess = (typeof PREPROCESS_MODES)[number];

export type DataSource = { kind: 'builtin'; name: (typeof BUILTIN_SOURCES)[number]; images: number } | { kind: PathSource; path: string };

export type PathSource = (typeof PATH_SOURCES)[number];

export interface DataIR {
  source: DataSource;
  /** Class names in label order. */
  classes: string[];
  /** [height, width, channels] every image is decoded and resized to; a crop (augment) then gives the network
   * input. */
  input: [number, number, number];
  /** Fraction of the training images held out for validation when the source has no validation split. */
  valSplit: number;
  preprocess: Preprocess;
  /** The held-out test split, scored once at the end with the chosen model: 'auto' (a folder's test/
   * beside train/ and val/, a FER2013 CSV's PrivateTest rows, when present), its own source, or none. */
  test: TestSplit;
}

export type TestSplit = 'auto' | { kind: PathSource; path: string } | null;

/** Training-time augmentations, applied in order, each a view generator. */
export type CropKind = (typeof CROP_KINDS)[number];

export type TrainAug =
  { kind: 'flip' } | { kind: 'tencrop'; size: [number, number] } | { kind: 'randomcrop'; size: [number, number] } | RandomAug;

/** A random per-image augmentation with its strength (vocabulary.ts AUGMENT_STRENGTHS: keys and ranges). */
export type RandomAug =
  | { kind: 'rotate'; degrees: number }
  | { kind: 'zoom'; fraction: number }
  | { kind: 'shift'; fraction: number }
  | { kind: 'brightness'; amount: number }
  | { kind: 'contrast'; amount: number }
  | { kind: 'erase'; p: number; size: number };

export type TestAug = { kind: 'none' } | { kind: 'tencrop'; size: [number, number] };

export interface AugmentIR {
  train: TrainAug[];
  test: TestAug;
}

export type Activation = (typeof ACTIVATIONS)[number];
export type Padding = (typeof PADDINGS)[number];

export type LayerIR = (
  | {
      kind: 'conv';
      filters: number;
      kernel: [number, number];
      stride: [number, number];
      padding: Padding;
      activation: Activation;
      bias: boolean;
    }
  | { kind: 'bn'; momentum: number; epsilon: number }
  | { kind: 'maxpool'; size: [number, number]; stride: [number, number]; padding: Padding }
  | { kind: 'avgpool'; size: [number, number]; stride: [number, number]; padding: Padding }
  | { kind: 'globalavgpool' }
  | { kind: 'flatten' }
  | { kind: 'fc'; units: number; activation: Activation; bias: boolean }
  | { kind: 'dropout'; rate: number }
  | { kind: 'activation'; fn: Activation }
  | { kind: 'l2norm' }
  | {
      kind: 'residual';
      /** The block's layers, applied to the residual's input in order. */
      body: LayerIR[];
      /** identity when the body keeps the input's shape; else a 1x1 conv (no bias) + bn with this stride and
       * filter count, inserted by the compiler. */
      shortcut: ResidualShortcut;
      /** Applied after body(x) + shortcut(x); 'linear' is none. */
      activation: Activation;
    }
) & {
  src?: SrcRef;
  /** Set on layers expanded from a named block: the block's name and where it was called. Presentation data,
   * like src: ignored by semantic comparisons. */
  from?: { block: string; call: SrcRef };
};

export type ResidualShortcut = { kind: 'identity' } | { kind: 'projection'; filters: number; stride: [number, number] };

export type LayerKind = LayerIR['kind'];

export interface BackboneIR {
  /** Registry name (faceres, mobilefacenet, expression), or the name the spec gives a user-converted graph model (`weights` set). */
  name: string;
  /** Model file: resolved from the registry's package, or the path the spec gave. */
  weights: string | null;
  /** Tap names as the registry knows them, or raw graph node names; concatenated in this order. */
  taps: string[];
  /** Width of the concatenated tap output; null when it can only be known by running the model. */
  width: number | null;
  /** [height, width, channels] the backbone takes. */
  input: [number, number, number];
  /** The backbone's own input preprocessing (overrides data.preprocess for its input). */
  preprocess: string;
  frozen: boolean;
  /** Number of trailing blocks to fine-tune when not frozen (compiler/backbone-graph.ts says how blocks are counted). */
  finetune: number;
  /** The backbone's learning rate as a multiple of the optimizer's (`finetune 2 lr=0.1`); absent in IRs before version 3. */
  lrScale?: number;
  /**
   * Epochs the fine-tuned blocks stay as loaded while the head trains alone (`finetune 2 after=1`): a head
   * that starts from random weights sends large, noisy gradients into the pretrained blocks; trained first,
   * it does not. Absent in IRs before version 4 (0).
   */
  frozenEpochs?: number;
  src?: SrcRef;
}

/**
 * `weightDecay` is decoupled (AdamW, SGDW): each step first multiplies every weight of rank >= 2
 * (kernels; not biases nor batch-norm gamma/beta) by 1 - lr_t * weightDecay, then applies the update.
 */
export type OptimizerIR =
  | { kind: 'adam'; lr: number; beta1: number; beta2: number; epsilon: number }
  | { kind: 'adamw'; lr: number; beta1: number; beta2: number; epsilon: number; weightDecay: number }
  | { kind: 'sgd'; lr: number; momentum: number; nesterov: boolean; weightDecay: number };

/**
 * Learning rate over training. constant/step/exponential change per epoch; cosine too, after
 * `warmup` epochs whose lr rises linearly per batch from lr/steps to lr; onecycle changes per batch
 * (rises from lr/div to lr over the first `rise` fraction of the steps, then falls to
 * lr/(div*finalDiv), both by half cosines).
 */
export type ScheduleIR =
  | { kind: 'constant' }
  | { kind: 'step'; every: number; gamma: number }
  | { kind: 'exponential'; gamma: number }
  | { kind: 'cosine'; minLr: number; warmup: number }
  | { kind: 'onecycle'; rise: number; div: number; finalDiv: number };

export type Metric = (typeof METRICS)[number];

export interface TrainIR {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerIR;
  schedule: ScheduleIR;
  seed: number;
  earlyStop: { metric: Metric; patience: number; minDelta: number } | null;
  /** 'none', 'balanced' (inverse frequency), or an explicit weight per class name. */
  classWeights: (typeof CLASS_WEIGHT_MODES)[number] | Record<string, number>;
  /** Training targets are (1 - e) * one-hot + e / classes; 0 is plain cross-entropy. */
  labelSmoothing: number;
  /** All gradients are scaled together so their global L2 norm is at most this; null: no clipping. */
  clipNorm: number | null;
}

/** Output shape (without batch) and parameter counts of one layer, in the order of `layers`. */
export interface LayerShape {
  output: number[];
  params: number;
  trainable: number;
  /** A residual's body layers, in order (its own params include theirs and the shortcut's). */
  inner?: LayerShape[];
  /** A residual's shortcut (a projection's output and params; identity has none). */
  shortcut?: LayerShape;
}

export interface ShapesIR {
  /** Shape entering the first layer: the data input, or the backbone tap's feature vector. */
  input: number[];
  layers: LayerShape[];
  totalParams: number;
  trainableParams: number;
}

export interface SweepPointIR {
  /** The sweep's name (the experiment that declared it). */
  sweep: string;
  /** This point's label, e.g. "l2-h256". */
  point: string;
  /** Axis name -> value at this point. */
  values: Record<string, string | number>;
}

export interface ExperimentIR {
  irVersion: typeof IR_VERSION;
  name: string;
  file: string;
  sweep: SweepPointIR | null;
  data: DataIR;
  augment: AugmentIR;
  backbone: BackboneIR | null;
  /** The model (from scratch) or the head (on a backbone), every default explicit. */
  layers: LayerIR[];
  train: TrainIR;
  shapes: ShapesIR;
}

// Unions whose members carry fields of their own are written out above; this fails to compile when
// one of them and its vocabulary list disagree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type VocabularyMatchesIR = [
  Holds<Same<OptimizerIR['kind'], (typeof OPTIMIZERS)[number]>>,
  Holds<Same<ScheduleIR['kind'], (typeof SCHEDULES)[number]>>,
  Holds<Same<TrainAug['kind'], (typeof TRAIN_AUGMENTS)[number]>>,
  Holds<Same<TestAug['kind'], (typeof TEST_AUGMENTS)[number]>>,
  Holds<Same<Exclude<TrainAug['kind'], 'flip' | RandomAug['kind']>, CropKind>>,
  Holds<Same<RandomAug['kind'], (typeof RANDOM_AUGMENTS)[number]>>,
];
