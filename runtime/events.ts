// The run's event stream: training code emits these and knows nothing of how they are shown.
// Consumers: the plain-line printer, the --json printer (one event per line), the ink dashboard,
// and tests that record a stream and replay it.

export interface SplitMetrics {
  loss: number;
  acc: number;
  /** Macro-averaged F1 over the classes. */
  f1: number;
  /** Recall per class, in class order (NaN-free: a class with no samples gets 0). */
  recall: number[];
}

export interface StartEvent {
  type: 'start';
  runId: string;
  runDir: string;
  experiment: string;
  /** Sweep point label when this run is one point of a sweep. */
  point: string | null;
  source: string;
  classes: string[];
  /** Images per class, per split (before augmentation). */
  counts: { train: number[]; val: number[] };
  skipped: number;
  backend: { name: string; threads: number };
  params: { total: number; trainable: number };
  epochs: number;
  batchSize: number;
  batchesPerEpoch: number;
  /** Training views per epoch (images x augmentation factor). */
  viewsPerEpoch: number;
  resumedFromEpoch: number | null;
  time: string;
}

export interface BatchEvent {
  type: 'batch';
  epoch: number; // 1-based
  batch: number; // 1-based
  batches: number;
  loss: number;
  acc: number;
  imagesPerSec: number;
  elapsedMs: number;
}

export interface EpochEvent {
  type: 'epoch';
  epoch: number; // 1-based
  epochs: number;
  train: SplitMetrics;
  val: SplitMetrics;
  lr: number;
  /** True when this epoch is the best so far on the early-stopping (or validation accuracy) metric. */
  best: boolean;
  elapsedMs: number;
  /** Training time of the epoch split into waiting for input batches (augmentation, copying) and the
   * training steps themselves; the data pipeline starves training when inputMs is a large share. */
  timing?: { inputMs: number; stepMs: number };
}

export interface LogEvent {
  type: 'log';
  level: 'info' | 'warn';
  message: string;
}

export type RunStatus = 'finished' | 'early-stopped' | 'interrupted' | 'failed';

export interface EndEvent {
  type: 'end';
  status: RunStatus;
  runDir: string;
  bestEpoch: number | null;
  epochsRun: number;
  /** confusion[true][predicted] on the validation split at the end (best weights). */
  confusion: number[][];
  val: SplitMetrics | null;
  train: SplitMetrics | null;
  elapsedMs: number;
  message?: string;
}

export interface SweepStartEvent {
  type: 'sweep-start';
  sweep: string;
  sweepDir: string;
  points: string[];
  /** Points already finished by an earlier, interrupted invocation. */
  done: string[];
  /** Queue workers run the points (sweepDir then names the queue): nothing trains in this process. */
  remote?: boolean;
}

export interface PointEndEvent {
  type: 'point-end';
  point: string;
  status: RunStatus | 'skipped';
  valAcc: number | null;
  trainAcc: number | null;
  valF1: number | null;
  runDir: string | null;
}

/** Where a point stands while others run it (queue workers): waiting again, or on a worker at an epoch. */
export interface PointProgressEvent {
  type: 'point-progress';
  point: string;
  status: 'queued' | 'running';
  /** The worker that has the point; null while waiting, or before its first epoch report. */
  worker: string | null;
  /** Epochs finished so far of `epochs`; null before the first report. */
  epoch: number | null;
  epochs: number | null;
  valAcc: number | null;
}

export interface SweepEndEvent {
  type: 'sweep-end';
  sweepDir: string;
  bestPoint: string | null;
}

export type RunEvent =
  StartEvent | BatchEvent | EpochEvent | LogEvent | EndEvent | SweepStartEvent | PointEndEvent | PointProgressEvent | SweepEndEvent;

export type EventSink = (event: RunEvent) => void;
