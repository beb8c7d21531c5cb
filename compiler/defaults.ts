// Every default the language fills in, in one place: the lowerers write these into the IR (so the IR
// states them explicitly) and the grammar reference lists DEFAULTS.

export const DEFAULTS = {
  builtinImages: 840,
  input: [160, 160, 3] as [number, number, number],
  valSplit: 0.2,
  preprocess: 'fixed' as const,
  epochs: 10,
  batchSize: 32,
  lr: 1e-3,
  seed: 1,
};

/** Keras' Adam defaults. */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

/** SGD's own default learning rate: Adam's 1e-3 barely moves plain SGD. */
export const SGD = { lr: 0.01, momentum: 0, weightDecay: 0 } as const;

/** AdamW's decoupled weight decay when none is written (PyTorch's AdamW default). */
export const ADAMW = { weightDecay: 1e-2 } as const;

export const SCHEDULE = { every: 10, stepGamma: 0.1, exponentialGamma: 0.95, minLr: 0, warmup: 0 } as const;

/** One-cycle's shape, PyTorch's OneCycleLR defaults: 30% of the steps rising from lr/25, then down to lr/25e4. */
export const ONECYCLE = { rise: 0.3, div: 25, finalDiv: 1e4 } as const;

/** Label smoothing 0 and no gradient clipping unless written. */
export const RECIPE = { labelSmoothing: 0, clipNorm: null } as const;

export const EARLY_STOP = { metric: 'val_acc', patience: 5, minDelta: 0 } as const;

// Moving-average momentum 0.9 (PyTorch's default) rather than Keras' 0.99: short runs of a few hundred
// steps otherwise evaluate with statistics still close to their initial values.
export const BATCH_NORM = { momentum: 0.9, epsilon: 1e-3 } as const;

/** A pool with no size pools 2x2; its stride defaults to its size. */
export const POOL_SIZE: [number, number] = [2, 2];

/** A fine-tuned backbone learns at the optimizer's own rate unless `finetune N lr=F` scales it, and from
 * the first epoch unless `finetune N after=E` trains the head alone for E epochs first. */
export const FINETUNE = { lrScale: 1, after: 0 } as const;

/** Input size of a user-converted graph backbone that does not give one (an error is reported too). */
export const GRAPH_BACKBONE_INPUT: [number, number, number] = [160, 160, 3];
