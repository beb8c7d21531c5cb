// Rules over the layer stack (model or head) of each compiled experiment.

import type { Activation, ExperimentIR, LayerIR } from '../../ir.ts';
import { ACTIVATIONS } from '../../vocabulary.ts';
import { UNKNOWN } from '../../shapes.ts';
import { originOf } from '../../lower/origin.ts';
import { layerLocation } from '../locate.ts';
import type { Fix } from '../../diagnostics.ts';
import type { LintContext, Rule, RuleFinding } from '../types.ts';

import { layerName } from '../../diff/diff.ts';
import { finalSoftmax, isSoftmax } from '../../softmax.ts';

const count = (n: number) => n.toLocaleString('en-US');

/** Each experiment with a layer stack and shapes that could be inferred to its end. */
function stacks(ctx: LintContext): ExperimentIR[] {
  return ctx.experiments.filter((ir) => ir.layers.length > 0 && ir.shapes.layers.length === ir.layers.length);
}

export const softmaxMissing: Rule = {
  id: 'softmax-missing',
  severity: 'warning',
  doc: 'the stack does not end in softmax: its outputs are scores, not class probabilities (fixable)',
  check: (ctx) =>
    stacks(ctx).flatMap((ir): RuleFinding[] => {
      const last = ir.layers.at(-1)!;
      // A stack with a softmax that does not end it is the compiler's E036 (layer after the final softmax).
      if (finalSoftmax(ir.layers) >= 0) return [];
      const where = originOf(last);
      const name = layerName(ir.layers, ir.layers.length - 1);
      const end = where?.call.span.end.offset;
      const title = `add softmax after ${name}`;
      const fix: Fix | undefined = end === undefined ? undefined : { title, start: end, end, replacement: ' | softmax' };
      const message = `${ir.name} ends with ${name}, not softmax`;
      return [{ at: layerLocation(last, ctx), message, hint: 'end the stack with: | softmax', fix }];
    }),
};

export const softmaxDoubled: Rule = {
  id: 'softmax-doubled',
  severity: 'error',
  doc: 'softmax applied more than once, or before the last layer: the loss sees flattened, near-uniform probabilities (fixable when repeated)',
  check: (ctx) =>
    stacks(ctx).flatMap((ir): RuleFinding[] => {
      const at = ir.layers.map((l, i) => (isSoftmax(l) ? i : -1)).filter((i) => i >= 0);
      if (at.length === 0) return [];
      const out: RuleFinding[] = [];
      for (const i of at.slice(1)) {
        const layer = ir.layers[i];
        const where = originOf(layer);
        const name = layerName(ir.layers, i);
        let fix: Fix | undefined;
        // Only a separate softmax layer right after another softmax is dropped automatically.
        if (where && layer.kind === 'activation' && at.includes(i - 1)) {
          const k = where.pipeline.calls.indexOf(where.call);
          const start = k > 0 ? where.pipeline.calls[k - 1].span.end.offset : where.pipeline.span.start.offset;
          fix = { title: `remove ${name}`, start, end: where.call.span.end.offset, replacement: '' };
        }
        out.push({
          at: layerLocation(layer, ctx),
          message: `softmax is applied again at ${name}`,
          hint: 'keep one softmax, at the end',
          fix,
        });
      }
      const first = at[0];
      if (at.length === 1 && first < ir.layers.length - 1 && ir.layers.slice(first + 1).some((l) => l.kind !== 'dropout')) {
        out.push({
          at: layerLocation(ir.layers[first], ctx),
          message: `softmax at ${layerName(ir.layers, first)} is not the last layer`,
          hint: 'move softmax to the end of the stack',
        });
      }
      return out;
    }),
};

/**
 * The stack and every residual body in it, each with how its layers are named: `conv #2` at the top,
 * `conv #1 of a residual` inside (the same words for every call of a block, so its findings are one each).
 */
function withinResiduals(layers: readonly LayerIR[], inner = false): { layers: readonly LayerIR[]; name: (i: number) => string }[] {
  const name = (i: number) => `${layerName(layers, i)}${inner ? ' of a residual' : ''}`;
  return [{ layers, name }, ...layers.flatMap((l) => (l.kind === 'residual' ? withinResiduals(l.body, true) : []))];
}

export const strideExceedsKernel: Rule = {
  id: 'stride-exceeds-kernel',
  severity: 'warning',
  doc: 'a conv or pool stride larger than its window: some pixels are never looked at',
  check: (ctx) =>
    stacks(ctx).flatMap((ir) =>
      withinResiduals(ir.layers).flatMap(({ layers, name }) =>
        layers.flatMap((l, i): RuleFinding[] => {
          if (l.kind !== 'conv' && l.kind !== 'maxpool' && l.kind !== 'avgpool') return [];
          const window = l.kind === 'conv' ? l.kernel : l.size;
          if (l.stride[0] <= window[0] && l.stride[1] <= window[1]) return [];
          return [
            {
              at: layerLocation(l, ctx),
              message: `${name(i)} strides ${l.stride.join('x')} over a ${window.join('x')} window: pixels between windows are skipped`,
              hint: `use a stride of at most ${Math.min(...window)}, or a larger ${l.kind === 'conv' ? 'kernel' : 'pool'}`,
            },
          ];
        }),
      ),
    ),
};

