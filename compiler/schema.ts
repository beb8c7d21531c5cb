// JSON Schema of the IR (draft-07), checked with ajv. `emoc compile` validates what it prints, and tests
// validate every spec's IR, so the TypeScript types in ir.ts and this schema cannot drift apart silently.

import type { Ajv, ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';
import { IR_VERSION, type ExperimentIR } from './ir.ts';
import {
  ACTIVATIONS,
  AUGMENT_STRENGTHS,
  ERASE_SIZE,
  RANDOM_AUGMENTS,
  BUILTIN_SOURCES,
  CLASS_WEIGHT_MODES,
  CROP_KINDS,
  METRICS,
  PADDINGS,
  PATH_SOURCES,
  PREPROCESS_MODES,
} from './vocabulary.ts';

const int = (minimum = 0) => ({ type: 'integer', minimum });
const num = { type: 'number' };
const bool = { type: 'boolean' };
const pair = { type: 'array', items: int(1), minItems: 2, maxItems: 2 };
/** -1 stands for a size or count that could not be inferred. */
const count = { type: 'integer', minimum: -1 };
const shape = { type: 'array', items: count };
const oneOfWords = (list: readonly string[]) => ({ enum: [...list] });
const activation = oneOfWords(ACTIVATIONS);
const padding = oneOfWords(PADDINGS);
const src = {
  type: 'object',
  required: ['file', 'line', 'column'],
  additionalProperties: false,
  properties: { file: { type: 'string' }, line: int(1), column: int(1) },
};

function obj(properties: Record<string, unknown>, optional: string[] = []) {
  const required = Object.keys(properties).filter((k) => !optional.includes(k));
  return { type: 'object', additionalProperties: false, required, properties };
}

const kind = (k: string) => ({ const: k });

/** One schema per random augmentation: its strength field with the vocabulary's range (erase also its size). */
function randomAugSchemas() {
  return RANDOM_AUGMENTS.map((k) => {
    const s = AUGMENT_STRENGTHS[k];
    const strength = { [s.key]: { type: 'number', minimum: s.min, maximum: s.max } };
    const size = k === 'erase' ? { [ERASE_SIZE.key]: { type: 'number', exclusiveMinimum: ERASE_SIZE.above, maximum: ERASE_SIZE.max } } : {};
    return obj({ kind: kind(k), ...strength, ...size });
  });
}

/** Set on layers expanded from a named block (ir.ts LayerIR.from). */
const from = obj({ block: { type: 'string', minLength: 1 }, call: src });
const LAYER_REF = { $ref: '#/definitions/layer' };
const LAYER_SHAPE_REF = { $ref: '#/definitions/layerShape' };

const layer = {
  oneOf: [
    obj({ kind: kind('conv'), filters: int(1), kernel: pair, stride: pair, padding, activation, bias: bool, src }, ['src']),
    obj({ kind: kind('bn'), momentum: num, epsilon: num, src }, ['src']),
    obj({ kind: kind('maxpool'), size: pair, stride: pair, padding, src }, ['src']),
    obj({ kind: kind('avgpool'), size: pair, stride: pair, padding, src }, ['src']),
    obj({ kind: kind('globalavgpool'), src }, ['src']),
    obj({ kind: kind('flatten'), src }, ['src']),
    obj({ kind: kind('fc'), units: int(1), activation, bias: bool, src }, ['src']),
    obj({ kind: kind('dropout'), rate: { type: 'number', minimum: 0, exclusiveMaximum: 1 }, src }, ['src']),
    obj({ kind: kind('activation'), fn: activation, src }, ['src']),
    obj({ kind: kind('l2norm'), src }, ['src']),
    obj(
      {
        kind: kind('residual'),
        body: { type: 'array', items: LAYER_REF, minItems: 1 },
        shortcut: {
          oneOf: [obj({ kind: kind('identity') }), obj({ kind: kind('projection'), filters: int(1), stride: pair })],
        },
        activation,
        src,
      },
      ['src'],
    ),
  ].map((l) => ({ ...l, properties: { ...l.properties, from }, required: l.required })),
};

const layerShape = obj(
  { output: shape, params: count, trainable: count, inner: { type: 'array', items: LAYER_SHAPE_REF }, shortcut: LAYER_SHAPE_REF },
  ['inner', 'shortcut'],
);

const cropSize = pair;

export const IR_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'emoc experiment IR',
  definitions: { layer, layerShape },
  ...obj({
    irVersion: { const: IR_VERSION },
    name: { type: 'string', minLength: 1 },
    file: { type: 'string' },
    sweep: {
      oneOf: [
        { type: 'null' },
        obj({
          sweep: { type: 'string' },
          point: { type: 'string' },
          values: { type: 'object', additionalProperties: { type: ['string', 'number'] } },
        }),
      ],
    },
    data: obj({
      source: {
        oneOf: [
          obj({ kind: kind('builtin'), name: oneOfWords(BUILTIN_SOURCES), images: int(1) }),
          obj({ kind: oneOfWords(PATH_SOURCES), path: { type: 'string' } }),
        ],
      },
      classes: { type: 'array', items: { type: 'string' }, minItems: 2, uniqueItems: true },
      input: { type: 'array', items: int(1), minItems: 3, maxItems: 3 },
      valSplit: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      preprocess: oneOfWords(PREPROCESS_MODES),
      test: { oneOf: [{ const: 'auto' }, { type: 'null' }, obj({ kind: oneOfWords(PATH_SOURCES), path: { type: 'string' } })] },
    }),
    augment: obj({
      train: {
        type: 'array',
        items: { oneOf: [obj({ kind: kind('flip') }), obj({ kind: oneOfWords(CROP_KINDS), size: cropSize }), ...randomAugSchemas()] },
      },
      test: { oneOf: [obj({ kind: kind('none') }), obj({ kind: kind('tencrop'), size: cropSize })] },
    }),
    backbone: {
      oneOf: [
        { type: 'null' },
        obj(
          {
            name: { type: 'string' },
            weights: { type: ['string', 'null'] },
            taps: { type: 'array', items: { type: 'string' }, minItems: 1 },
            width: { type: ['integer', 'null'], minimum: 1 },
            input: { type: 'array', items: int(1), minItems: 3, maxItems: 3 },
            preprocess: { type: 'string' },
            frozen: { type: 'boolean' },
            finetune: int(0),
            lrScale: { type: 'number', exclusiveMinimum: 0 },
            frozenEpochs: int(0),
            src,
          },
          ['src', 'lrScale', 'frozenEpochs'],
        ),
      ],
    },
    layers: { type: 'array', items: LAYER_REF, minItems: 1 },
    train: obj({
      epochs: int(1),
      batchSize: int(1),
      optimizer: {
        oneOf: [
          obj({ kind: kind('adam'), lr: { type: 'number', exclusiveMinimum: 0 }, beta1: num, beta2: num, epsilon: num }),
          obj({
            kind: kind('adamw'),
            lr: { type: 'number', exclusiveMinimum: 0 },
            beta1: num,
            beta2: num,
            epsilon: num,
            weightDecay: { type: 'number', minimum: 0 },
          }),
          obj({
            kind: kind('sgd'),
            lr: { type: 'number', exclusiveMinimum: 0 },
            momentum: num,
            nesterov: bool,
            weightDecay: { type: 'number', minimum: 0 },
          }),
        ],
      },
      schedule: {
        oneOf: [
          obj({ kind: kind('constant') }),
          obj({ kind: kind('step'), every: int(1), gamma: num }),
          obj({ kind: kind('exponential'), gamma: num }),
          obj({ kind: kind('cosine'), minLr: num, warmup: int(0) }),
          obj({ kind: kind('onecycle'), rise: num, div: num, finalDiv: num }),
        ],
      },
      seed: int(0),
      earlyStop: { oneOf: [{ type: 'null' }, obj({ metric: oneOfWords(METRICS), patience: int(1), minDelta: num })] },
      classWeights: {
        oneOf: [oneOfWords(CLASS_WEIGHT_MODES), { type: 'object', additionalProperties: { type: 'number', exclusiveMinimum: 0 } }],
      },
      labelSmoothing: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
      clipNorm: { oneOf: [{ type: 'null' }, { type: 'number', exclusiveMinimum: 0 }] },
    }),
    shapes: obj({
      input: shape,
      layers: { type: 'array', items: LAYER_SHAPE_REF },
      totalParams: count,
      trainableParams: count,
    }),
  }),
};

