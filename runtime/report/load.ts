// Reads what the trainer leaves in a run folder or a sweep folder.

import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { RunSummary } from '../artifacts/run-dir.ts';
import { RunFolderError } from '../errors.ts';
import type { EpochEvent } from '../events.ts';
import type { ResultRow } from '../sweep.ts';

export type { RunSummary };

export interface RunRecord {
  dir: string;
  spec: string;
  summary: RunSummary;
  epochs: EpochEvent[];
  /** The sibling run of the same experiment that sorts just before this one, if any. */
  previous: { dir: string; runId: string; spec: string } | null;
  /** The run's contact sheet of augmented training views (augment.png), base64; null when absent. */
  augmentPng?: string | null;
}

export interface SweepPoint {
  point: string;
  values: Record<string, string | number>;
  status: string;
  runDir: string | null;
}

/** A row of results.json, as the sweep runner writes it. */
export type SweepResultRow = ResultRow;

export interface SweepRecord {
  dir: string;
  sweep: string;
  points: SweepPoint[];
  results: SweepResultRow[];
  /** The best point's run, for its curves and confusion matrix. */
  bestRun: RunRecord | null;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
const FOLDER_HINT = 'pass a run folder (with summary.json) or a sweep folder (with sweep.json) under runs/';

/** A file the folder must have; a missing one means the user passed the wrong folder, not a bug. */
async function readRequired(dir: string, name: string): Promise<string> {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new RunFolderError(`not a run or sweep folder (no ${name})`, dir, FOLDER_HINT);
  }
}

async function readJson<T>(dir: string, name: string): Promise<T> {
  const text = await readRequired(dir, name);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new RunFolderError(`${name} is not valid JSON (${(e as Error).message})`, dir, 'the folder is damaged: run the experiment again');
  }
}

export async function isSweepDir(dir: string): Promise<boolean> {
  return exists(join(dir, 'sweep.json'));
}

export async function loadRun(dir: string): Promise<RunRecord> {
  // summary.json first: it is what makes a folder a run folder, so its absence is the error to report.
  const summary = await readJson<RunSummary>(dir, 'summary.json');
  const [spec, metrics] = await Promise.all([readRequired(dir, 'spec.emo'), readFile(join(dir, 'metrics.jsonl'), 'utf8').catch(() => '')]);
  const epochs = metrics
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EpochEvent);
  // Older run folders have no augment.png: the report then leaves the section out.
  const augmentPng = await readFile(join(dir, 'augment.png')).then(
    (b) => b.toString('base64'),
    () => null,
  );
  return { dir, spec, summary, epochs, previous: await previousRun(dir), augmentPng };
}

/** Run ids sort by time, so the previous run is the sibling folder just before this one. */
async function previousRun(dir: string): Promise<RunRecord['previous']> {
  const parent = dirname(resolve(dir));
  const self = basename(resolve(dir));
  const siblings = (await readdir(parent, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && !d.name.startsWith('sweep-') && d.name < self)
    .map((d) => d.name)
    .sort();
  for (const name of siblings.reverse()) {
    const spec = await readFile(join(parent, name, 'spec.emo'), 'utf8').catch(() => null);
    if (spec !== null) return { dir: join(parent, name), runId: name, spec };
  }
  return null;
}

export async function loadSweep(dir: string): Promise<SweepRecord> {
  const meta = await readJson<{ sweep: string; points: SweepPoint[] }>(dir, 'sweep.json');
  const results = await readJson<SweepResultRow[] | { rows: SweepResultRow[] }>(dir, 'results.json');
  const rows = Array.isArray(results) ? results : results.rows;
  const best = rows.find((r) => r.best) ?? null;
  const bestPoint = best && meta.points.find((p) => p.point === best.point);
  const bestDir = bestPoint?.runDir ? await locateRunDir(dir, bestPoint.runDir) : null;
  return { dir, sweep: meta.sweep, points: meta.points, results: rows, bestRun: bestDir ? await loadRun(bestDir) : null };
}

/**
 * A point's run folder as sweep.json names it: relative to the sweep folder, relative to where
 * emoc ran (runs/…), or absolute. Falls back to a folder of the same name inside the sweep folder,
 * so a copied sweep folder still finds its points.
 */
async function locateRunDir(sweepDir: string, runDir: string): Promise<string | null> {
  const candidates = isAbsolute(runDir)
    ? [runDir, join(sweepDir, basename(runDir))]
    : [join(sweepDir, runDir), join(sweepDir, basename(runDir)), resolve(runDir)];
  for (const c of candidates) if (await exists(join(c, 'summary.json'))) return c;
  return null;
}
