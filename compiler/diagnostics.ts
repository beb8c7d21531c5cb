// Diagnostics are values: the front end collects every problem it can find and returns them; it never
// throws for a user's mistake. Each code is stable (tests and users' scripts may match on it) and is
// listed here once, with the one-line meaning `emoc check --codes` prints.

import type { Span } from '../grammar/ast.ts';

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** 0-based offsets of the span in the file's text, `endOffset` exclusive: where a fix or an editor acts. */
  offset: number;
  endOffset: number;
  hint?: string;
  /** A mechanical edit that resolves the problem (`emoc lint --fix` applies it). */
  fix?: Fix;
}

/**
 * Replace [start, end) of the diagnostic's file with `replacement`. Only for edits whose result is
 * certain from the text alone (a missing softmax, a single did-you-mean, a duplicate to drop).
 */
export interface Fix {
  /** What the edit does, as a command: "replace 'maxpol' with 'maxpool'". */
  title: string;
  start: number;
  end: number;
  replacement: string;
}

export const CODES = {
  E001: 'unexpected character',
  E002: 'syntax error',
  E003: 'unterminated string',
  E004: 'unterminated block or list',
  E010: 'unknown section or setting',
  E011: 'unknown layer',
  E012: 'missing argument',
  E013: 'invalid argument value',
  E014: 'unexpected argument',
  E015: 'duplicate setting',
  E016: 'duplicate experiment name',
  E017: 'unknown experiment or named section',
  E018: 'circular extends',
  E019: 'import not found or circular',
  E020: 'unknown backbone',
  E021: 'unknown tap',
  E022: 'backbone package not installed',
  E023: 'invalid data source',
  E024: 'unknown class',
  E025: 'pipeline outside a layer stack',
  E026: 'missing section',
  E027: 'conflicting sections',
  E030: 'feature map collapses',
  E031: 'final width differs from the class count',
  E032: 'layer needs a different input rank',
  E033: 'crop does not fit the input',
  E034: 'backbone cannot be fine-tuned',
  E035: 'test and training crops differ in size',
  E036: 'layer after the final softmax',
  E037: 'augmentation a frozen backbone cannot take',
  E038: 'input size the backbone cannot take',
  E040: 'sweep over an unknown key',
  E041: 'undefined variable',
  E042: 'invalid sweep axis',
  E043: 'duplicate sweep point name',
  E044: 'sweep has more points than the limit',
  E050: 'unknown block',
  E051: 'too many arguments for a block',
  E052: 'unknown or repeated block parameter',
  E053: 'missing block parameter',
  E054: 'recursive block',
  E055: 'residual shapes cannot be projected',
  E056: 'duplicate or reserved block name',
  E057: 'invalid repeat count',
  E065: 'invalid test split',
  E060: 'augmentation strength out of range',
  E070: 'training recipe value out of range',
  E071: 'weight decay on an optimizer without decoupled decay',
  E072: 'warm-up or head-only start not shorter than training',
  W001: 'setting has no effect',
  W002: 'a batch needs more activation memory than the limit',
} as const;

export type Code = keyof typeof CODES;

export function diagnostic(code: Code, file: string, span: Span, message: string, hint?: string, severity?: Severity): Diagnostic {
  return {
    code,
    severity: severity ?? (code.startsWith('W') ? 'warning' : 'error'),
    message,
    file: span.file ?? file,
    line: span.start.line,
    column: span.start.column,
    endLine: span.end.line,
    endColumn: span.end.column,
    offset: span.start.offset,
    endOffset: span.end.offset,
    ...(hint ? { hint } : {}),
  };
}

/** The diagnostic with `fix` attached. */
export function withFix(d: Diagnostic, fix: Fix | undefined): Diagnostic {
  return fix ? { ...d, fix } : d;
}

/** A fix that replaces the span's text. */
export function replaceFix(span: Span, replacement: string, title: string): Fix {
  return { title, start: span.start.offset, end: span.end.offset, replacement };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Sorted by file, position, then code; identical diagnostics (e.g. from several sweep points) once. */
export function normalizeDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    const key = `${d.file}:${d.line}:${d.column}:${d.code}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
}
