// emoc results [DIR]: the table of finished runs under a folder, sortable by any metric.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { readSummary, type RunSummary } from '../../runtime/artifacts/run-dir.ts';
import { RunFolderError } from '../../runtime/errors.ts';
import { UserError } from '../errors.ts';

interface Row {
  run: string;
  experiment: string;
  point: string;
  status: string;
  train_acc: number | null;
  val_acc: number | null;
  val_f1: number | null;
  test_acc: number | null;
  test_f1: number | null;
  epochs: number;
  seconds: number;
}

const ALL_COLUMNS: (keyof Row)[] = [
  'run',
  'experiment',
  'point',
  'status',
  'train_acc',
  'val_acc',
  'val_f1',
  'test_acc',
  'test_f1',
  'epochs',
  'seconds',
];
const TEST_COLUMNS: (keyof Row)[] = ['test_acc', 'test_f1'];

/** Every folder below `root` with a summary.json. */
export function findRuns(root: string): { dir: string; summary: RunSummary }[] {
  const out: { dir: string; summary: RunSummary }[] = [];
  const visit = (dir: string, depth: number) => {
    const summary = readSummary(dir);
    if (summary) out.push({ dir, summary });
    if (depth > 4) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !['model', 'checkpoint'].includes(e.name) && !e.name.startsWith('.')) visit(path.join(dir, e.name), depth + 1);
    }
  };
  visit(root, 0);
  return out;
}

function toRow(dir: string, s: RunSummary, root: string): Row {
  return {
    run: path.relative(root, dir) || '.',
    experiment: s.experiment,
    point: s.point ?? '',
    status: s.status,
    train_acc: s.train?.acc ?? null,
    val_acc: s.val?.acc ?? null,
    val_f1: s.val?.f1 ?? null,
    test_acc: s.test?.acc ?? null,
    test_f1: s.test?.f1 ?? null,
    epochs: s.epochsRun,
    seconds: Math.round(s.elapsedMs / 100) / 10,
  };
}

const cell = (v: Row[keyof Row], key: keyof Row) =>
  v === null
    ? '-'
    : typeof v === 'number' && key.includes('acc')
      ? `${(100 * v).toFixed(1)}%`
      : typeof v === 'number' && key.endsWith('_f1')
        ? v.toFixed(3)
        : String(v);

export function formatResults(rows: Row[], format: string): string {
  // Test columns only when some run has a test split, so tables of runs without one read as before.
  const withTest = rows.some((r) => r.test_acc !== null);
  const COLUMNS = withTest ? ALL_COLUMNS : ALL_COLUMNS.filter((c) => !TEST_COLUMNS.includes(c));
  if (format === 'json')
    return `${JSON.stringify(
      rows.map((r) => Object.fromEntries(COLUMNS.map((c) => [c, r[c]]))),
      null,
      2,
    )}\n`;
  if (format === 'csv')
    return `${COLUMNS.join(',')}\n${rows.map((r) => COLUMNS.map((c) => JSON.stringify(r[c] ?? '')).join(',')).join('\n')}\n`;
  const body = rows.map((r) => COLUMNS.map((c) => cell(r[c], c)));
  if (format === 'md')
    return `| ${COLUMNS.join(' | ')} |\n|${COLUMNS.map(() => '---').join('|')}|\n${body.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`;
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((x, i) => x.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return `${line(COLUMNS)}\n${body.map(line).join('\n')}\n`;
}

export function registerResults(program: Command): void {
  program
    .command('results')
    .description('print the table of finished runs under a folder (default runs/)')
    .argument('[dir]', 'runs folder, experiment folder or sweep folder', 'runs')
    .option(
      '--sort <metric>',
      `sort by: ${ALL_COLUMNS.join(', ')}`,
      (v) => {
        if (!ALL_COLUMNS.includes(v as keyof Row)) throw new InvalidArgumentError(`expected one of ${ALL_COLUMNS.join(', ')}`);
        return v;
      },
      'val_acc',
    )
    .option('--asc', 'ascending order (default: descending for numbers)')
    .option('--queue <url>', 'read the finished points of queued sweeps from redis://... (DIR is then a sweep id)')
    .option(
      '--format <format>',
      'table, md, json or csv',
      (v) => {
        if (!['table', 'md', 'json', 'csv'].includes(v)) throw new InvalidArgumentError('expected table, md, json or csv');
        return v;
      },
      'table',
    )
    .action(async (dir: string, opts: { sort: keyof Row; asc?: boolean; format: string; queue?: string }) => {
      const hint = 'run an experiment first (emoc run specs/s1.emo), or pass the folder you gave run --runs';
      let rows: Row[];
      if (opts.queue !== undefined) {
        // The job results hold each point's summary, so the table needs Redis only, not the run folders.
        const { queueUrl, hideArgvPassword } = await import('../../runtime/queue/connection.ts');
        hideArgvPassword();
        const { listPoints } = await import('../../runtime/queue/inspect.ts');
        const sweep = dir === 'runs' ? undefined : dir;
        const done = (await listPoints(queueUrl(opts.queue), sweep)).flatMap((p) => (p.result ? [p.result] : []));
        rows = done.map((r) => toRow(r.runDir, r.summary, path.dirname(path.dirname(r.runDir))));
        if (rows.length === 0)
          throw new UserError(
            `no finished points${sweep ? ` of sweep ${sweep}` : ''} on the queue`,
            'emoc queue status shows what is waiting or running',
          );
      } else {
        const st = fs.statSync(dir, { throwIfNoEntry: false });
        if (!st?.isDirectory()) throw new RunFolderError(st ? 'not a folder' : 'no such folder', dir, hint);
        rows = findRuns(dir).map(({ dir: d, summary }) => toRow(d, summary, dir));
      }
      if (rows.length === 0) throw new RunFolderError('no finished runs in this folder', dir, hint);
      const dirn = opts.asc ? 1 : -1;
      rows.sort((a, b) => {
        const x = a[opts.sort];
        const y = b[opts.sort];
        if (x === y) return 0;
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * (typeof x === 'number' ? dirn : -dirn);
      });
      process.stdout.write(formatResults(rows, opts.format));
    });
}