/** ajv's options for IR_SCHEMA; the build generates its ahead-of-time validator with the same ones. */
export const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true } as const;
/** The validator scripts/build.mjs generates (ajv standalone code) beside the compiled schema.js in dist/:
 * compiling the schema costs tens of milliseconds of every start. The sources have none. */
export const PRECOMPILED_VALIDATOR = 'ir-validator.cjs';

// Synchronous loading (compile() is synchronous): the generated validator and ajv are both CommonJS.
const require = createRequire(import.meta.url);
let validate: ValidateFunction<ExperimentIR> | undefined;

const newAjv = (): Ajv => new (require('ajv') as typeof import('ajv')).Ajv(AJV_OPTIONS);

/** The IR validator, made on first use (not at import: `emoc check` never validates): the build's
 * generated one where it exists, else compiled from IR_SCHEMA now. */
function irValidator(): ValidateFunction<ExperimentIR> {
  if (validate) return validate;
  try {
    validate = require(`./${PRECOMPILED_VALIDATOR}`) as ValidateFunction<ExperimentIR>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    validate = newAjv().compile<ExperimentIR>(IR_SCHEMA);
  }
  return validate;
}

/** null when valid, else a one-line summary of the schema errors. */
export function validateIR(ir: unknown): string | null {
  const v = irValidator();
  if (v(ir)) return null;
  return newAjv().errorsText(v.errors, { dataVar: 'ir' });
}
