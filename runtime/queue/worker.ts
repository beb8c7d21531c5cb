// The worker side: takes point jobs from the queue and trains them with the local run path
// (runtime/run.ts), a run folder per point under --runs and a checkpoint per epoch. A job that dies with its
// worker is found stalled by BullMQ (its lock lapses) and handed to another worker, which continues from
// the checkpoint when the runs folder is shared. Stopping (SIGTERM) checkpoints the current point after its
// batch and hands the job back to the queue (moved to delayed at once, so another worker may take it).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { readSummary, RUN_FILES, safeName, type RunSummary } from '../artifacts/run-dir.ts';
import type { BackendPreference } from '../backend/select.ts';
import { EmocRuntimeError } from '../errors.ts';
import type { RunEvent } from '../events.ts';
import { connectionOptions, QUEUE_NAME } from './connection.ts';
import { dataFingerprint } from './fingerprint.ts';
import { payloadProblem, type PointPayload } from './payload.ts';

export interface PointProgress {
  worker: string;
  epoch: number;
  epochs: number;
  valAcc: number | null;
}

/** A job's return value: enough to show results from Redis alone. */
export interface PointResult {
  summary: RunSummary;
  metrics: unknown[];
  runDir: string;
  worker: string;
}

export interface WorkerOptions {
  url: string;
  concurrency: number;
  runsDir: string;
  cacheDir: string;
  backend: BackendPreference;
  threads?: number;
  /** One line per happening, for the worker's log (never the queue URL's password). */
  log: (line: string) => void;
  /** BullMQ lock and stalled-check timing (ms); short in tests, defaults otherwise. */
  lockDuration?: number;
  stalledInterval?: number;
}

/** Where a point's run folder goes: one folder per sweep, one per point, the same on every worker. */
function pointRunDir(runsDir: string, p: Pick<PointPayload, 'name' | 'sweep' | 'point'>): string {
  return path.join(runsDir, safeName(p.name), `queue-${p.sweep}`, safeName(p.point));
}

function readMetrics(runDir: string): unknown[] {
  const file = path.join(runDir, RUN_FILES.metrics);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);
}

/**
 * Back to the queue without counting a failed attempt. Delayed a moment, not moved to wait, because the
 * closing worker's own pending fetch would take it straight back; other workers get it when the delay ends.
 */
const HANDBACK_DELAY_MS = 2000;
async function handBack(job: Job, token: string | undefined): Promise<never> {
  await job.moveToDelayed(Date.now() + HANDBACK_DELAY_MS, token);
  throw new DelayedError();
}

export async function startWorker(opts: WorkerOptions): Promise<{ close: () => Promise<void>; worker: Worker }> {
  const me = `${os.hostname()}:${process.pid}`;
  let stopping = false;
  const { runExperiment } = await import('../run.ts');

  const processor = async (job: Job, token?: string): Promise<PointResult> => {
    const problem = payloadProblem(job.data);
    // A payload this worker cannot read fails at once (no retries): another try would fail the same way.
    if (problem) throw new UnrecoverableError(problem);
    const p = job.data as PointPayload;
    // Fetched while this worker is closing: straight back to the queue.
    if (stopping) await handBack(job, token);
    const ir = structuredClone(p.ir);
    if (ir.data.source.kind !== 'builtin') ir.data.source.path = p.data.location;
    const fp = dataFingerprint(ir.data, p.data.location);
    if (fp !== p.data.fingerprint) {
      // A plain Error is how a BullMQ job fails with a reason (retried up to its attempts); the worker carries on.
      throw new Error(
        fp === 'missing'
          ? `no data at ${p.data.location} on worker ${me}`
          : `the data at ${p.data.location} on worker ${me} differs from the submitter's (fingerprint ${fp.slice(0, 12)}, expected ${p.data.fingerprint.slice(0, 12)})`,
      );
    }
    const runDir = pointRunDir(opts.runsDir, p);
    const done = readSummary(runDir);
    // Finished by a worker that died before it could report: the run folder has the answer.
    if (
      done &&
      (done.status === 'finished' || done.status === 'early-stopped') &&
      !fs.existsSync(path.join(runDir, RUN_FILES.checkpoint))
    ) {
      return { summary: done, metrics: readMetrics(runDir), runDir, worker: me };
    }
    const resume = fs.existsSync(path.join(runDir, RUN_FILES.checkpoint, 'state.json')) ? runDir : undefined;
    if (!resume) fs.rmSync(runDir, { recursive: true, force: true });
    opts.log(`${resume ? 'resuming' : 'starting'} ${p.name}/${p.point} (job ${job.id}) in ${runDir}`);
    const sink = (e: RunEvent) => {
      if (e.type === 'epoch') {
        const progress: PointProgress = { worker: me, epoch: e.epoch, epochs: e.epochs, valAcc: e.val.acc };
        void job.updateProgress(progress as unknown as object).catch(() => undefined);
        opts.log(`${p.point}: epoch ${e.epoch}/${e.epochs} val acc ${(100 * e.val.acc).toFixed(1)}%`);
      }
    };
    let outcome;
    try {
      outcome = await runExperiment({
        ir,
        specText: p.specText,
        runDir,
        resume,
        backend: opts.backend,
        threads: opts.threads,
        cacheDir: opts.cacheDir,
        sink,
        shouldStop: () => stopping,
      });
    } catch (e) {
      throw new Error(e instanceof EmocRuntimeError ? `${e.located} (hint: ${e.hint})` : (e as Error).message);
    }
    if (outcome.status === 'interrupted') {
      // Stopped by SIGTERM after a checkpoint: back to the queue for any worker, not counted as a failure.
      opts.log(`${p.point}: checkpointed and handed back`);
      await handBack(job, token);
    }
    if (outcome.status === 'failed') throw new Error(outcome.summary.message ?? 'the run failed');
    opts.log(`${p.point}: ${outcome.status}, val acc ${outcome.summary.val ? (100 * outcome.summary.val.acc).toFixed(1) + '%' : '-'}`);
    return { summary: outcome.summary, metrics: readMetrics(runDir), runDir, worker: me };
  };

  const worker = new Worker(QUEUE_NAME, processor, {
    connection: connectionOptions(opts.url),
    concurrency: opts.concurrency,
    name: me,
    lockDuration: opts.lockDuration ?? 30_000,
    stalledInterval: opts.stalledInterval ?? 30_000,
    // A point stalls once when its worker dies; a second stall is allowed for a second lost machine.
    maxStalledCount: 3,
  });
  worker.on('failed', (job, err) => opts.log(`job ${job?.id ?? '?'} failed: ${err.message}`));
  worker.on('error', (err) => opts.log(`queue connection: ${err.message}`));
  await worker.waitUntilReady();
  return {
    worker,
    close: async () => {
      stopping = true;
      await worker.close();
    },
  };
}
