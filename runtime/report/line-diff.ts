// A unified line diff (LCS), the default for "the spec against the previous run". No diff library
// is installed; specs are short (tens of lines), so the quadratic table is fine.

export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push({ kind: 'same', text: a[i++] });
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      // Removals before additions, as diff(1) and git print them.
      out.push({ kind: 'removed', text: a[i++] });
    } else {
      out.push({ kind: 'added', text: b[j++] });
    }
  }
  return out;
}

/** Unified-diff text with `context` unchanged lines around each change; '' when nothing changed. */
export function unifiedDiff(before: string, after: string, labels: [string, string], context = 3): string {
  const lines = lineDiff(before, after);
  if (lines.every((l) => l.kind === 'same')) return '';
  const keep = new Set<number>();
  lines.forEach((l, k) => {
    if (l.kind === 'same') return;
    for (let c = Math.max(0, k - context); c <= Math.min(lines.length - 1, k + context); c++) keep.add(c);
  });
  const out = [`--- ${labels[0]}`, `+++ ${labels[1]}`];
  let oldLine = 1;
  let newLine = 1;
  let k = 0;
  while (k < lines.length) {
    if (!keep.has(k)) {
      if (lines[k].kind !== 'added') oldLine++;
      if (lines[k].kind !== 'removed') newLine++;
      k++;
      continue;
    }
    const hunk: string[] = [];
    const [oldStart, newStart] = [oldLine, newLine];
    let oldCount = 0;
    let newCount = 0;
    for (; k < lines.length && keep.has(k); k++) {
      const l = lines[k];
      hunk.push((l.kind === 'same' ? ' ' : l.kind === 'added' ? '+' : '-') + l.text);
      if (l.kind !== 'added') (oldLine++, oldCount++);
      if (l.kind !== 'removed') (newLine++, newCount++);
    }
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`, ...hunk);
  }
  return out.join('\n');
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
