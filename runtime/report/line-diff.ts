// A unified line diff, the default for "the spec against the previous run", built on jsdiff's
// structuredPatch (hunks with context); only the header lines are formatted here.

import { structuredPatch } from 'diff';

export function unifiedDiff(before: string, after: string, labels: [string, string], context = 3): string {
  if (before === after) return '';
  const patch = structuredPatch(labels[0], labels[1], before, after, '', '', { context });
  if (patch.hunks.length === 0) return '';
  const out = [`--- ${labels[0]}`, `+++ ${labels[1]}`];
  for (const h of patch.hunks) {
    out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    out.push(...h.lines.filter((l) => !l.startsWith('\\')));
  }
  return out.join('\n');
}
