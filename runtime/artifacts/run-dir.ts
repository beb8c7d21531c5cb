// Layout of a run folder, and its ids:
//   runs/<experiment>/<run-id>/            a single run
//   runs/<sweep>/sweep-<id>/<point>/       one point of a sweep
// Files: spec.emo, ir.json, env.json, metrics.jsonl, summary.json, confusion.json, model/, checkpoint/.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunFolderError } from '../errors.ts';
import type { SplitMetrics, RunStatus } from '../events.ts';

export const RUN_FILES = {
  spec: 'spec.emo',
  ir: 'ir.json',
  env: 'env.json',
  metrics: 'metrics.jsonl',
  summary: 'summary.json',
  confusion: 'confusion.json',
  /** The test split's confusion matrix (when the data has a test split). */
  testConfusion: 'test-confusion.json',
  /** `emoc eval` results: eval/<data>-<hash>/metrics.json and confusion.json. */
  eval: 'eval',
  model: 'model',
  checkpoint: 'checkpoint',
  /** A contact sheet of augmented training views (runtime/preview.ts), shown by report.html. */
  augment: 'augment.png',
} as const;

/** Sortable by time: 20261128-044301-ab12. */
/**
 * Creates a run (or sweep) folder. A folder that cannot be made (a file in the way, no permission, a full
 * disk) is the user's --runs choice, so it is a RunFolderError, not an internal error.
 */
export function makeRunFolder(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new RunFolderError(`cannot create the run folder (${code})`, dir, 'give a folder you can write to with --runs DIR');
  }
}

export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${crypto.randomBytes(2).toString('hex')}`;
}

export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export interface RunSummary {
  experiment: string;
  point: string | null;
  runId: string;
  status: RunStatus;
  bestEpoch: number | null;
  epochsRun: number;
  train: SplitMetrics | null;
  val: SplitMetrics | null;
  /** The test split, scored once at the end with the chosen model; absent when the data has none. */
  test?: SplitMetrics | null;
  /** confusion[true][predicted] on the test split (as test-confusion.json); absent without one. */
  testConfusion?: number[][];
  classes: string[];
  confusion: number[][];
  elapsedMs: number;
  backend: { name: string; threads: number };
  startedAt: string;
  finishedAt: string;
  message?: string;
}

export function readSummary(runDir: string): RunSummary | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.summary), 'utf8')) as RunSummary;
  } catch {
    return null;
  }
}
