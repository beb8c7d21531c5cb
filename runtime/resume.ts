// Whether a run folder can be resumed, decided before anything in it is touched: a mistaken
// `--resume` of a finished run must leave its summary, env, metrics and model exactly as they were.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExperimentIR } from '../compiler/ir.ts';
import { readSummary, RUN_FILES } from './artifacts/run-dir.ts';
import { ResumeError } from './errors.ts';

const RESUME_HINT = 'pass the folder of an interrupted run (one with a checkpoint/), e.g. runs/s1/<run-id>';

/** The checkpoint's training state file; it is written last, so its presence means the checkpoint is whole. */
function checkpointStatePath(runDir: string): string {
  return path.join(runDir, RUN_FILES.checkpoint, 'state.json');
}

/** Throws a ResumeError unless `runDir` holds a checkpoint to continue from. */
export function assertResumable(runDir: string, ir: Pick<ExperimentIR, 'file'>): void {
  if (fs.existsSync(checkpointStatePath(runDir))) return;
  const summary = readSummary(runDir);
  const newRun = `start a new run instead: emoc run ${ir.file}`;
  if (summary?.status === 'finished' || summary?.status === 'early-stopped') {
    throw new ResumeError(
      `this run already ${summary.status === 'finished' ? 'finished' : 'stopped early'}; there is nothing to resume`,
      runDir,
      newRun,
    );
  }
  throw new ResumeError('has no checkpoint: only an interrupted run (Ctrl-C, q) can be resumed', runDir, newRun);
}

const DAMAGED_HINT = 'the checkpoint is damaged (changed or cut short): start a new run from the spec';

/** The training state an interrupted run left in its checkpoint. */
export function readCheckpointState<T>(runDir: string): T {
  try {
    return JSON.parse(fs.readFileSync(checkpointStatePath(runDir), 'utf8')) as T;
  } catch (e) {
    throw new ResumeError(`${RUN_FILES.checkpoint}/state.json cannot be read (${(e as Error).message})`, runDir, DAMAGED_HINT);
  }
}

/** Runs `restore` (optimizer state from the checkpoint); a failure means damaged files, so it is a ResumeError. */
export async function restoreFromCheckpoint(runDir: string, what: string, restore: () => Promise<void>): Promise<void> {
  try {
    await restore();
  } catch (e) {
    throw new ResumeError(`the checkpoint's ${what} cannot be restored (${(e as Error).message})`, runDir, DAMAGED_HINT);
  }
}

/** Reads the experiment and spec text a run folder was started with, after checking it can be resumed. */
export function openResumableRun(runDir: string): { ir: ExperimentIR; specText: string } {
  if (!fs.existsSync(runDir)) throw new ResumeError('no such folder', runDir, RESUME_HINT);
  const irPath = path.join(runDir, RUN_FILES.ir);
  if (!fs.existsSync(irPath)) throw new ResumeError(`not a run folder (no ${RUN_FILES.ir})`, runDir, RESUME_HINT);
  let ir: ExperimentIR;
  try {
    ir = JSON.parse(fs.readFileSync(irPath, 'utf8')) as ExperimentIR;
  } catch (e) {
    throw new ResumeError(
      `${RUN_FILES.ir} is not valid JSON (${(e as Error).message})`,
      runDir,
      'the run folder is damaged: start a new run from the spec',
    );
  }
  const specPath = path.join(runDir, RUN_FILES.spec);
  if (!fs.existsSync(specPath)) throw new ResumeError(`not a run folder (no ${RUN_FILES.spec})`, runDir, RESUME_HINT);
  assertResumable(runDir, ir);
  return { ir, specText: fs.readFileSync(specPath, 'utf8') };
}
