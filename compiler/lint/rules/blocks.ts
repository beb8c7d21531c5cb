// Rules over named blocks, `repeat` and residuals: what is written but does nothing, and the residual
// layout that defeats the point of a residual.

import type { BlockDef, Call, EmoFile, Pipeline, Value } from '../../../grammar/ast.ts';
import { calledNames } from '../../blocks.ts';
import type { LayerIR } from '../../ir.ts';
import { layerName } from '../../diff/diff.ts';
import { layerLocation, spanLocation } from '../locate.ts';
import type { LintContext, Rule, RuleFinding } from '../types.ts';

/** Every block called anywhere in the program: in stacks, named sections and other blocks. */
function usedBlocks(ctx: LintContext): Set<string> {
  const used = new Set<string>();
  for (const ast of ctx.result.program.files.values()) {
    for (const item of ast.items) {
      if (item.kind === 'block') calledNames(item.body, used);
      else if (item.kind === 'section') calledNames(item.body ?? [], used);
      else for (const s of item.sections) calledNames(s.body ?? [], used);
    }
  }
  return used;
}

const blocksOf = (ast: EmoFile): BlockDef[] => ast.items.filter((i): i is BlockDef => i.kind === 'block');

export const unusedBlock: Rule = {
  id: 'unused-block',
  severity: 'warning',
  doc: 'a block declared in a spec with experiments is never used: a misspelt call, or a leftover',
  check: (ctx) => {
    // A file of blocks only is a library for others to import: its blocks are used there.
    if (!ctx.result.ast.items.some((i) => i.kind === 'experiment')) return [];
    const used = usedBlocks(ctx);
    return blocksOf(ctx.result.ast)
      .filter((b) => !used.has(b.name))
      .map((b) => ({
        at: spanLocation(b.nameSpan, ctx.file),
        message: `block '${b.name}' is never used`,
        hint: `call it in a model (${b.name} ...) or remove it`,
      }));
  },
};

function variablesIn(pipes: readonly Pipeline[], out = new Set<string>()): Set<string> {
  const visit = (v: Value) => {
    if (v.kind === 'variable') out.add(v.name);
    else if (v.kind === 'list') v.items.forEach(visit);
    else if (v.kind === 'map') v.entries.forEach((e) => visit(e.value));
  };
  for (const p of pipes) {
    for (const c of p.calls) {
      for (const a of c.args) visit(a.kind === 'keyvalue' ? a.value : a);
      variablesIn(c.body ?? [], out);
    }
  }
  return out;
}

export const unusedBlockParameter: Rule = {
  id: 'unused-block-parameter',
  severity: 'warning',
  doc: 'a block parameter its layers never use as $NAME: the value a call passes changes nothing',
  check: (ctx) =>
    blocksOf(ctx.result.ast).flatMap((b): RuleFinding[] => {
      const used = variablesIn(b.body);
      return b.params
        .filter((p) => !used.has(p.name))
        .map((p) => ({
          at: spanLocation(p.span, ctx.file),
          message: `parameter '${p.name}' of block '${b.name}' is never used`,
          hint: `use $${p.name} in the block, or remove the parameter`,
        }));
    }),
};

function repeatedCalls(pipes: readonly Pipeline[], out: Call[] = []): Call[] {
  for (const p of pipes) {
    for (const c of p.calls) {
      if (c.repeat) out.push(c);
      repeatedCalls(c.body ?? [], out);
    }
  }
  return out;
}

export const repeatOnce: Rule = {
  id: 'repeat-once',
  severity: 'warning',
  doc: "'repeat 1' repeats nothing (fixable)",
  check: (ctx) => {
    const calls: Call[] = [];
    for (const item of ctx.result.ast.items) {
      if (item.kind === 'block') repeatedCalls(item.body, calls);
      else if (item.kind === 'section') repeatedCalls(item.body ?? [], calls);
      else for (const s of item.sections) repeatedCalls(s.body ?? [], calls);
    }
    return calls
      .filter((c) => c.repeat!.count === 1)
      .map((c) => {
        const r = c.repeat!.span;
        const fix = { title: "remove 'repeat 1'", start: r.start.offset, end: c.nameSpan.start.offset, replacement: '' };
        return { at: spanLocation(r, ctx.file), message: "'repeat 1' repeats nothing", hint: 'remove it', fix };
      });
  },
};

/** Whether the layer ends in a non-linear activation (its own, or as an activation layer). */
function activates(l: LayerIR | undefined): boolean {
  if (!l) return false;
  if (l.kind === 'activation') return l.fn !== 'linear';
  if (l.kind === 'conv' || l.kind === 'fc') return l.activation !== 'linear';
  return false;
}

function residuals(
  layers: readonly LayerIR[],
  out: { layer: Extract<LayerIR, { kind: 'residual' }>; stack: readonly LayerIR[]; index: number }[] = [],
) {
  layers.forEach((l, index) => {
    if (l.kind !== 'residual') return;
    out.push({ layer: l, stack: layers, index });
    residuals(l.body, out);
  });
  return out;
}

export const residualEndsInActivation: Rule = {
  id: 'residual-ends-in-activation',
  severity: 'warning',
  doc: 'a residual body that ends in an activation: the add sees only what it let through; put the activation after the add (residual relu { ... })',
  check: (ctx) =>
    ctx.experiments.flatMap((ir) =>
      residuals(ir.layers)
        .filter((r) => activates(r.layer.body.at(-1)))
        .map(({ layer, stack, index }) => ({
          at: layerLocation(layer.body.at(-1)!, ctx),
          message: `${layerName(stack, index)} ends its body with an activation, before the add`,
          hint: "end the body with bn (or a linear conv) and apply the activation after the add: 'residual relu { ... }'",
        })),
    ),
};
