// A model or head block -> its layers, with every activation and padding explicit.

import type { Section } from '../../grammar/ast.ts';
import type { Activation, LayerIR, Padding } from '../ir.ts';
import { ACTIVATIONS, isOneOf, PADDINGS } from '../vocabulary.ts';
import type { LowerContext } from './context.ts';
import { lowerLayer, type LoweredLayer } from './layer.ts';
import { recordOrigin } from './origin.ts';

export function lowerLayers(ctx: LowerContext, section: Section): LayerIR[] {
  let defaultActivation: Activation | null = null;
  let defaultPadding: Padding = 'same';
  const lowered: LoweredLayer[] = [];
  for (const p of section.body ?? []) {
    for (const call of p.calls) {
      if (call.name !== 'default') {
        const built = lowerLayer(ctx, call, defaultPadding);
        if (!built) continue;
        lowered.push(built);
        recordOrigin(built.layer, { call, pipeline: p, file: call.nameSpan.file ?? ctx.file });
        continue;
      }
      // `default padding` applies to the layers after it, `default activation` to the whole stack.
      const r = ctx.reader(call);
      const key = r.take((v) => v.kind === 'word');
      const value = r.take((v) => v.kind === 'word');
      const k = key?.kind === 'word' ? key.name : '';
      const val = value?.kind === 'word' ? value.name : '';
      if (k === 'activation' && isOneOf(ACTIVATIONS, val)) defaultActivation = val;
      else if (k === 'padding' && isOneOf(PADDINGS, val)) defaultPadding = val;
      else {
        const message = `default takes: activation NAME, or padding ${PADDINGS.join('|')}`;
        ctx.report('E013', call.span, message, 'for example: default activation relu');
      }
      r.finish();
      if (p.calls.length > 1) ctx.report('E025', call.nameSpan, "'default' is a directive, not a layer", 'put it on its own line');
    }
  }
  settleActivations(lowered, defaultActivation);
  return lowered.map((x) => x.layer);
}

/**
 * The write-up's convention: the default activation follows every conv and fc except the last one,
 * unless the layer names its own or an activation layer follows it directly.
 */
function settleActivations(lowered: LoweredLayer[], defaultActivation: Activation | null): void {
  const last = lowered.filter((x) => x.layer.kind === 'conv' || x.layer.kind === 'fc').at(-1);
  lowered.forEach((x, i) => {
    const l = x.layer;
    if ((l.kind !== 'conv' && l.kind !== 'fc') || x.explicitActivation) return;
    const followedByActivation = lowered[i + 1]?.layer.kind === 'activation';
    l.activation = defaultActivation && x !== last && !followedByActivation ? defaultActivation : 'linear';
  });
}
