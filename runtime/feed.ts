// What the trainer reads: batches of network inputs (images, or backbone features for a head) with
// labels. Two implementations: images through the augmentation pipeline, and cached feature rows.

import type { ExperimentIR } from '../compiler/ir.ts';
import { batchesPerEpoch, evalBatches, trainBatches, viewsPerEpoch, type TrainBatch } from './data/batches.ts';
import { BatchPrefetcher } from './data/prefetch.ts';
import type { ImageSet } from './data/types.ts';

export interface Batch {
  x: Float32Array;
  y: Int32Array;
  /** Samples (images) in the batch. */
  n: number;
  /** Rows per sample in x (test-time crops are averaged). */
  views: number;
}

export interface Feed {
  /** Per-sample input shape, without batch. */
  inputShape: number[];
  trainCount: number;
  valCount: number;
  trainLabels: number[];
  valLabels: number[];
  batchesPerEpoch: number;
  viewsPerEpoch: number;
  /** One epoch's shuffled batches (built ahead on a worker thread for images; see prefetch.ts). */
  trainBatches(epoch: number): Iterator<Batch> | AsyncIterator<Batch>;
  evalBatches(split: 'train' | 'val'): Iterator<Batch>;
  /** Stops what the feed started (the prefetch worker). */
  close?(): void;
}

/** Images feed. With `prefetch`, training batches are built ahead on a worker thread (see
 * prefetch.ts and run.ts for when); without, on the main thread between steps. Same batches. */
export function imageFeed(ir: ExperimentIR, train: ImageSet, val: ImageSet, options: { prefetch?: boolean } = {}): Feed {
  const inputSize = ir.shapes.input as [number, number, number];
  const common = { test: ir.augment.test, inputSize, preprocess: ir.data.preprocess, batchSize: ir.train.batchSize };
  const trainOpts = { ...common, train: ir.augment.train, seed: ir.train.seed };
  const prefetch = options.prefetch ?? false;
  // Started now, so that the worker boots (~150 ms) while the model is built.
  let prefetcher: BatchPrefetcher | null = prefetch ? new BatchPrefetcher(train, trainOpts) : null;
  const wrapEval = (set: ImageSet): Iterator<Batch> => {
    const it = evalBatches(set, common);
    return {
      next: () => {
        const r = it.next();
        return r.done
          ? { done: true, value: undefined }
          : { done: false, value: { x: r.value.x, y: r.value.y, n: r.value.n, views: r.value.views } };
      },
    };
  };
  return {
    inputShape: inputSize,
    trainCount: train.images.length,
    valCount: val.images.length,
    trainLabels: train.labels,
    valLabels: val.labels,
    batchesPerEpoch: batchesPerEpoch(train.images.length, ir.augment.train, ir.train.batchSize),
    viewsPerEpoch: viewsPerEpoch(train.images.length, ir.augment.train),
    trainBatches(epoch) {
      const withViews = (r: IteratorResult<TrainBatch>): IteratorResult<Batch> =>
        r.done ? { done: true, value: undefined } : { done: false, value: { ...r.value, views: 1 } };
      if (prefetcher) {
        const it = prefetcher.epoch(epoch);
        return { next: async () => withViews(await it.next()), return: async () => withViews(await it.return!()) };
      }
      const it = trainBatches(train, { ...trainOpts, epoch });
      return { next: () => withViews(it.next()) };
    },
    evalBatches: (split) => wrapEval(split === 'train' ? train : val),
    close: () => {
      prefetcher?.close();
      prefetcher = null;
    },
  };
}
