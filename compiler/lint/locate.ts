// Where in the source an IR element or a setting came from, for a finding's location and its fix.

import type { Call, EmoFile, Experiment, Pipeline, Span } from '../../grammar/ast.ts';
import type { ExperimentIR, LayerIR } from '../ir.ts';
import type { LintContext, Location } from './types.ts';

export function spanLocation(span: Span, file: string): Location {
  return { file: span.file ?? file, line: span.start.line, column: span.start.column, endLine: span.end.line, endColumn: span.end.column };
}

/** A layer's source position; the span covers the word it was written as. */
export function layerLocation(layer: LayerIR, ctx: LintContext): Location {
  const call = layerCall(layer, ctx);
  if (call) return spanLocation(call.nameSpan, ctx.file);
  const line = layer.src?.line ?? 1;
  const column = layer.src?.column ?? 1;
  return { file: layer.src?.file ?? ctx.file, line, column, endLine: line, endColumn: column + 1 };
}

/** The call a layer was lowered from, with the pipeline holding it. */
export function layerCallIn(layer: LayerIR, ctx: LintContext): { call: Call; pipeline: Pipeline; file: string } | undefined {
  if (!layer.src) return undefined;
  const ast = ctx.result.program.files.get(layer.src.file);
  if (!ast) return undefined;
  for (const p of pipelinesOf(ast)) {
    for (const call of p.calls) {
      if (call.nameSpan.start.line === layer.src.line && call.nameSpan.start.column === layer.src.column) return { call, pipeline: p, file: layer.src.file };
    }
  }
  return undefined;
}

function layerCall(layer: LayerIR, ctx: LintContext): Call | undefined {
  return layerCallIn(layer, ctx)?.call;
}

function* pipelinesOf(ast: EmoFile): Generator<Pipeline> {
  for (const item of ast.items) {
    const sections = item.kind === 'experiment' ? item.sections : [item];
    for (const s of sections) yield* s.body ?? [];
  }
}

/** The AST experiment an IR (or one of its sweep points) was compiled from. */
export function experimentOf(ir: ExperimentIR, ctx: LintContext): Experiment | undefined {
  const name = ir.sweep?.sweep ?? ir.name;
  return ctx.result.ast.items.find((i): i is Experiment => i.kind === 'experiment' && i.name === name);
}

/**
 * Where a setting is written: in the experiment's own section when it sets it there, else at the
 * experiment's name (it came from a base, an import or a default).
 */
export function settingLocation(ir: ExperimentIR, ctx: LintContext, section: string, settings: string[]): Location {
  const exp = experimentOf(ir, ctx);
  const own = exp?.sections.find((s) => s.keyword === section);
  const call = own?.body?.map((p) => p.calls[0]).find((c) => settings.includes(c.name));
  if (call) return spanLocation(call.span, ctx.file);
  if (own) return spanLocation(own.keywordSpan, ctx.file);
  return exp ? spanLocation(exp.nameSpan, ctx.file) : { file: ctx.file, line: 1, column: 1, endLine: 1, endColumn: 1 };
}
