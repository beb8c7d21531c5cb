// Learning curves: sparklines of train/val loss and accuracy per epoch, the best epoch marked with
// ▲, plus the latest and best values. Train and val share a scale per metric so they compare.

import type { EpochPoint, RunView } from '../state.ts';
import { downsample, lineChart, sparkline } from '../charts.ts';
import { fixed, padLeft, padRight, percent } from '../format.ts';
import { seg, sideBySide, type Line, type Tone } from '../line.ts';

const LABEL = 11;
const VALUE = 8;

interface Row {
  label: string;
  tone: Tone;
  values: number[];
  format: (x: number) => string;
  /** Min and max of the metric across train and val. */
  range: [number, number];
  showBest: boolean;
}

export function curvesLines(run: RunView, width: number): Line[] {
  const h = run.history;
  if (h.length === 0) return [[seg('curves ', 'muted', true), seg('appear after the first epoch', 'muted')]];
  const sparkWidth = Math.max(8, width - LABEL - 2 * VALUE - 2);
  // Room for every planned epoch, so the curves grow left to right as training goes.
  const planned = Math.max(run.start.epochs, h.length);
  const cell = Math.max(1, Math.min(4, Math.floor(sparkWidth / planned)));
  const pick = (f: (p: EpochPoint) => number) => h.map(f);
  const rangeOf = (...xs: number[][]) => [Math.min(...xs.flat()), Math.max(...xs.flat())] as [number, number];
  const loss = rangeOf(
    pick((p) => p.trainLoss),
    pick((p) => p.valLoss),
  );
  const acc = rangeOf(
    pick((p) => p.trainAcc),
    pick((p) => p.valAcc),
  );
  const rows: Row[] = [
    { label: 'train loss', tone: 'train', values: pick((p) => p.trainLoss), format: (x) => fixed(x), range: loss, showBest: false },
    { label: 'val loss', tone: 'val', values: pick((p) => p.valLoss), format: (x) => fixed(x), range: loss, showBest: true },
    { label: 'train acc', tone: 'train', values: pick((p) => p.trainAcc), format: (x) => percent(x), range: acc, showBest: false },
    { label: 'val acc', tone: 'val', values: pick((p) => p.valAcc), format: (x) => percent(x), range: acc, showBest: true },
  ];
  const bestIndex = run.bestEpoch === null ? -1 : h.findIndex((p) => p.epoch === run.bestEpoch);
  const maxCells = Math.floor(sparkWidth / cell);

  const title: Line = [
    seg(padRight('curves', LABEL), 'muted', true),
    seg(padRight(`epoch ${h[0].epoch}–${h[h.length - 1].epoch} of ${run.start.epochs}`, sparkWidth)),
    seg(padLeft('last', VALUE), 'muted'),
    seg(padLeft(bestIndex >= 0 ? 'best' : '', VALUE), 'muted'),
  ];
  const lines: Line[] = [title];
  let markerColumn = -1;
  for (const row of rows) {
    const sampled = downsample(row.values, maxCells);
    if (bestIndex >= 0) markerColumn = sampled.indexOf(bestIndex) * cell;
    lines.push([
      seg(padRight(row.label, LABEL), row.tone),
      seg(padRight(sparkline(sampled.values, row.range[0], row.range[1], cell), sparkWidth), row.tone),
      seg(padLeft(row.format(row.values[row.values.length - 1]), VALUE)),
      seg(padLeft(row.showBest && bestIndex >= 0 ? row.format(row.values[bestIndex]) : '', VALUE), 'good'),
    ]);
  }
  lines.push(markerColumn >= 0 ? [seg(' '.repeat(LABEL + markerColumn)), seg(`▲ best epoch ${run.bestEpoch}`, 'good')] : []);
  return lines;
}

/** Full line charts for tall terminals: loss and accuracy, side by side when wide enough. */
export function bigChartLines(run: RunView, width: number, height: number, color: boolean): Line[] {
  const h = run.history;
  if (h.length < 2) return [];
  const bestIndex = run.bestEpoch === null ? null : h.findIndex((p) => p.epoch === run.bestEpoch);
  const colors = color ? ['\u001b[34m', '\u001b[35m'] : undefined; // blue train, magenta val, as in the sparklines
  const sideways = width >= 100;
  const chartWidth = sideways ? Math.floor((width - 2) / 2) : width;
  const chart = (title: string, train: number[], val: number[], format: (x: number) => string, range?: [number, number]): Line[] => [
    [seg(title, undefined, true), seg('  ── train', 'train'), seg('  ── val', 'val')],
    ...lineChart([train, val], { width: chartWidth, height, colors, format, markIndex: bestIndex, min: range?.[0], max: range?.[1] }).map(
      (text): Line => [{ text, ansi: true }],
    ),
  ];
  const loss = chart(
    'loss',
    h.map((p) => p.trainLoss),
    h.map((p) => p.valLoss),
    (x) => x.toFixed(2),
  );
  const acc = chart(
    'accuracy',
    h.map((p) => p.trainAcc),
    h.map((p) => p.valAcc),
    (x) => `${Math.round(x * 100)}%`,
    [0, 1],
  );
  return sideways ? sideBySide(loss, acc, chartWidth) : [...loss, ...acc];
}
