// The report of a sweep: results table, validation accuracy by point, then the best point's run.

import type { SweepRecord } from './load.ts';
import { renderSvg, sweepAccuracySpec } from './charts.ts';
import { chart, escapeHtml, section, table } from './html.ts';
import { mdTable } from './markdown.ts';
import { hasTestColumns, num, pct, seconds } from './format.ts';
import { runReport, type ReportParts, type SpecDiffHook } from './run-report.ts';

export async function sweepReport(sweep: SweepRecord, specDiff: SpecDiffHook): Promise<ReportParts> {
  const title = `Sweep ${sweep.sweep}`;
  const best = sweep.results.find((r) => r.best) ?? null;
  const status = (point: string) => sweep.points.find((p) => p.point === point)?.status ?? '–';
  const values = (point: string) =>
    Object.entries(sweep.points.find((p) => p.point === point)?.values ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
  // Test columns only when a point scored a test split; they never pick the best point (validation does).
  const test = hasTestColumns(sweep.results);
  const headers = [
    'point',
    'values',
    'status',
    'train acc',
    'val acc',
    'val F1',
    ...(test ? ['test acc', 'test F1'] : []),
    'epochs',
    'wall time',
  ];
  const cells = sweep.results.map((r) => [
    (r.best ? '★ ' : '') + r.point,
    values(r.point),
    status(r.point),
    pct(r.trainAcc),
    pct(r.valAcc),
    num(r.valF1),
    ...(test ? [pct(r.testAcc), num(r.testF1)] : []),
    String(r.epochs),
    seconds(r.wallMs),
  ]);
  const svg = await renderSvg(sweepAccuracySpec(sweep.results));
  const bestRun = sweep.bestRun ? await runReport(sweep.bestRun, specDiff, 2) : null;
  const done = sweep.points.filter((p) => p.status === 'finished' || p.status === 'early-stopped').length;
  const failed = sweep.points.filter((p) => p.status === 'failed').length;
  const subtitle = `${sweep.points.length} points · ${done} done · ${failed} failed${best ? ` · best ${best.point} (${pct(best.valAcc)} val accuracy)` : ''}`;

  const html = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="subtitle">${escapeHtml(subtitle)}</p>`,
    section(
      'results',
      'Results',
      table(
        headers,
        cells.map((r) => r.map(escapeHtml)),
        (i) => sweep.results[i].best,
      ),
    ),
    section('by-point', 'Validation accuracy by point', chart('sweep-accuracy', svg, 'Best point in green, failed points in red.')),
    bestRun ? `<section id="best-run" class="best-run">\n${bestRun.html}\n</section>` : '',
  ].join('\n');
  const md = [`# ${title}`, '', subtitle, '', mdTable(headers, cells), '', ...(bestRun ? [bestRun.md] : [])].join('\n');
  return { title, html, md };
}
