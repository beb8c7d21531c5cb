// Several experiments from one spec (the points of a sweep): one run per point inside a sweep folder,
// then results.json / results.md with the best point marked. Running the same spec again continues the
// latest unfinished sweep folder and skips the points that finished.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExperimentIR } from '../compiler/ir.ts';
import { writeFileAtomic, writeJsonAtomic } from './artifacts/atomic.ts';
import { makeRunFolder, newRunId, readSummary, safeName } from './artifacts/run-dir.ts';
import { EmocRuntimeError } from './errors.ts';
import type { RunStatus } from './events.ts';
import { runExperiment, type RunOptions } from './run.ts';
import { hasTestColumns, num, pct } from './report/format.ts';

export interface SweepPointRecord {
  point: string;
  values: Record<string, string | number>;
  status: RunStatus | 'queued';
  runDir: string;
}

export interface SweepRecord {
  sweep: string;
  spec: string;
  specText: string;
  points: SweepPointRecord[];
}

export interface ResultRow {
  point: string;
  trainAcc: number | null;
  valAcc: number | null;
  valF1: number | null;
  /** The test split's numbers (scored once, at the end, never used to pick the best point); absent in
   * results written before test splits existed, null for a point without one. */
  testAcc?: number | null;
  testF1?: number | null;
  epochs: number;
  wallMs: number;
  status: string;
  best: boolean;
}

const pointName = (ir: ExperimentIR) => ir.sweep?.point ?? ir.name;

/** The latest sweep folder for this spec text that still has unfinished points, if any. */
function unfinishedSweepDir(root: string, specText: string): string | null {
  if (!fs.existsSync(root)) return null;
  const dirs = fs
    .readdirSync(root)
    .filter((d) => d.startsWith('sweep-'))
    .sort()
    .reverse();
  for (const d of dirs) {
    try {
      const rec = JSON.parse(fs.readFileSync(path.join(root, d, 'sweep.json'), 'utf8')) as SweepRecord;
      if (rec.specText === specText && rec.points.some((p) => p.status !== 'finished' && p.status !== 'early-stopped'))
        return path.join(root, d);
    } catch {
      /* not a sweep folder */
    }
  }
  return null;
}

