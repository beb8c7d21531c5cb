// A model or head block -> its layers, with every activation and padding explicit.

import type { Call, Pipeline, Section } from '../../grammar/ast.ts';
import type { Activation, LayerIR, Padding } from '../ir.ts';
import { ACTIVATIONS, isOneOf, PADDINGS } from '../vocabulary.ts';
import type { LowerContext } from './context.ts';
import { readActivation, usage } from './layer-args.ts';
import { lowerLayer, type LoweredLayer } from './layer.ts';
import { recordOrigin } from './origin.ts';

/** Directives in force while a stack is lowered (`default padding` for the layers after it). */
interface StackDefaults {
  activation: Activation | null;
  padding: Padding;
}

export function lowerLayers(ctx: LowerContext, section: Section): LayerIR[] {
  const defaults: StackDefaults = { activation: null, padding: 'same' };
  const lowered = lowerPipelines(ctx, section.body ?? [], defaults);
  return settleActivations(lowered, defaults.activation).map((x) => x.layer);
}

/** A lowered residual keeps its body's lowered layers, whose activations are settled with the stack's. */
type Lowered = LoweredLayer & { body?: Lowered[] };

function lowerPipelines(ctx: LowerContext, pipes: readonly Pipeline[], defaults: StackDefaults): Lowered[] {
  const lowered: Lowered[] = [];
  // Indexed loops: this runs for every layer of every experiment, mostly before V8 optimises it, and an
  // unoptimised for-of allocates per step.
  for (let i = 0; i < pipes.length; i++) {
    const p = pipes[i];
    for (let k = 0; k < p.calls.length; k++) {
      const call = p.calls[k];
      if (call.name === 'default') {
        directive(ctx, call, p, defaults);
        continue;
      }
      const built: Lowered | null = call.body ? lowerResidual(ctx, call, defaults) : lowerLayer(ctx, call, defaults.padding);
      if (!built) continue;
      if (call.from)
        built.layer.from = {
          block: call.from.block,
          call: ctx.src(call.from.call),
        };
      lowered.push(built);
      recordOrigin(built.layer, {
        call,
        pipeline: p,
        file: call.nameSpan.file ?? ctx.file,
      });
    }
  }
  return lowered;
}

/** `residual { ... }` (written or from a residual block): its shortcut is picked from the shapes (shapes.ts). */
function lowerResidual(ctx: LowerContext, call: Call, defaults: StackDefaults): Lowered | null {
  const r = ctx.reader(call);
  const act = readActivation(r);
  r.finish(usage('residual'));
  const body = lowerPipelines(ctx, call.body ?? [], defaults);
  if (body.length === 0) return null;
  const src = ctx.src(call.nameSpan);
  const layer: LayerIR = { kind: 'residual', body: [], shortcut: { kind: 'identity' }, activation: act.activation, src };
  return { layer, explicitActivation: act.explicit, body };
}

/** `default padding` applies to the layers after it, `default activation` to the whole stack. */
function directive(ctx: LowerContext, call: Call, p: Pipeline, defaults: StackDefaults): void {
  const r = ctx.reader(call);
  const key = r.take((v) => v.kind === 'word');
  const value = r.take((v) => v.kind === 'word');
  const k = key?.kind === 'word' ? key.name : '';
  const val = value?.kind === 'word' ? value.name : '';
  if (k === 'activation' && isOneOf(ACTIVATIONS, val)) defaults.activation = val;
  else if (k === 'padding' && isOneOf(PADDINGS, val)) defaults.padding = val;
  else {
    const message = `default takes: activation NAME, or padding ${PADDINGS.join('|')}`;
    ctx.report('E013', call.span, message, 'for example: default activation relu');
  }
  r.finish();
  if (p.calls.length > 1) ctx.report('E025', call.nameSpan, "'default' is a directive, not a layer", 'put it on its own line');
}

/**
 * The write-up's convention: the default activation follows every conv and fc except the last one,
 * unless the layer names its own or an activation layer follows it directly. A residual's body is settled
 * the same way on its own (its last conv or fc stays linear: the activation comes after the add), and an
 * activation layer right after a residual becomes the residual's activation (`basic 64 | relu`: relu after
 * the add) unless it names its own (`residual relu { ... }`); without either a residual takes the default
 * activation. Returns the stack without the folded
 * activation layers.
 */
function settleActivations(lowered: Lowered[], defaultActivation: Activation | null): Lowered[] {
  const last = lowered.filter((x) => x.layer.kind === 'conv' || x.layer.kind === 'fc').at(-1);
  const out: Lowered[] = [];
  lowered.forEach((x, i) => {
    const l = x.layer;
    const next = lowered[i + 1]?.layer;
    const prev = lowered[i - 1];
    if (l.kind === 'activation' && prev?.layer.kind === 'residual' && !prev.explicitActivation) return;
    out.push(x);
    if (l.kind === 'residual') {
      l.body = settleActivations(x.body ?? [], defaultActivation).map((b) => b.layer);
      if (!x.explicitActivation) l.activation = next?.kind === 'activation' ? next.fn : (defaultActivation ?? 'linear');
      return;
    }
    if ((l.kind !== 'conv' && l.kind !== 'fc') || x.explicitActivation) return;
    const followedByActivation = next?.kind === 'activation';
    l.activation = defaultActivation && x !== last && !followedByActivation ? defaultActivation : 'linear';
  });
  return out;
}
