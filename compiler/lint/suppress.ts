// Disable comments: `# emoc-disable RULE[, RULE]` switches rules off for the whole file,
// `# emoc-disable-next-line RULE[, RULE]` for the line after the comment. Without a rule, every rule.

import type { Comment } from '../../grammar/ast.ts';
import type { Finding } from './types.ts';

interface Suppression {
  /** null: the whole file. */
  line: number | null;
  /** null: every rule. */
  rules: Set<string> | null;
}

const DIRECTIVE = /^#\s*emoc-disable(-next-line)?(?:\s+([^#]*?))?\s*(?:#.*)?$/;

export function suppressions(comments: readonly Comment[]): Suppression[] {
  return comments.flatMap((c): Suppression[] => {
    const m = DIRECTIVE.exec(c.text.trim());
    if (!m) return [];
    const ids = (m[2] ?? '').split(/[\s,]+/).filter(Boolean);
    return [{ line: m[1] ? c.span.start.line + 1 : null, rules: ids.length ? new Set(ids) : null }];
  });
}

export function isSuppressed(f: Finding, byFile: Map<string, Suppression[]>): boolean {
  return (byFile.get(f.file) ?? []).some((s) => (s.line === null || s.line === f.line) && (s.rules === null || s.rules.has(f.rule)));
}
