// One layer call (`conv 64 k5 s2 relu`, `fc 7`, `softmax`) -> one LayerIR with its arguments checked.
// The activation of a conv or fc may still be settled by the stack (see layers.ts).

import type { Call } from '../../grammar/ast.ts';
import { BATCH_NORM, POOL_SIZE } from '../defaults.ts';
import type { LayerIR, Padding } from '../ir.ts';
import { ACTIVATIONS, isOneOf, LAYER_NAMES, MODEL_DIRECTIVES, SETTINGS } from '../vocabulary.ts';
import type { LowerContext } from './context.ts';
import { isUnitWord, readActivation, readBias, readKeyPair, readPadding, readUnits, usage } from './layer-args.ts';

/** A lowered layer, and whether the spec named its activation (else the stack's default may apply). */
export interface LoweredLayer {
  layer: LayerIR;
  explicitActivation: boolean;
}

// The rules of the arguments, made once rather than for every layer of every experiment.
const FILTERS = { positional: true, required: true, integer: true, min: 1, what: 'the number of filters', example: 'conv 64 k5 s2' };
const UNITS = { positional: true, required: true, integer: true, min: 1, what: 'the number of units', example: 'fc 128' };
const MOMENTUM = { min: 0, below: 1 };
const EPSILON = { above: 0 };
const POOL = { positional: true, integer: true, min: 1, what: 'the pool size' };
const RATE = { positional: true, required: true, min: 0, below: 1, what: 'the dropout rate', example: 'dropout 0.5' };

/** A layer without an activation of its own to settle. */
const plain = (layer: LayerIR): LoweredLayer => ({ layer, explicitActivation: false });

export function lowerLayer(ctx: LowerContext, call: Call, defaultPadding: Padding): LoweredLayer | null {
  const r = ctx.reader(call);
  const src = ctx.src(call.nameSpan);
  let result: LoweredLayer | null = null;
  switch (call.name) {
    case 'conv': {
      const filters = r.number('filters', FILTERS);
      const kernel = readUnits(r, 'k') ?? readKeyPair(r, 'kernel');
      const stride = readUnits(r, 's') ?? readKeyPair(r, 'stride') ?? [1, 1];
      const padding = readPadding(r) ?? defaultPadding;
      const act = readActivation(r);
      const bias = readBias(r);
      // Missing only when this call writes no kernel at all: a bad one (`k0`, `kernel=0`) has its own E013.
      if (!kernel && !writesKernel(call)) r.report('E012', call.span, "'conv' needs a kernel size", 'for example: conv 64 k5 s2');
      if (filters !== undefined && kernel) {
        const layer: LayerIR = { kind: 'conv', filters, kernel, stride, padding, activation: act.activation, bias, src };
        result = { layer, explicitActivation: act.explicit };
      }
      break;
    }
    case 'fc': {
      const units = r.number('units', UNITS);
      const act = readActivation(r);
      const bias = readBias(r);
      if (units !== undefined) {
        result = { layer: { kind: 'fc', units, activation: act.activation, bias, src }, explicitActivation: act.explicit };
      }
      break;
    }
    case 'bn': {
      const momentum = r.number('momentum', MOMENTUM) ?? BATCH_NORM.momentum;
      const epsilon = r.number('epsilon', EPSILON) ?? BATCH_NORM.epsilon;
      result = plain({ kind: 'bn', momentum, epsilon, src });
      break;
    }
    case 'maxpool':
    case 'avgpool': {
      const sizeNum = r.number('size', POOL);
      const size: [number, number] | undefined = sizeNum !== undefined ? [sizeNum, sizeNum] : undefined;
      const stride = readUnits(r, 's') ?? readKeyPair(r, 'stride');
      const padding = readPadding(r) ?? 'valid';
      // `avgpool` alone averages the whole feature map.
      if (call.name === 'avgpool' && !size && !stride) result = plain({ kind: 'globalavgpool', src });
      else {
        const window: [number, number] = size ?? [...POOL_SIZE];
        result = plain({ kind: call.name, size: window, stride: stride ?? window, padding, src });
      }
      break;
    }
    case 'flatten':
    case 'l2norm':
      result = plain({ kind: call.name, src });
      break;
    case 'dropout': {
      const rate = r.number('rate', RATE);
      if (rate !== undefined) result = plain({ kind: 'dropout', rate, src });
      break;
    }
    case 'residual':
      // `residual` without braces (with braces it never gets here: layers.ts lowers the body).
      r.report('E012', call.span, "'residual' needs its layers in braces", 'for example: residual { conv 64 k3 same | bn }');
      return null;
    case 'repeat':
      // `repeat NAME` without a count (with one, the parser takes it and blocks.ts expands it).
      r.report('E012', call.span, "'repeat' needs a count before the layer or block", 'for example: repeat 2 conv 64 k3');
      return null;
    default:
      if (isOneOf(ACTIVATIONS, call.name)) {
        result = plain({ kind: 'activation', fn: call.name, src });
        break;
      }
      reportUnknownLayer(ctx, call);
      return null;
  }
  r.finish(usage(call.name));
  return result;
}

function writesKernel(call: Call): boolean {
  return call.args.some((a) => (a.kind === 'keyvalue' ? a.key === 'kernel' : a.kind === 'word' && isUnitWord(a.name, 'k')));
}

function reportUnknownLayer(ctx: LowerContext, call: Call): void {
  const isSetting = Object.values(SETTINGS).some((s) => s.includes(call.name));
  const fallback = isSetting ? `'${call.name}' is a setting, not a layer` : `layers: ${LAYER_NAMES.join(', ')}`;
  ctx.reportUnknown('E011', call.nameSpan, `unknown layer '${call.name}'`, call.name, [...LAYER_NAMES, ...MODEL_DIRECTIVES], fallback);
}