export async function runSweep(opts: Omit<RunOptions, 'ir'> & { experiments: ExperimentIR[]; spec: string }): Promise<RunStatus> {
  const { experiments, sink } = opts;
  const sweepName = experiments[0].sweep?.sweep ?? path.basename(opts.spec.replace(/#.*$/, ''), '.emo');
  const root = path.join(opts.runsDir ?? 'runs', safeName(sweepName));
  const sweepDir = unfinishedSweepDir(root, opts.specText) ?? path.join(root, `sweep-${newRunId()}`);
  const recordPath = path.join(sweepDir, 'sweep.json');
  const prior = fs.existsSync(recordPath) ? (JSON.parse(fs.readFileSync(recordPath, 'utf8')) as SweepRecord) : null;
  const record: SweepRecord = {
    sweep: sweepName,
    spec: opts.spec,
    specText: opts.specText,
    points: experiments.map((ir) => {
      const old = prior?.points.find((p) => p.point === pointName(ir));
      return old ?? { point: pointName(ir), values: ir.sweep?.values ?? {}, status: 'queued', runDir: safeName(pointName(ir)) };
    }),
  };
  makeRunFolder(sweepDir);
  writeJsonAtomic(recordPath, record);
  const isDone = (p: SweepPointRecord) => p.status === 'finished' || p.status === 'early-stopped';
  sink({
    type: 'sweep-start',
    sweep: sweepName,
    sweepDir,
    points: record.points.map((p) => p.point),
    done: record.points.filter(isDone).map((p) => p.point),
  });

  let overall: RunStatus = 'finished';
  for (const [i, ir] of experiments.entries()) {
    const rec = record.points[i];
    const runDir = path.join(sweepDir, rec.runDir);
    if (isDone(rec)) {
      const s = readSummary(runDir);
      sink({
        type: 'point-end',
        point: rec.point,
        status: 'skipped',
        valAcc: s?.val?.acc ?? null,
        trainAcc: s?.train?.acc ?? null,
        valF1: s?.val?.f1 ?? null,
        runDir,
      });
      continue;
    }
    if (opts.shouldStop()) {
      overall = 'interrupted';
      break;
    }
    // A point interrupted mid-training continues from its checkpoint.
    const resume = fs.existsSync(path.join(runDir, 'checkpoint', 'state.json')) ? runDir : undefined;
    if (!resume) fs.rmSync(runDir, { recursive: true, force: true });
    let status: RunStatus;
    try {
      status = (await runExperiment({ ...opts, ir, runDir, resume })).status;
    } catch (e) {
      // One point's failure (typed or a bug) must not cost the finished points their results: it is
      // recorded, and results.json is still written from every point that has a summary.
      status = 'failed';
      const why = e instanceof EmocRuntimeError ? `${e.located} (hint: ${e.hint})` : (e as Error).message;
      sink({ type: 'log', level: 'warn', message: `point ${rec.point} failed: ${why}` });
    }
    rec.status = status;
    writeJsonAtomic(recordPath, record);
    const s = readSummary(runDir);
    sink({
      type: 'point-end',
      point: rec.point,
      status,
      valAcc: s?.val?.acc ?? null,
      trainAcc: s?.train?.acc ?? null,
      valF1: s?.val?.f1 ?? null,
      runDir,
    });
    if (status === 'interrupted') {
      overall = 'interrupted';
      break;
    }
    if (status === 'failed') overall = 'failed';
  }
  const rows = writeResults(sweepDir, record);
  const best = rows.find((r) => r.best)?.point ?? null;
  sink({ type: 'sweep-end', sweepDir, bestPoint: best });
  return overall;
}

/** results.json and results.md from the point runs' summaries; the best validation accuracy marked. */
function writeResults(sweepDir: string, record: SweepRecord): ResultRow[] {
  const rows: ResultRow[] = record.points.map((p) => {
    const s = readSummary(path.join(sweepDir, p.runDir));
    return {
      point: p.point,
      trainAcc: s?.train?.acc ?? null,
      valAcc: s?.val?.acc ?? null,
      valF1: s?.val?.f1 ?? null,
      testAcc: s?.test?.acc ?? null,
      testF1: s?.test?.f1 ?? null,
      epochs: s?.epochsRun ?? 0,
      wallMs: s?.elapsedMs ?? 0,
      status: s?.status ?? p.status,
      best: false,
    };
  });
  const scored = rows.filter((r) => r.valAcc !== null);
  if (scored.length) scored.reduce((a, b) => (b.valAcc! > a.valAcc! ? b : a)).best = true;
  writeJsonAtomic(path.join(sweepDir, 'results.json'), rows);
  writeFileAtomic(path.join(sweepDir, 'results.md'), resultsMarkdown(record.sweep, rows));
  return rows;
}

function resultsMarkdown(title: string, rows: ResultRow[]): string {
  const test = hasTestColumns(rows);
  const lines = [
    `# ${title}`,
    '',
    `| point | train acc | val acc | val macro-F1 |${test ? ' test acc | test macro-F1 |' : ''} epochs | wall time | status |`,
    `|---|---:|---:|---:|${test ? '---:|---:|' : ''}---:|---:|---|`,
    ...rows.map(
      (r) =>
        `| ${r.best ? `**${r.point}** (best)` : r.point} | ${pct(r.trainAcc)} | ${pct(r.valAcc)} | ${num(r.valF1)} |${test ? ` ${pct(r.testAcc)} | ${num(r.testF1)} |` : ''} ${r.epochs} | ${(r.wallMs / 1000).toFixed(1)}s | ${r.status} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
