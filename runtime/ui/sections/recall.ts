// Per-class validation recall as bars, in two columns when the terminal is wide enough.

import { bar } from '../charts.ts';
import { padLeft, padRight, percent } from '../format.ts';
import { seg, sideBySide, type Line } from '../line.ts';
import { scoreTone } from '../theme.ts';

export function recallLines(classes: string[], recall: number[], caption: string, width: number): Line[] {
  const twoColumns = width >= 64 && classes.length > 3;
  const columnWidth = twoColumns ? Math.floor((width - 2) / 2) : width;
  const labelWidth = Math.min(10, Math.max(...classes.map((c) => c.length)) + 1);
  const barWidth = Math.max(5, Math.min(30, columnWidth - labelWidth - 7));
  const rows: Line[] = classes.map((name, i) => {
    const r = recall[i] ?? 0;
    return [seg(padRight(name, labelWidth)), seg(bar(r, barWidth), scoreTone(r)), seg(padLeft(percent(r), 7))];
  });
  const title: Line = [seg('val recall ', 'muted', true), seg(caption, 'muted')];
  if (!twoColumns) return [title, ...rows];
  const half = Math.ceil(rows.length / 2);
  return [title, ...sideBySide(rows.slice(0, half), rows.slice(half), columnWidth)];
}
