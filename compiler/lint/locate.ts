// Where in the source an IR element or a setting came from, for a finding's location and its fix.

import type { Experiment, Span } from '../../grammar/ast.ts';
import type { ExperimentIR, LayerIR } from '../ir.ts';
import { originOf } from '../lower/origin.ts';
import type { LintContext, Location } from './types.ts';

export function spanLocation(span: Span, file: string): Location {
  const { start, end } = span;
  const position = { line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  return { file: span.file ?? file, ...position, offset: start.offset, endOffset: end.offset };
}

/** A layer's source position; the span covers the word it was written as. */
export function layerLocation(layer: LayerIR, ctx: LintContext): Location {
  const origin = originOf(layer);
  if (origin) return spanLocation(origin.call.nameSpan, origin.file);
  // An IR that did not come from this compile (read back from JSON) has only its line and column.
  const line = layer.src?.line ?? 1;
  const column = layer.src?.column ?? 1;
  const file = layer.src?.file ?? ctx.file;
  const offset = offsetOf(ctx.result.program.texts.get(file) ?? '', line, column);
  return { file, line, column, endLine: line, endColumn: column + 1, offset, endOffset: offset + 1 };
}

function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return Math.min(text.length, offset + column - 1);
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
  if (exp) return spanLocation(exp.nameSpan, ctx.file);
  return { file: ctx.file, line: 1, column: 1, endLine: 1, endColumn: 1, offset: 0, endOffset: 0 };
}
