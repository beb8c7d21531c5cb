// The report of one run: summary, spec and its diff against the previous run, curves, confusion
// matrix, recall. Builds the HTML body and the Markdown from the same facts.

import { basename } from 'node:path';
import type { RunRecord } from './load.ts';
import { confusionSpec, learningCurvesSpec, recallSpec, renderSvg } from './charts.ts';
import { chart, diffBlock, escapeHtml, section, table } from './html.ts';
import { mdCode, mdTable } from './markdown.ts';
import { num, pct, seconds } from './format.ts';

export interface SpecSide {
  spec: string;
  dir: string;
  runId: string;
}

/** Turns two specs into unified-diff text ('' when they mean the same). The default is a line diff. */
export type SpecDiffHook = (previous: SpecSide, current: SpecSide) => string | Promise<string>;

export interface ReportParts {
  title: string;
  html: string;
  md: string;
}

export async function runReport(run: RunRecord, specDiff: SpecDiffHook, headingLevel: 1 | 2 = 1): Promise<ReportParts> {
  const s = run.summary;
  const title = `${headingLevel > 1 ? 'Best point: ' : ''}${s.experiment}${s.point ? ` · ${s.point}` : ''} — run ${s.runId}`;
  const facts: [string, string][] = [
    ['status', s.status],
    ['best epoch', s.bestEpoch === null ? '–' : String(s.bestEpoch)],
    ['epochs run', String(s.epochsRun)],
    ['val accuracy', pct(s.val?.acc)],
    ['val macro F1', num(s.val?.f1)],
    ['val loss', num(s.val?.loss)],
    ['train accuracy', pct(s.train?.acc)],
    // The test split, scored once with the chosen model; only runs that had one show these rows.
    ...(s.test
      ? ([
          ['test accuracy', pct(s.test.acc)],
          ['test macro F1', num(s.test.f1)],
          ['test loss', num(s.test.loss)],
        ] as [string, string][])
      : []),
    ['wall time', seconds(s.elapsedMs)],
    ['backend', `${s.backend.name} × ${s.backend.threads} threads`],
    ['started', s.startedAt],
    ['finished', s.finishedAt],
  ];

  const current: SpecSide = { spec: run.spec, dir: run.dir, runId: s.runId };
  const diff = run.previous ? await specDiff({ spec: run.previous.spec, dir: run.previous.dir, runId: run.previous.runId }, current) : null;
  const diffNote = !run.previous
    ? 'First run of this experiment: nothing to compare with.'
    : diff === ''
      ? `Same spec as the previous run, ${run.previous.runId}.`
      : `Changes since the previous run, ${run.previous.runId}:`;

  const charts = await Promise.all([
    run.epochs.length ? renderSvg(learningCurvesSpec(run.epochs, s.bestEpoch)) : null,
    s.confusion.length ? renderSvg(confusionSpec(s.classes, s.confusion)) : null,
    s.val ? renderSvg(recallSpec(s.classes, s.val.recall)) : null,
    s.testConfusion?.length ? renderSvg(confusionSpec(s.classes, s.testConfusion)) : null,
  ]);
  const [curvesSvg, confusionSvg, recallSvg, testConfusionSvg] = charts;

  const h = `h${headingLevel}`;
  const html = [
    `<${h}>${escapeHtml(title)}</${h}>`,
    `<p class="subtitle"><span class="status ${escapeHtml(s.status)}">${escapeHtml(s.status)}</span> · ${escapeHtml(basename(run.dir))}</p>`,
    section(
      'summary',
      'Summary',
      table(
        ['', ''],
        facts.map(([k, v]) => [escapeHtml(k), escapeHtml(v)]),
      ),
    ),
    section(
      'learning-curves',
      'Learning curves',
      curvesSvg
        ? chart(
            'learning-curves',
            curvesSvg,
            `Train and validation loss and accuracy per epoch; dashed line: best epoch (${s.bestEpoch ?? '–'}).`,
          )
        : '<p class="note">No epoch finished.</p>',
    ),
    section(
      'confusion',
      'Confusion matrix and recall',
      `<div class="grid">${confusionSvg ? chart('confusion', confusionSvg, 'Rows: true class; cells: count · share of the row. Best weights, validation split.') : '<p class="note">No confusion matrix (the run ended before validation).</p>'}${recallSvg ? chart('recall', recallSvg, 'Recall per class on the validation split.') : ''}</div>`,
    ),
    ...(testConfusionSvg
      ? [
          section(
            'test',
            'Test split',
            chart(
              'test-confusion',
              testConfusionSvg,
              `Rows: true class; cells: count · share of the row. Best weights, test split (scored once): accuracy ${pct(s.test?.acc)}, macro F1 ${num(s.test?.f1)}.`,
            ),
          ),
        ]
      : []),
    ...(run.augmentPng
      ? [
          section(
            'augmentation',
            'Augmented training images',
            `<figure class="chart" data-chart="augmentation"><img alt="augmented training images" src="data:image/png;base64,${run.augmentPng}" style="max-width:100%;image-rendering:pixelated"><figcaption>${escapeHtml('The first training views of epoch 1 as the network saw them (augment section applied), class under each.')}</figcaption></figure>`,
          ),
        ]
      : []),
    section(
      'spec',
      'Spec',
      `<p>${escapeHtml(diffNote)}</p>${diff ? diffBlock(diff) : ''}<details${diff ? '' : ' open'}><summary>spec.emo as run</summary><pre>${escapeHtml(run.spec)}</pre></details>`,
    ),
  ].join('\n');

  const md = [
    `${'#'.repeat(headingLevel)} ${title}`,
    '',
    mdTable(['', ''], facts),
    '',
    `${'#'.repeat(headingLevel + 1)} Learning curves`,
    '',
    run.epochs.length
      ? mdTable(
          ['epoch', 'train loss', 'val loss', 'train acc', 'val acc', 'lr', ''],
          run.epochs.map((e) => [
            String(e.epoch),
            num(e.train.loss),
            num(e.val.loss),
            pct(e.train.acc),
            pct(e.val.acc),
            String(e.lr),
            e.epoch === s.bestEpoch ? '**best**' : '',
          ]),
        )
      : '_No epoch finished._',
    '',
    `${'#'.repeat(headingLevel + 1)} Confusion matrix (validation; count, row %)`,
    '',
    s.confusion.length ? confusionMd(s.classes, s.confusion) : '_None._',
    '',
    ...(s.testConfusion?.length
      ? [`${'#'.repeat(headingLevel + 1)} Confusion matrix (test; count, row %)`, '', confusionMd(s.classes, s.testConfusion), '']
      : []),
    `${'#'.repeat(headingLevel + 1)} Spec`,
    '',
    diffNote,
    '',
    ...(diff ? [mdCode(diff, 'diff'), ''] : []),
    mdCode(run.spec),
    '',
  ].join('\n');
  return { title, html, md };
}

function confusionMd(classes: string[], matrix: number[][]): string {
  return mdTable(
    ['true \\ predicted', ...classes, 'recall'],
    matrix.map((row, t) => {
      const total = row.reduce((a, b) => a + b, 0);
      return [classes[t], ...row.map((n) => `${n} (${total ? Math.round((n / total) * 100) : 0}%)`), pct(total ? row[t] / total : 0)];
    }),
  );
}
