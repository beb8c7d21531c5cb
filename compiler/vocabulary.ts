// The language's vocabulary: one `as const` list per enum. The IR types (ir.ts), the JSON Schema
// (schema.ts), the lowerers' checks and "did you mean" hints, lint, the grammar reference and the CLI
// all derive from these lists, so a new activation or backend is added here once.
//
// This module imports nothing: the CLI reads the backend names from it without loading the compiler
// or TensorFlow.

/** The seven FER-2013 expressions, in label order. */
export const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'] as const;

export const ACTIVATIONS = ['relu', 'linear', 'tanh', 'sigmoid', 'elu', 'relu6', 'leakyrelu', 'softmax'] as const;

export const PADDINGS = ['same', 'valid'] as const;

/** data.preprocess: per-pixel scaling of the decoded images. */
export const PREPROCESS_MODES = ['none', 'fixed', 'whiten'] as const;

/** Data sources read from a path (the built-in faces are `builtin:faces`). */
export const PATH_SOURCES = ['folder', 'sfew', 'fer2013'] as const;

/** The built-in data sets (`builtin:NAME`). */
export const BUILTIN_SOURCES = ['faces'] as const;

/** Training-time crops; each takes a size. */
export const CROP_KINDS = ['tencrop', 'randomcrop'] as const;

/**
 * Random per-image augmentations, each drawn afresh for every training view from the run's seed. Each
 * has one strength, written positionally or as KEY=VALUE (`rotate 10`, `rotate degrees=10`); KEY and
 * its range live here once, for the compiler's checks (E060), the IR's JSON Schema and the runtime.
 */
export const RANDOM_AUGMENTS = ['rotate', 'zoom', 'shift', 'brightness', 'contrast', 'erase'] as const;

/** Each random augmentation's strength: its key (also the IR field), range and what it means. */
export const AUGMENT_STRENGTHS = {
  rotate: { key: 'degrees', min: 0, max: 180, what: 'rotation in degrees (drawn in [-d, d])', example: 'rotate 10' },
  zoom: { key: 'fraction', min: 0, max: 0.9, what: 'zoom fraction (scale drawn in [1-f, 1+f])', example: 'zoom 0.1' },
  shift: { key: 'fraction', min: 0, max: 0.5, what: 'shift fraction of the width and height', example: 'shift 0.1' },
  brightness: { key: 'amount', min: 0, max: 1, what: 'brightness amount (fraction of the pixel range)', example: 'brightness 0.2' },
  contrast: { key: 'amount', min: 0, max: 1, what: 'contrast amount (factor drawn in [1-f, 1+f])', example: 'contrast 0.2' },
  erase: { key: 'p', min: 0, max: 1, what: 'erase probability', example: 'erase 0.5' },
} as const satisfies Record<(typeof RANDOM_AUGMENTS)[number], { key: string; min: number; max: number; what: string; example: string }>;

/** `erase P size=F`: the largest erased area as a fraction of the image (exclusive of 0), and its default. */
export const ERASE_SIZE = { key: 'size', above: 0, max: 1, default: 0.25 } as const;

/** Training-time augmentations, as written in the augment block. */
export const TRAIN_AUGMENTS = ['flip', ...CROP_KINDS, ...RANDOM_AUGMENTS] as const;

/** Test-time augmentation (`test tencrop N` or `test none`). */
export const TEST_AUGMENTS = ['none', 'tencrop'] as const;

export const OPTIMIZERS = ['adam', 'adamw', 'sgd'] as const;

export const SCHEDULES = ['constant', 'step', 'exponential', 'cosine', 'onecycle'] as const;

/** Validation metrics early stopping can watch (also the metrics a run reports). */
export const METRICS = ['val_acc', 'val_loss', 'val_f1'] as const;

/** class-weights as a word; a map of class -> weight is the other form. */
export const CLASS_WEIGHT_MODES = ['none', 'balanced'] as const;

/** Preprocessing a user-converted graph backbone may name (registry backbones list their own). */
export const GRAPH_PREPROCESS = ['fixed', 'unit', 'caffe', 'none'] as const;

/** `emoc run --backend` choices. */
export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

/** Layer words of a model or head block (every activation is also a layer). */
export const LAYER_NAMES = ['conv', 'bn', 'maxpool', 'avgpool', 'flatten', 'fc', 'dropout', 'l2norm', ...ACTIVATIONS] as const;

/** Directives allowed among the layers (`default activation relu`). */
export const MODEL_DIRECTIVES = ['default'] as const;

/** data.test as a word: look for the source's own test split, or have none. */
export const TEST_WORDS = ['auto', 'none'] as const;

/** The settings each settings section accepts. */
export const SETTINGS: Readonly<Record<string, readonly string[]>> = {
  data: ['source', 'images', 'classes', 'input', 'split', 'preprocess', 'test'],
  augment: [...TRAIN_AUGMENTS, 'test'],
  backbone: ['tap', 'frozen', 'finetune', 'preprocess', 'weights', 'input'],
  train: ['epochs', 'batch', 'optimizer', 'lr', 'schedule', 'seed', 'early-stop', 'class-weights', 'label-smoothing', 'clip-norm'],
  sweep: ['name'],
};

/** Whether `word` is one of `list`, narrowing it to the list's type. */
export function isOneOf<T extends string>(list: readonly T[], word: string): word is T {
  return (list as readonly string[]).includes(word);
}

/** "a, b or c", for messages. */
export function orList(list: readonly string[]): string {
  return list.length < 2 ? list.join('') : `${list.slice(0, -1).join(', ')} or ${list.at(-1)}`;
}
