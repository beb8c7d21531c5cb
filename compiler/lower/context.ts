// What every section lowerer shares: the file being lowered, the diagnostics list it adds to, and the
// reading of a settings section (unknown names, pipes and duplicates reported once, here).

import type { Call, Section, Span } from '../../grammar/ast.ts';
import { CallReader } from '../args.ts';
import { diagnostic, withFix, type Code, type Diagnostic, type Fix } from '../diagnostics.ts';
import type { SrcRef } from '../ir.ts';
import { suggestFix } from '../suggest.ts';
import { isOneOf, LAYER_NAMES, SETTINGS } from '../vocabulary.ts';

export class LowerContext {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
  ) {}

  report(code: Code, span: Span, message: string, hint?: string, fix?: Fix): void {
    this.diagnostics.push(withFix(diagnostic(code, this.file, span, message, hint), fix));
  }

  /** An unknown word at `span`: "did you mean" the closest candidate, with the fix that writes it. */
  reportUnknown(code: Code, span: Span, message: string, word: string, candidates: Iterable<string>, fallback?: string): void {
    const { hint, fix } = suggestFix(word, span, candidates, fallback);
    this.report(code, span, message, hint, fix);
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
        const message = `unknown ${section.keyword} setting '${call.name}'`;
        const layerHint = `'${call.name}' is a layer: it belongs in a model or head block`;
        if (isOneOf(LAYER_NAMES, call.name)) this.report('E010', call.nameSpan, message, layerHint);
        else this.reportUnknown('E010', call.nameSpan, message, call.name, known, `${section.keyword} settings: ${known.join(', ')}`);
        continue;
      }
      const earlier = out.get(call.name);
      if (earlier) {
        // The last one is the one in force, so the fix drops the earlier one: only when both are in the file
        // the diagnostic points into (a merged section can hold settings from several files).
        const sameFile = (earlier.call.span.file ?? this.file) === (call.span.file ?? this.file);
        const fix = sameFile ? { title: `remove the earlier '${call.name}'`, ...removal(section, earlier.call) } : undefined;
        this.report('E015', call.nameSpan, `'${call.name}' is set twice in ${section.keyword}`, 'keep one', fix);
      }
      out.set(call.name, new CallReader(call, this.file, this.diagnostics, known));
    }
    return out;
  }
}

/**
 * The text to delete to drop a setting's line: from the end of the line before it in the section (so
 * its line break and indentation go too), or from its own start when it is the first.
 */
function removal(section: Section, call: Call): { start: number; end: number; replacement: string } {
  const body = section.body ?? [];
  const i = body.findIndex((p) => p.calls[0] === call);
  const own = body[i].span;
  const start = i > 0 && body[i - 1].span.file === own.file ? body[i - 1].span.end.offset : own.start.offset;
  return { start, end: own.end.offset, replacement: '' };
}
