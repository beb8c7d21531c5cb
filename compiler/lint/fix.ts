// emoc lint --fix: apply the safe fixes of a spec's findings to its text, then format it, so a fixed
// spec is also in the canonical layout. Edits that overlap an earlier one are left for the next run.

import { formatEmo } from '../format/format.ts';
import type { Fix } from '../diagnostics.ts';
import type { Finding } from './types.ts';

/** Replace [start, end) of a text with `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

export function applyEdits(text: string, edits: readonly TextEdit[]): { text: string; applied: number } {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let applied = 0;
  let limit = Infinity;
  for (const e of sorted) {
    if (e.end > limit) continue;
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    limit = e.start;
    applied++;
  }
  return { text: out, applied };
}

/** The spec's text with every fix for `file` applied and formatted; null when nothing was fixable. */
export async function fixText(file: string, text: string, findings: readonly Finding[]): Promise<{ text: string; applied: number } | null> {
  const edits = findings.flatMap(({ fix, file: at }) => (fix && at === file ? [edit(fix)] : []));
  if (edits.length === 0) return null;
  const { text: edited, applied } = applyEdits(text, dedupeEdits(edits));
  const formatted = await formatEmo(edited, { filepath: file, useConfig: true });
  return { text: formatted.ok ? formatted.text : edited, applied };
}

const edit = (fix: Fix): TextEdit => ({ start: fix.start, end: fix.end, text: fix.replacement });

function dedupeEdits(edits: TextEdit[]): TextEdit[] {
  const seen = new Set<string>();
  return edits.filter((e) => {
    const key = `${e.start}:${e.end}:${e.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