export const largeDenseAfterFlatten: Rule = {
  id: 'large-dense-after-flatten',
  severity: 'warning',
  doc: 'the fc right after flatten has more parameters than lint.maxParamsAfterFlatten (default 1,000,000): the model is mostly one layer',
  check: (ctx) =>
    stacks(ctx).flatMap((ir) =>
      ir.layers.flatMap((l, i): RuleFinding[] => {
        if (l.kind !== 'fc') return [];
        const before = ir.layers
          .slice(0, i)
          .filter((x) => x.kind !== 'dropout' && x.kind !== 'bn' && x.kind !== 'activation')
          .at(-1);
        const params = ir.shapes.layers[i].params;
        if (before?.kind !== 'flatten' || params === UNKNOWN || params <= ctx.options.maxParamsAfterFlatten) return [];
        const total = ir.shapes.totalParams;
        const share = total > 0 ? ` (${Math.round((100 * params) / total)}% of ${count(total)})` : '';
        return [
          {
            at: layerLocation(l, ctx),
            message: `${layerName(ir.layers, i)} right after flatten has ${count(params)} parameters${share}`,
            hint: 'shrink the feature map first (another conv block or pooling), or use global average pooling',
          },
        ];
      }),
    ),
};

export const bnAfterLastFc: Rule = {
  id: 'bn-after-last-fc',
  severity: 'warning',
  doc: 'batch norm after the last fc normalises the class scores themselves',
  check: (ctx) =>
    stacks(ctx).flatMap((ir) => {
      const lastFc = ir.layers.map((l) => l.kind).lastIndexOf('fc');
      if (lastFc < 0) return [];
      return ir.layers.flatMap((l, i): RuleFinding[] =>
        l.kind === 'bn' && i > lastFc
          ? [
              {
                at: layerLocation(l, ctx),
                message: `${layerName(ir.layers, i)} comes after the last fc`,
                hint: 'remove it, or move it before the fc',
              },
            ]
          : [],
      );
    }),
};

/** Rates in this range are the ones the literature trains with. */
const DROPOUT_MAX = 0.7;

export const dropoutRange: Rule = {
  id: 'dropout-range',
  severity: 'warning',
  doc: `dropout rate 0 (no effect) or above ${DROPOUT_MAX} (drops most activations), or dropout after the last fc`,
  check: (ctx) =>
    stacks(ctx).flatMap((ir) =>
      withinResiduals(ir.layers).flatMap(({ layers, name: nameOf }) => {
        // Inside a residual nothing is after the last fc (lastFc -1 there); the rates count everywhere.
        const lastFc = layers === ir.layers ? layers.map((l) => l.kind).lastIndexOf('fc') : -1;
        return layers.flatMap((l, i): RuleFinding[] => {
          if (l.kind !== 'dropout') return [];
          const name = nameOf(i);
          if (l.rate === 0)
            return [
              { at: layerLocation(l, ctx), message: `${name} has rate 0 and does nothing`, hint: 'remove it, or use a rate such as 0.5' },
            ];
          if (l.rate > DROPOUT_MAX)
            return [
              {
                at: layerLocation(l, ctx),
                message: `${name} drops ${Math.round(l.rate * 100)}% of its inputs`,
                hint: `use a rate of at most ${DROPOUT_MAX}`,
              },
            ];
          if (lastFc >= 0 && i > lastFc)
            return [
              {
                at: layerLocation(l, ctx),
                message: `${name} comes after the last fc: it drops class scores`,
                hint: 'move it before the last fc',
              },
            ];
          return [];
        });
      }),
    ),
};

export const activationBeforeSoftmax: Rule = {
  id: 'activation-before-softmax',
  severity: 'warning',
  doc: 'a relu-like activation on the layer that feeds softmax clips the class scores',
  check: (ctx) =>
    stacks(ctx).flatMap((ir): RuleFinding[] => {
      const softmax = ir.layers.findIndex((l) => l.kind === 'activation' && l.fn === 'softmax');
      const prev = ir.layers[softmax - 1];
      if (softmax < 1 || (prev.kind !== 'fc' && prev.kind !== 'conv') || !CLIPPING.includes(prev.activation)) return [];
      return [
        {
          at: layerLocation(prev, ctx),
          message: `${layerName(ir.layers, softmax - 1)} applies ${prev.activation} to the class scores before softmax`,
          hint: 'leave the last fc linear',
        },
      ];
    }),
};

/** Every nonlinearity but softmax bounds or bends the scores; only linear leaves them as they are. */
const CLIPPING: readonly Activation[] = ACTIVATIONS.filter((a) => a !== 'linear' && a !== 'softmax');
