// Prints diagnostics like a compiler: `file:line:col error E011 message`, a code frame with a caret
// under the span, and the hint. Colours only when the stream is a terminal and NO_COLOR is unset.

import type { Diagnostic } from '../compiler/diagnostics.ts';

export interface PrintOptions {
  color: boolean;
  /** Source text by file, for code frames. */
  texts: Map<string, string>;
}

export function useColor(stream: NodeJS.WriteStream): boolean {
  return !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

const paint = (on: boolean, code: string, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

export function formatDiagnostic(d: Diagnostic, opts: PrintOptions): string {
  const sevColor = d.severity === 'error' ? '31;1' : d.severity === 'warning' ? '33;1' : '36';
  const head = `${paint(opts.color, '1', `${d.file}:${d.line}:${d.column}`)} ${paint(opts.color, sevColor, d.severity)} ${paint(opts.color, '2', d.code)} ${d.message}`;
  const lines = [head];
  const text = opts.texts.get(d.file);
  if (text !== undefined) {
    const src = text.split(/\r?\n/);
    const lineText = src[d.line - 1];
    if (lineText !== undefined) {
      const gutter = String(d.line).length;
      const width = d.endLine === d.line ? Math.max(1, d.endColumn - d.column) : Math.max(1, lineText.length - d.column + 1);
      lines.push(`${' '.repeat(gutter)} |`);
      lines.push(`${d.line} | ${lineText}`);
      lines.push(`${' '.repeat(gutter)} | ${' '.repeat(Math.max(0, d.column - 1))}${paint(opts.color, sevColor, '^'.repeat(width))}`);
    }
  }
  if (d.hint) lines.push(`  ${paint(opts.color, '36', 'hint:')} ${d.hint}`);
  return lines.join('\n');
}

export function formatDiagnostics(ds: readonly Diagnostic[], opts: PrintOptions): string {
  if (ds.length === 0) return '';
  const errors = ds.filter((d) => d.severity === 'error').length;
  const warnings = ds.filter((d) => d.severity === 'warning').length;
  const summary = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  return `${ds.map((d) => formatDiagnostic(d, opts)).join('\n\n')}\n\n${summary}\n`;
}
