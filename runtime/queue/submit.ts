// The submitting side: one job per compiled point (job id = content hash, so a second submission of the
// same spec adds nothing), then optionally follow the sweep through QueueEvents until every point is
// finished or failed.

import { Queue, QueueEvents, type Job } from 'bullmq';
import { IR_VERSION, type ExperimentIR } from '../../compiler/ir.ts';
import { connectionOptions, QUEUE_NAME } from './connection.ts';
import { dataFingerprint, dataLocation } from './fingerprint.ts';
import { emocBuild, emocVersion, PAYLOAD_KIND, pointJobId, sweepId, type PointPayload } from './payload.ts';
import type { PointProgress, PointResult } from './worker.ts';

/** Job options every point gets: a few attempts (a lost worker, a passing failure), kept after the end. */
const JOB_OPTIONS = { attempts: 3, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false } as const;

/** The payloads of a spec's points, in order, all sharing one sweep id. */
export function buildPayloads(experiments: readonly ExperimentIR[], specText: string): PointPayload[] {
  const fingerprints = new Map<string, string>();
  const partial = experiments.map((ir, index) => {
    const location = dataLocation(ir.data, ir.file);
    const key = `${location}\n${JSON.stringify(ir.data.source)}`;
    if (!fingerprints.has(key)) fingerprints.set(key, dataFingerprint(ir.data, location));
    const p: PointPayload = {
      kind: PAYLOAD_KIND,
      emocVersion: emocVersion(),
      irVersion: IR_VERSION,
      build: emocBuild(),
      sweep: '',
      name: ir.sweep?.sweep ?? ir.name,
      point: ir.sweep?.point ?? ir.name,
      index,
      ir,
      specText,
      data: { location, fingerprint: fingerprints.get(key)! },
    };
    return { p, id: pointJobId(p) };
  });
  const sweep = sweepId(partial.map((x) => x.id));
  return partial.map(({ p }) => ({ ...p, sweep }));
}

export interface Submitted {
  sweep: string;
  jobIds: string[];
  /** Points that were already on the queue (any state) and were not added again. */
  existing: number;
}

export async function submitPoints(url: string, payloads: readonly PointPayload[]): Promise<Submitted> {
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(url) });
  try {
    const jobIds = payloads.map(pointJobId);
    let existing = 0;
    for (const id of jobIds) if (await queue.getJob(id)) existing++;
    // BullMQ ignores an add whose job id exists, so a finished point is never run again.
    await queue.addBulk(payloads.map((p, i) => ({ name: p.point, data: p, opts: { ...JOB_OPTIONS, jobId: jobIds[i] } })));
    // A point that failed before (its attempts spent) is tried again on a new submission.
    for (const id of jobIds) {
      const job = await queue.getJob(id);
      if (job && (await job.getState()) === 'failed') {
        await job.retry('failed');
        existing--;
      }
    }
    return { sweep: payloads[0]?.sweep ?? '', jobIds, existing };
  } finally {
    await queue.close();
  }
}

export type FollowLine = (line: string) => void;

/** What the follower saw happen to one job, for a live view (the dashboard's sweep table). */
export type FollowEvent =
  | { kind: 'waiting' | 'active'; jobId: string }
  | { kind: 'progress'; jobId: string; progress: PointProgress }
  | { kind: 'completed'; jobId: string; result: PointResult | undefined }
  | { kind: 'failed'; jobId: string; reason: string };

/**
 * Follows the jobs until each is completed or failed: QueueEvents for progress and ends, and a state read
 * of the unfinished jobs every few seconds (events are not replayed after a Redis restart, states are).
 * Resolves to the number of failed points.
 */
export async function followPoints(
  url: string,
  jobIds: readonly string[],
  print: FollowLine,
  pollMs = 2000,
  onJob: (e: FollowEvent) => void = () => undefined,
): Promise<number> {
  const connection = connectionOptions(url);
  const queue = new Queue(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  const pending = new Set(jobIds);
  const label = new Map<string, string>();
  let failed = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => (finish = r));
  const end = (id: string, ok: boolean, what: string) => {
    if (!pending.delete(id)) return;
    if (!ok) failed++;
    print(`${label.get(id) ?? id}: ${what}  (${jobIds.length - pending.size}/${jobIds.length} done)`);
    if (pending.size === 0) finish();
  };
  const describe = (result: PointResult | undefined) => {
    const s = result?.summary;
    return s
      ? `${s.status}, val acc ${s.val ? `${(100 * s.val.acc).toFixed(1)}%` : '-'}, ${s.epochsRun} epochs on ${result.worker}`
      : 'finished';
  };
  const check = async (id: string) => {
    const job: Job | undefined = await queue.getJob(id);
    if (!job) {
      if (pending.has(id)) onJob({ kind: 'failed', jobId: id, reason: 'removed from the queue (cancelled)' });
      return end(id, false, 'removed from the queue (cancelled)');
    }
    label.set(id, String(job.name));
    const state = await job.getState();
    if (state === 'completed') {
      if (pending.has(id)) onJob({ kind: 'completed', jobId: id, result: job.returnvalue as PointResult });
      end(id, true, describe(job.returnvalue as PointResult));
    }
    // Only a final failure is in the failed state: a retried attempt waits in delayed.
    else if (state === 'failed') {
      if (pending.has(id)) onJob({ kind: 'failed', jobId: id, reason: job.failedReason });
      end(id, false, `failed: ${job.failedReason}`);
    }
  };
  events.on('progress', ({ jobId, data }) => {
    if (!pending.has(jobId)) return;
    const p = data as unknown as PointProgress;
    if (typeof p === 'object' && p && 'epoch' in p) onJob({ kind: 'progress', jobId, progress: p });
    if (typeof p === 'object' && p && 'epoch' in p)
      print(
        `${label.get(jobId) ?? jobId}: epoch ${p.epoch}/${p.epochs} val acc ${p.valAcc === null ? '-' : `${(100 * p.valAcc).toFixed(1)}%`} on ${p.worker}`,
      );
  });
  // A stalled job handed back, or a retry after a passing failure, shows up as waiting again.
  events.on('waiting', ({ jobId }) => pending.has(jobId) && onJob({ kind: 'waiting', jobId }));
  events.on('active', ({ jobId }) => pending.has(jobId) && onJob({ kind: 'active', jobId }));
  events.on('completed', ({ jobId }) => void check(jobId).catch(() => undefined));
  events.on('failed', ({ jobId }) => void check(jobId).catch(() => undefined));
  events.on('error', () => undefined);
  queue.on('error', () => undefined);
  try {
    await events.waitUntilReady();
    for (const id of jobIds) await check(id);
    const timer = setInterval(() => {
      for (const id of [...pending]) void check(id).catch(() => undefined);
    }, pollMs);
    if (pending.size > 0) await done;
    clearInterval(timer);
    return failed;
  } finally {
    await events.close();
    await queue.close();
  }
}
