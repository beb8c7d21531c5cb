// Header: what is running, on what data, on which backend, how big the model is.

import type { DashboardState } from '../state.ts';
import { abbreviate, count } from '../format.ts';
import { lineWidth, seg, type Line } from '../line.ts';

export function headerLines(state: DashboardState, width: number, withClassCounts: boolean): Line[] {
  const run = state.run;
  const title: Line = [seg('emoc ', 'accent', true)];
  if (state.sweep) {
    const position = run?.start.point ? state.sweep.points.findIndex((p) => p.point === run.start.point) + 1 : 0;
    title.push(seg(`sweep ${state.sweep.sweep}`, undefined, true));
    if (run?.start.point) title.push(seg(` · point ${position}/${state.sweep.points.length} `), seg(run.start.point, 'accent', true));
  } else if (run) {
    title.push(seg(run.start.experiment, undefined, true));
  }
  if (!run && state.sweep?.remote) return [title, [seg(`points run by queue workers · ${state.sweep.sweepDir}`, 'muted')]];
  if (!run) return [title, [seg('waiting for the run to start…', 'muted')]];

  const s = run.start;
  const backend = `${s.backend.name} ×${s.backend.threads} · ${count(s.params.total)} params`;
  const full = `${backend} (${count(s.params.trainable)} trainable)`;
  const right = lineWidth(title) + full.length + 2 <= width ? full : backend;
  const gap = width - lineWidth(title) - right.length;
  const lines: Line[] = [gap >= 2 ? [...title, seg(' '.repeat(gap)), seg(right, 'muted')] : title];
  if (gap < 2) lines.push([seg(right, 'muted')]);

  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  lines.push([
    seg('data ', 'muted'),
    seg(s.source),
    seg(` · train ${count(sum(s.counts.train))} · val ${count(sum(s.counts.val))}`),
    ...(s.skipped ? [seg(` · ${s.skipped} skipped`, 'warn')] : []),
  ]);
  if (withClassCounts) lines.push(classCountsLine(s.classes, s.counts, width));
  return lines;
}

/** "angry 30/10  disgust 30/10 …" (train/val), abbreviating class names when the full line would not fit. */
function classCountsLine(classes: string[], counts: { train: number[]; val: number[] }, width: number): Line {
  const prefix = 'train/val ';
  const cells = (names: string[], sep: string) => names.map((n, i) => `${n} ${counts.train[i] ?? 0}/${counts.val[i] ?? 0}`).join(sep);
  const attempts: [number, string][] = [
    [Infinity, '  '],
    [Infinity, ' '],
    [5, ' '],
    [4, ' '],
    [3, ' '],
  ];
  let text = '';
  for (const [nameWidth, sep] of attempts) {
    text = cells(nameWidth === Infinity ? classes : abbreviate(classes, nameWidth), sep);
    if (prefix.length + text.length <= width) break;
  }
  return [seg(prefix, 'muted'), seg(text)];
}
