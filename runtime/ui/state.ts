// The dashboard's model: a pure fold of the run's event stream.
//
// The view is a pure function of DashboardState, so tests (and the report of a recorded stream)
// can replay events through `reduce` without ink. `reduce` runs once per event, including every
// batch event, so it must stay cheap: it copies only the small objects an event changes and never
// re-derives history.

import type {
  EndEvent,
  EpochEvent,
  LogEvent,
  PointEndEvent,
  PointProgressEvent,
  RunEvent,
  RunStatus,
  SplitMetrics,
  StartEvent,
} from '../events.ts';

/** Where training stands inside the current epoch, from the latest batch event. */
export interface BatchProgress {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  acc: number;
  imagesPerSec: number;
  elapsedMs: number;
}

/** One finished epoch, flattened to what the curves need. */
export interface EpochPoint {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  trainAcc: number;
  valAcc: number;
  lr: number;
}

export interface RunOutcome {
  status: RunStatus;
  bestEpoch: number | null;
  epochsRun: number;
  confusion: number[][];
  val: SplitMetrics | null;
  train: SplitMetrics | null;
  elapsedMs: number;
  message: string | null;
}

/** Everything the dashboard knows about the run in progress (or the last run of a sweep). */
export interface RunView {
  start: StartEvent;
  progress: BatchProgress | null;
  history: EpochPoint[];
  bestEpoch: number | null;
  /** Validation metrics of the latest epoch: the live recall bars show these. */
  latestVal: SplitMetrics | null;
  elapsedMs: number;
  /** True between a stop request and the run's end event. */
  stopping: boolean;
  end: RunOutcome | null;
}

export type PointStatus = 'queued' | 'running' | RunStatus | 'skipped' | 'done-before';

export interface SweepPointRow {
  point: string;
  status: PointStatus;
  valAcc: number | null;
  trainAcc: number | null;
  valF1: number | null;
  runDir: string | null;
  /** Who has the point and how far it got, for points run elsewhere (queue workers); null locally. */
  worker?: string | null;
  epoch?: number | null;
  epochs?: number | null;
  /** Validation accuracy of the latest reported epoch (valAcc stays the final one). */
  epochValAcc?: number | null;
}

export interface SweepView {
  sweep: string;
  sweepDir: string;
  points: SweepPointRow[];
  /** Best point so far by validation accuracy; the sweep-end event's verdict replaces it. */
  bestPoint: string | null;
  ended: boolean;
  /** Points run by queue workers; this process only follows them. */
  remote: boolean;
}

export interface DashboardState {
  run: RunView | null;
  sweep: SweepView | null;
  /** The most recent log lines, oldest first (bounded so a chatty run cannot grow the state). */
  logs: LogEvent[];
}

export const MAX_LOGS = 20;

export const initialState: DashboardState = { run: null, sweep: null, logs: [] };

export function reduce(state: DashboardState, event: RunEvent): DashboardState {
  switch (event.type) {
    case 'start':
      return { ...state, run: newRun(event), sweep: markRunning(state.sweep, event.point) };
    case 'batch':
      if (!state.run) return state;
      return {
        ...state,
        run: {
          ...state.run,
          progress: {
            epoch: event.epoch,
            batch: event.batch,
            batches: event.batches,
            loss: event.loss,
            acc: event.acc,
            imagesPerSec: event.imagesPerSec,
            elapsedMs: event.elapsedMs,
          },
          elapsedMs: event.elapsedMs,
        },
      };
    case 'epoch':
      return state.run ? { ...state, run: addEpoch(state.run, event) } : state;
    case 'log':
      return { ...state, logs: [...state.logs.slice(-(MAX_LOGS - 1)), event] };
    case 'end':
      return state.run ? { ...state, run: endRun(state.run, event) } : state;
    case 'sweep-start':
      return {
        ...state,
        sweep: {
          sweep: event.sweep,
          sweepDir: event.sweepDir,
          points: event.points.map((point) => ({
            point,
            status: event.done.includes(point) ? 'done-before' : 'queued',
            valAcc: null,
            trainAcc: null,
            valF1: null,
            runDir: null,
          })),
          bestPoint: null,
          ended: false,
          remote: event.remote ?? false,
        },
      };
    case 'point-end':
      return state.sweep ? { ...state, sweep: endPoint(state.sweep, event) } : state;
    case 'point-progress':
      return state.sweep ? { ...state, sweep: progressPoint(state.sweep, event) } : state;
    case 'sweep-end':
      if (!state.sweep) return state;
      return { ...state, sweep: { ...state.sweep, bestPoint: event.bestPoint ?? state.sweep.bestPoint, ended: true } };
  }
}

