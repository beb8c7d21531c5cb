// A queued sweep seen through the dashboard: what the queue follower reports about each job (waiting,
// active, per-epoch progress from the worker, completed with the run summary, failed with the reason)
// translated into the run's own event stream, so the same sweep table shows it. No second UI.

import type { PointEndEvent, RunEvent } from '../events.ts';
import type { FollowEvent } from '../queue/submit.ts';

export interface QueuedPoint {
  jobId: string;
  point: string;
}

export interface QueueEventMapper {
  /** The sweep-start event: every point queued (points already finished show up as the follower reports them). */
  start(): RunEvent;
  /** The dashboard events for one follower event; none for a job outside this sweep. */
  map(event: FollowEvent): RunEvent[];
  /** The sweep-end event, once the follower is done. */
  end(): RunEvent;
}

/** `where` names the queue (its URL without the password); it stands where a local sweep shows its folder. */
export function queueEventMapper(sweep: string, where: string, points: readonly QueuedPoint[]): QueueEventMapper {
  const pointOf = new Map(points.map((p) => [p.jobId, p.point]));
  return {
    start: () => ({ type: 'sweep-start', sweep, sweepDir: where, points: points.map((p) => p.point), done: [], remote: true }),
    map(e) {
      const point = pointOf.get(e.jobId);
      if (point === undefined) return [];
      switch (e.kind) {
        case 'waiting':
          return [{ type: 'point-progress', point, status: 'queued', worker: null, epoch: null, epochs: null, valAcc: null }];
        case 'active':
          return [{ type: 'point-progress', point, status: 'running', worker: null, epoch: null, epochs: null, valAcc: null }];
        case 'progress': {
          const p = e.progress;
          return [
            { type: 'point-progress', point, status: 'running', worker: p.worker, epoch: p.epoch, epochs: p.epochs, valAcc: p.valAcc },
          ];
        }
        case 'completed': {
          const s = e.result?.summary;
          const end: PointEndEvent = {
            type: 'point-end',
            point,
            status: s?.status ?? 'finished',
            valAcc: s?.val?.acc ?? null,
            trainAcc: s?.train?.acc ?? null,
            valF1: s?.val?.f1 ?? null,
            runDir: e.result?.runDir ?? null,
          };
          // The worker that finished it (a point already done before this submission had no progress event).
          const by: RunEvent[] = e.result?.worker
            ? [
                {
                  type: 'point-progress',
                  point,
                  status: 'running',
                  worker: e.result.worker,
                  epoch: s?.epochsRun ?? null,
                  epochs: s?.epochsRun ?? null,
                  valAcc: s?.val?.acc ?? null,
                },
              ]
            : [];
          return [...by, end];
        }
        case 'failed':
          return [
            { type: 'point-end', point, status: 'failed', valAcc: null, trainAcc: null, valF1: null, runDir: null },
            { type: 'log', level: 'warn', message: `${point}: ${e.reason}` },
          ];
      }
    },
    end: () => ({ type: 'sweep-end', sweepDir: where, bestPoint: null }),
  };
}
