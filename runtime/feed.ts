// What the trainer reads: batches of network inputs (images, or backbone features for a head) with
// labels. Two implementations: images through the augmentation pipeline, and cached feature rows.

import type { ExperimentIR } from '../compiler/ir.ts';
import { batchesPerEpoch, evalBatches, trainBatches, viewsPerEpoch } from './data/batches.ts';
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
  trainBatches(epoch: number): Iterator<Batch>;
  evalBatches(split: 'train' | 'val'): Iterator<Batch>;
}

export function imageFeed(ir: ExperimentIR, train: ImageSet, val: ImageSet): Feed {
  const inputSize = ir.shapes.input as [number, number, number];
  const common = { test: ir.augment.test, inputSize, preprocess: ir.data.preprocess, batchSize: ir.train.batchSize };
  const wrapEval = (set: ImageSet): Iterator<Batch> => {
    const it = evalBatches(set, common);
    return {
      next: () => {
        const r = it.next();
        return r.done ? { done: true, value: undefined } : { done: false, value: { x: r.value.x, y: r.value.y, n: r.value.n, views: r.value.views } };
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
      const it = trainBatches(train, { ...common, train: ir.augment.train, seed: ir.train.seed, epoch });
      return {
        next: () => {
          const r = it.next();
          return r.done ? { done: true, value: undefined } : { done: false, value: { ...r.value, views: 1 } };
        },
      };
    },
    evalBatches: (split) => wrapEval(split === 'train' ? train : val),
  };
}
