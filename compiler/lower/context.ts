// What every section lowerer shares: the file being lowered, the diagnostics list it adds to, and the
// reading of a settings section (unknown names, pipes and duplicates reported once, here).

import type { Call, Section, Span } from '../../grammar/ast.ts';
import { CallReader } from '../args.ts';
import { diagnostic, type Code, type Diagnostic } from '../diagnostics.ts';
import type { SrcRef } from '../ir.ts';
import { didYouMean } from '../suggest.ts';
import { isOneOf, LAYER_NAMES, SETTINGS } from '../vocabulary.ts';

export class LowerContext {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
  ) {}

  report(code: Code, span: Span, message: string, hint?: string): void {
    this.diagnostics.push(diagnostic(code, this.file, span, message, hint));
  }

  src(span: Span): SrcRef {
    return { file: span.file ?? this.file, line: span.start.line, column: span.start.column };
  }

  /** A reader of one call's arguments that reports into this context. */
  reader(call: Call): CallReader {
    return new CallReader(call, this.file, this.diagnostics);
  }

  /** Settings of a section by name, reporting unknown names, pipes and duplicates. */
  settings(section: Section | undefined): Map<string, CallReader> {
    const out = new Map<string, CallReader>();
    if (!section) return out;
    const known = SETTINGS[section.keyword] ?? [];
    for (const p of section.body ?? []) {
      const call = p.calls[0];
      if (p.calls.length > 1) {
        const where = `'${section.keyword}' holds settings`;
        this.report('E025', p.calls[1].nameSpan, `'|' joins layers; ${where}`, 'put each setting on its own line');
      }
      if (!known.includes(call.name)) {
        const hint = isOneOf(LAYER_NAMES, call.name)
          ? `'${call.name}' is a layer: it belongs in a model or head block`
          : didYouMean(call.name, known, `${section.keyword} settings: ${known.join(', ')}`);
        this.report('E010', call.nameSpan, `unknown ${section.keyword} setting '${call.name}'`, hint);
        continue;
      }
      if (out.has(call.name)) this.report('E015', call.nameSpan, `'${call.name}' is set twice in ${section.keyword}`, 'keep one');
      out.set(call.name, new CallReader(call, this.file, this.diagnostics, known));
    }
    return out;
  }
}
