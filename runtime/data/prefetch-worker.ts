// The batch prefetch worker: builds the training batches of runtime/data/batches.ts (pure JS, no
// tensors) on its own thread, one per request, and hands each one over without a copy.
// Protocol (see prefetch.ts): { epoch } starts an epoch's batches; { next: true } answers with
// { batch } or { done: true }, or { error } when building failed. Answers come in request order.

import { parentPort, workerData } from 'node:worker_threads';
import { trainBatches, type TrainBatch, type TrainBatchOptions } from './batches.ts';
import type { ImageSet } from './types.ts';

const { set, opts } = workerData as { set: ImageSet; opts: Omit<TrainBatchOptions, 'epoch'> };
let batches: Iterator<TrainBatch> | null = null;
/** Why the current epoch's batches could not be made; answered to its next request. */
let startError: string | null = null;

parentPort!.on('message', (m: { epoch?: number; next?: true }) => {
  // Only requests are answered (one answer each, in order): an epoch that cannot start reports
  // its error as the answer to its first request.
  if (m.epoch != null) {
    try {
      batches = trainBatches(set, { ...opts, epoch: m.epoch });
      startError = null;
    } catch (e) {
      batches = null;
      startError = (e as Error).message;
    }
    return;
  }
  try {
    // internal: re-raises the epoch's start failure as this request's answer (turned back into text below)
    if (startError) throw new Error(startError);
    const r = batches?.next();
    if (!r || r.done) {
      parentPort!.postMessage({ done: true });
      return;
    }
    parentPort!.postMessage({ batch: r.value }, [r.value.x.buffer as ArrayBuffer, r.value.y.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message });
  }
});
