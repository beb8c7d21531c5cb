// The report's charts: vega-lite specs rendered to SVG strings server side, so the HTML needs no
// script, font or network to show them.

import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { EpochEvent } from '../events.ts';
import type { SweepResultRow } from './load.ts';

const TRAIN_VAL = { domain: ['train', 'val'], range: ['#4c78a8', '#e45756'] };
const CONFIG = { font: 'sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } };

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Loss and accuracy per epoch, train and val, with a dashed rule at the best epoch. */
export function learningCurvesSpec(epochs: EpochEvent[], bestEpoch: number | null): TopLevelSpec {
  const rows = epochs.flatMap((e) => [
    { epoch: e.epoch, split: 'train', loss: e.train.loss, accuracy: e.train.acc },
    { epoch: e.epoch, split: 'val', loss: e.val.loss, accuracy: e.val.acc },
  ]);
  const panel = (metric: 'loss' | 'accuracy') => ({
    width: 300,
    height: 200,
    title: metric === 'loss' ? 'Loss' : 'Accuracy',
    layer: [
      {
        mark: { type: 'line' as const, point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative' as const, axis: { tickMinStep: 1, format: 'd' } },
          y: {
            field: metric,
            type: 'quantitative' as const,
            ...(metric === 'accuracy' ? { axis: { format: '.0%' }, scale: { domain: [0, 1] } } : { scale: { zero: false } }),
          },
          color: { field: 'split', type: 'nominal' as const, scale: TRAIN_VAL, title: null },
        },
      },
      ...(bestEpoch === null
        ? []
        : [
            {
              data: { values: [{ epoch: bestEpoch, label: `best epoch ${bestEpoch}` }] },
              layer: [
                {
                  mark: { type: 'rule' as const, strokeDash: [4, 3], color: '#54a24b' },
                  encoding: { x: { field: 'epoch', type: 'quantitative' as const } },
                },
                {
                  mark: { type: 'text' as const, align: 'left' as const, dx: 4, y: 8, color: '#54a24b' },
                  encoding: { x: { field: 'epoch', type: 'quantitative' as const }, text: { field: 'label' } },
                },
              ],
            },
          ]),
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    data: { values: rows },
    hconcat: [panel('loss'), panel('accuracy')],
  } as TopLevelSpec;
}

/** Confusion matrix as a heat map coloured by row share, each cell labelled "count · row%". */
export function confusionSpec(classes: string[], matrix: number[][]): TopLevelSpec {
  const cells = matrix.flatMap((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((n, p) => ({
      actual: classes[t],
      predicted: classes[p],
      count: n,
      share: total ? n / total : 0,
      label: `${n} · ${total ? Math.round((n / total) * 100) : 0}%`,
    }));
  });
  const axis = (title: string) => ({
    field: title === 'true class' ? 'actual' : 'predicted',
    type: 'nominal' as const,
    sort: classes,
    title,
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    data: { values: cells },
    width: 60 * classes.length,
    height: 40 * classes.length,
    title: 'Confusion matrix (validation): count · row %',
    encoding: { x: { ...axis('predicted'), axis: { orient: 'top', labelAngle: 0 } }, y: axis('true class') },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'share',
            type: 'quantitative',
            scale: { scheme: 'blues', domain: [0, 1] },
            title: 'row %',
            legend: { format: '.0%' },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: { field: 'label' },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: '#222' },
        },
      },
    ],
  } as TopLevelSpec;
}

export function recallSpec(classes: string[], recall: number[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    data: { values: classes.map((c, i) => ({ class: c, recall: recall[i] ?? 0 })) },
    width: 360,
    height: { step: 22 },
    title: 'Recall per class (validation)',
    encoding: {
      y: { field: 'class', type: 'nominal', sort: classes, title: null },
      x: { field: 'recall', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
    },
    layer: [
      { mark: { type: 'bar', color: '#4c78a8' } },
      { mark: { type: 'text', align: 'left', dx: 3 }, encoding: { text: { field: 'recall', format: '.0%' } } },
    ],
  } as TopLevelSpec;
}

/** Validation accuracy per sweep point, the best one in green; failed points show as "failed". */
export function sweepAccuracySpec(rows: SweepResultRow[]): TopLevelSpec {
  const values = rows.map((r) => ({
    point: r.point,
    valAcc: r.valAcc ?? 0,
    label: r.valAcc === null ? 'failed' : `${(r.valAcc * 100).toFixed(1)}%`,
    kind: r.best ? 'best' : r.valAcc === null ? 'failed' : 'other',
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    data: { values },
    width: { step: 60 },
    height: 220,
    title: 'Validation accuracy by point',
    encoding: {
      x: { field: 'point', type: 'nominal', sort: rows.map((r) => r.point), axis: { labelAngle: -30 }, title: null },
      y: { field: 'valAcc', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '.0%' }, title: 'val accuracy' },
    },
    layer: [
      {
        mark: 'bar',
        encoding: {
          color: {
            field: 'kind',
            type: 'nominal',
            scale: { domain: ['best', 'other', 'failed'], range: ['#54a24b', '#4c78a8', '#e45756'] },
            title: null,
          },
        },
      },
      { mark: { type: 'text', dy: -6 }, encoding: { text: { field: 'label' } } },
    ],
  } as TopLevelSpec;
}
