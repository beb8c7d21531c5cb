// Reading and cancelling a sweep's points on the queue (BullMQ's job states; nothing kept beside them).

import { Queue, type Job } from 'bullmq';
import { connectionOptions, QUEUE_NAME } from './connection.ts';
import type { PointPayload } from './payload.ts';
import type { PointProgress, PointResult } from './worker.ts';

export interface PointState {
  sweep: string;
  name: string;
  point: string;
  index: number;
  jobId: string;
  state: string;
  worker: string | null;
  epoch: string | null;
  reason: string | null;
  result: PointResult | null;
}

const STATES = ['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed', 'paused'] as const;

async function withQueue<T>(url: string, f: (q: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(url) });
  try {
    return await f(queue);
  } finally {
    await queue.close();
  }
}

function toState(job: Job, state: string): PointState {
  const d = job.data as PointPayload;
  const prog = job.progress as unknown as PointProgress | number;
  const p = typeof prog === 'object' && prog ? prog : null;
  return {
    sweep: d.sweep,
    name: d.name,
    point: d.point,
    index: d.index,
    jobId: String(job.id),
    state,
    worker:
      state === 'active'
        ? (p?.worker ?? job.processedBy ?? null)
        : state === 'completed'
          ? ((job.returnvalue as PointResult | null)?.worker ?? null)
          : null,
    epoch: p ? `${p.epoch}/${p.epochs}` : null,
    reason: state === 'failed' ? (job.failedReason ?? null) : null,
    result: state === 'completed' ? ((job.returnvalue as PointResult | null) ?? null) : null,
  };
}

/** Every point on the queue (of one sweep when given), sorted by sweep and point order. */
export async function listPoints(url: string, sweep?: string): Promise<PointState[]> {
  return withQueue(url, async (queue) => {
    const out: PointState[] = [];
    for (const state of STATES) {
      for (const job of await queue.getJobs([state], 0, -1)) {
        if (!job?.data || typeof job.data !== 'object') continue;
        const d = job.data as Partial<PointPayload>;
        if (sweep && d.sweep !== sweep) continue;
        out.push(toState(job, state === 'prioritized' ? 'waiting' : state));
      }
    }
    return out.sort((a, b) => (a.sweep === b.sweep ? a.index - b.index : a.sweep < b.sweep ? -1 : 1));
  });
}

/** Removes a sweep's points that have not started (waiting, delayed); returns how many. */
export async function cancelSweep(url: string, sweep: string): Promise<{ removed: number; active: number }> {
  return withQueue(url, async (queue) => {
    let removed = 0;
    let active = 0;
    for (const state of ['waiting', 'delayed', 'prioritized', 'paused', 'active'] as const) {
      for (const job of await queue.getJobs([state], 0, -1)) {
        if ((job?.data as Partial<PointPayload> | undefined)?.sweep !== sweep) continue;
        if (state === 'active') active++;
        else {
          await job.remove();
          removed++;
        }
      }
    }
    return { removed, active };
  });
}
