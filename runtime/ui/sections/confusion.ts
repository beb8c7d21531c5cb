// Confusion matrix on the validation split: count and row percentage per cell (rows are the true
// class, so a row's percentages add to 100% and the diagonal is the class's recall), with a recall
// bar at the end of each row when the width allows.

import { abbreviate, padLeft, padRight } from '../format.ts';
import { bar } from '../charts.ts';
import { seg, type Line, type Tone } from '../line.ts';
import { scoreTone } from '../theme.ts';

export function confusionLines(classes: string[], matrix: number[][], width: number): Line[] {
  const digits = Math.max(1, ...matrix.flat().map((n) => String(n).length));
  const cellWidth = digits + 1 + 4 + 1; // "12 100%" plus one space before
  const labelWidth = Math.min(10, Math.max(...classes.map((c) => c.length)) + 1);
  const used = labelWidth + classes.length * cellWidth;
  const barWidth = Math.min(12, width - used - 8);
  const withBars = barWidth >= 4;

  const header: Line = [
    seg(padRight('true\\pred', labelWidth), 'muted'),
    ...abbreviate(classes, cellWidth - 1).map((c) => seg(padLeft(c, cellWidth), 'muted')),
    ...(withBars ? [seg('  recall', 'muted')] : []),
  ];
  const rows: Line[] = matrix.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    const line: Line = [seg(padRight(classes[t] ?? `#${t}`, labelWidth))];
    row.forEach((n, p) => {
      const share = total ? n / total : 0;
      // Empty off-diagonal cells are a dot: the eye should land on the counts that matter.
      if (n === 0 && p !== t) return void line.push(seg(padLeft('· ', cellWidth), 'muted'));
      const tone: Tone | undefined = p === t ? scoreTone(share) : undefined;
      const pct = total ? `${Math.round(share * 100)}%` : '–';
      line.push(seg(padLeft(`${n} ${pct.padStart(4)}`, cellWidth), tone, p === t));
    });
    if (withBars) {
      const recall = total ? row[t] / total : 0;
      line.push(seg('  '), seg(bar(recall, barWidth), scoreTone(recall)));
    }
    return line;
  });
  return [
    [seg('confusion ', 'muted', true), seg('validation, best weights · rows: true class · count and row %', 'muted')],
    header,
    ...rows,
  ];
}

/** Whether the confusion rows carry recall bars at this width (then the recall section is redundant). */
export function confusionHasRecallBars(classes: string[], matrix: number[][], width: number): boolean {
  const digits = Math.max(1, ...matrix.flat().map((n) => String(n).length));
  const labelWidth = Math.min(10, Math.max(...classes.map((c) => c.length)) + 1);
  return Math.min(12, width - labelWidth - classes.length * (digits + 6) - 8) >= 4;
}
