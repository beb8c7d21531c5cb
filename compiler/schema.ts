// JSON Schema of the IR (draft-07), checked with ajv. `emoc compile` validates what it prints, and tests
// validate every spec's IR, so the TypeScript types in ir.ts and this schema cannot drift apart silently.

import { Ajv } from 'ajv';
import type { ExperimentIR } from './ir.ts';

const int = (minimum = 0) => ({ type: 'integer', minimum });
const num = { type: 'number' };
const pair = { type: 'array', items: int(1), minItems: 2, maxItems: 2 };
const shape = { type: 'array', items: { type: 'integer', minimum: -1 } };
const activation = { enum: ['relu', 'linear', 'tanh', 'sigmoid', 'elu', 'relu6', 'leakyrelu', 'softmax'] };
const padding = { enum: ['same', 'valid'] };
const src = {
  type: 'object',
  required: ['file', 'line', 'column'],
  additionalProperties: false,
  properties: { file: { type: 'string' }, line: int(1), column: int(1) },
};

function obj(properties: Record<string, unknown>, optional: string[] = []) {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties).filter((k) => !optional.includes(k)), properties };
}

const kind = (k: string) => ({ const: k });

const layer = {
  oneOf: [
    obj({ kind: kind('conv'), filters: int(1), kernel: pair, stride: pair, padding, activation, bias: { type: 'boolean' }, src }, ['src']),
    obj({ kind: kind('bn'), momentum: num, epsilon: num, src }, ['src']),
    obj({ kind: kind('maxpool'), size: pair, stride: pair, padding, src }, ['src']),
    obj({ kind: kind('avgpool'), size: pair, stride: pair, padding, src }, ['src']),
    obj({ kind: kind('globalavgpool'), src }, ['src']),
    obj({ kind: kind('flatten'), src }, ['src']),
    obj({ kind: kind('fc'), units: int(1), activation, bias: { type: 'boolean' }, src }, ['src']),
    obj({ kind: kind('dropout'), rate: { type: 'number', minimum: 0, exclusiveMaximum: 1 }, src }, ['src']),
    obj({ kind: kind('activation'), fn: activation, src }, ['src']),
    obj({ kind: kind('l2norm'), src }, ['src']),
  ],
};

const cropSize = pair;

export const IR_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'emoc experiment IR',
  ...obj({
    irVersion: { const: 1 },
    name: { type: 'string', minLength: 1 },
    file: { type: 'string' },
    sweep: {
      oneOf: [
        { type: 'null' },
        obj({ sweep: { type: 'string' }, point: { type: 'string' }, values: { type: 'object', additionalProperties: { type: ['string', 'number'] } } }),
      ],
    },
    data: obj({
      source: {
        oneOf: [
          obj({ kind: kind('builtin'), name: kind('faces'), images: int(1) }),
          obj({ kind: { enum: ['folder', 'sfew', 'fer2013'] }, path: { type: 'string' } }),
        ],
      },
      classes: { type: 'array', items: { type: 'string' }, minItems: 2, uniqueItems: true },
      input: { type: 'array', items: int(1), minItems: 3, maxItems: 3 },
      valSplit: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      preprocess: { enum: ['none', 'fixed', 'whiten'] },
    }),
    augment: obj({
      train: {
        type: 'array',
        items: { oneOf: [obj({ kind: kind('flip') }), obj({ kind: { enum: ['tencrop', 'randomcrop'] }, size: cropSize })] },
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
            src,
          },
          ['src'],
        ),
      ],
    },
    layers: { type: 'array', items: layer, minItems: 1 },
    train: obj({
      epochs: int(1),
      batchSize: int(1),
      optimizer: {
        oneOf: [
          obj({ kind: kind('adam'), lr: { type: 'number', exclusiveMinimum: 0 }, beta1: num, beta2: num, epsilon: num }),
          obj({ kind: kind('sgd'), lr: { type: 'number', exclusiveMinimum: 0 }, momentum: num, nesterov: { type: 'boolean' } }),
        ],
      },
      schedule: {
        oneOf: [
          obj({ kind: kind('constant') }),
          obj({ kind: kind('step'), every: int(1), gamma: num }),
          obj({ kind: kind('exponential'), gamma: num }),
          obj({ kind: kind('cosine'), minLr: num }),
        ],
      },
      seed: int(0),
      earlyStop: { oneOf: [{ type: 'null' }, obj({ metric: { enum: ['val_acc', 'val_loss', 'val_f1'] }, patience: int(1), minDelta: num })] },
      classWeights: { oneOf: [{ enum: ['none', 'balanced'] }, { type: 'object', additionalProperties: { type: 'number', exclusiveMinimum: 0 } }] },
    }),
    shapes: obj({
      input: shape,
      layers: { type: 'array', items: obj({ output: shape, params: { type: 'integer', minimum: -1 }, trainable: { type: 'integer', minimum: -1 } }) },
      totalParams: { type: 'integer', minimum: -1 },
      trainableParams: { type: 'integer', minimum: -1 },
    }),
  }),
};

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile<ExperimentIR>(IR_SCHEMA);

/** null when valid, else a one-line summary of the schema errors. */
export function validateIR(ir: unknown): string | null {
  if (validate(ir)) return null;
  return ajv.errorsText(validate.errors, { dataVar: 'ir' });
}