/** Marks the run as stopping: the UI shows it until the trainer's `end` event arrives. */
export function requestStop(state: DashboardState): DashboardState {
  if (!state.run || state.run.end) return state;
  return { ...state, run: { ...state.run, stopping: true } };
}

/** Folds a whole recorded stream; what tests and replays use. */
export function replay(events: Iterable<RunEvent>, from: DashboardState = initialState): DashboardState {
  let state = from;
  for (const event of events) state = reduce(state, event);
  return state;
}

function newRun(start: StartEvent): RunView {
  return {
    start,
    progress: null,
    history: [],
    bestEpoch: null,
    latestVal: null,
    elapsedMs: 0,
    stopping: false,
    end: null,
  };
}

function addEpoch(run: RunView, e: EpochEvent): RunView {
  const point: EpochPoint = {
    epoch: e.epoch,
    trainLoss: e.train.loss,
    valLoss: e.val.loss,
    trainAcc: e.train.acc,
    valAcc: e.val.acc,
    lr: e.lr,
  };
  // A resumed run may replay an epoch number it already has: the newer one wins.
  const history = run.history.filter((h) => h.epoch !== e.epoch).concat(point);
  return {
    ...run,
    history,
    bestEpoch: e.best ? e.epoch : run.bestEpoch,
    latestVal: e.val,
    elapsedMs: e.elapsedMs,
  };
}

function endRun(run: RunView, e: EndEvent): RunView {
  return {
    ...run,
    stopping: false,
    elapsedMs: e.elapsedMs,
    bestEpoch: e.bestEpoch ?? run.bestEpoch,
    end: {
      status: e.status,
      bestEpoch: e.bestEpoch,
      epochsRun: e.epochsRun,
      confusion: e.confusion,
      val: e.val,
      train: e.train,
      elapsedMs: e.elapsedMs,
      message: e.message ?? null,
    },
  };
}

function markRunning(sweep: SweepView | null, point: string | null): SweepView | null {
  if (!sweep || point === null) return sweep;
  return {
    ...sweep,
    points: sweep.points.map((p) => (p.point === point ? { ...p, status: 'running' as const } : p)),
  };
}

function endPoint(sweep: SweepView, e: PointEndEvent): SweepView {
  const points = sweep.points.map((p) =>
    p.point === e.point ? { ...p, status: e.status, valAcc: e.valAcc, trainAcc: e.trainAcc, valF1: e.valF1, runDir: e.runDir } : p,
  );
  return { ...sweep, points, bestPoint: bestByValAcc(points) };
}

function progressPoint(sweep: SweepView, e: PointProgressEvent): SweepView {
  const points = sweep.points.map((p) =>
    p.point === e.point ? { ...p, status: e.status, worker: e.worker, epoch: e.epoch, epochs: e.epochs, epochValAcc: e.valAcc } : p,
  );
  return { ...sweep, points };
}

/** A point counts toward "best" only if it produced validation metrics and did not fail. */
function bestByValAcc(points: SweepPointRow[]): string | null {
  let best: SweepPointRow | null = null;
  for (const p of points) {
    if (p.valAcc === null || p.status === 'failed') continue;
    if (!best || p.valAcc > (best.valAcc ?? -Infinity)) best = p;
  }
  return best?.point ?? null;
}

/** Batches this invocation has trained so far and still has to train, for rate and ETA. */
function batchCounts(run: RunView): { done: number; remaining: number } {
  const { epochs, batchesPerEpoch, resumedFromEpoch } = run.start;
  const firstEpoch = (resumedFromEpoch ?? 0) + 1;
  const p = run.progress;
  if (!p) return { done: 0, remaining: (epochs - firstEpoch + 1) * batchesPerEpoch };
  const done = (p.epoch - firstEpoch) * batchesPerEpoch + p.batch;
  const remaining = p.batches - p.batch + (epochs - p.epoch) * batchesPerEpoch;
  return { done, remaining };
}

/**
 * Milliseconds left, from the average time per batch so far. Elapsed time includes validation, so
 * the estimate accounts for it too. Null until there is a rate to extrapolate.
 */
export function estimateEtaMs(run: RunView): number | null {
  if (run.end || !run.progress) return null;
  const { done, remaining } = batchCounts(run);
  if (done <= 0 || run.progress.elapsedMs <= 0) return null;
  return (run.progress.elapsedMs / done) * remaining;
}
