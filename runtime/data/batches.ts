// Batches built on the fly from views (see augment.ts).
//
// Only the view *order* (one uint32 per view) is made up front; each batch's pixels are copied from
// the source images into a fresh batch-sized Float32Array when the consumer asks for the next batch,
// so memory is one batch regardless of the augmentation factor, and nothing here touches tensors
// (the pipeline can run in a worker thread and post batches across).
//
// Reproducibility: the order and the random crops of epoch e depend only on (seed, e), never on
// earlier epochs, so a run resumed at an epoch boundary sees exactly the batches it would have seen.
// The random augmentations (rotate, zoom, shift, brightness, contrast, erase) draw from a stream of
// their own per (seed, epoch, image, view), so they too are the same on any thread and in any order.
// A view with random augmentations is rendered to bytes in one resampling pass (augment-warp.ts) and
// then normalised like any other view.

import type { Preprocess, TestAug, TrainAug } from '../../compiler/ir.ts';
import { Rng } from '../rng.ts';
import { networkInputSize, planTrainViews, testViews, trainView, viewsPerImage, writeView, type View } from './augment.ts';
import { drawViewAug, IDENTITY_AUG, randomAugs } from './augment-random.ts';
import { renderView } from './augment-warp.ts';
import { pixelTable, preprocessInPlace } from './preprocess.ts';
import { mixSeed, SEED_PURPOSE } from './seed.ts';
import type { ImageSet } from './types.ts';

export interface TrainBatch {
  /** [n, h, w, c] float32, preprocessed. */
  x: Float32Array;
  /** n labels. */
  y: Int32Array;
  n: number;
}

export interface EvalBatch {
  /** [n * views, h, w, c] float32: each image's views are `views` consecutive rows. */
  x: Float32Array;
  /** One label per image (n). */
  y: Int32Array;
  /** Images in this batch. */
  n: number;
  /** Views per image: 1, or 10 for a test-time ten-crop (the trainer averages their predictions). */
  views: number;
  /** Index in the set of this batch's first image (for origins in prediction logs). */
  start: number;
}

export interface TrainBatchOptions {
  train: TrainAug[];
  test: TestAug;
  /** The network's input [h, w, c] (see networkInputSize), not the decoded image size. */
  inputSize: [number, number, number];
  preprocess: Preprocess;
  batchSize: number;
  seed: number;
  epoch: number;
}

export interface EvalBatchOptions {
  test: TestAug;
  inputSize: [number, number, number];
  preprocess: Preprocess;
  batchSize: number;
}

/** Training views per epoch: images x augmentation factor. */
export function viewsPerEpoch(n: number, train: readonly TrainAug[]): number {
  return n * viewsPerImage(train);
}

/** Training batches per epoch. */
export function batchesPerEpoch(n: number, train: readonly TrainAug[], batchSize: number): number {
  return Math.ceil(viewsPerEpoch(n, train) / batchSize);
}

/**
 * Shuffled training batches for one epoch. Arguments are checked now; pixels are produced lazily,
 * one batch per `next()`. The last batch holds the remainder (n < batchSize).
 */
export function trainBatches(set: ImageSet, opts: TrainBatchOptions): Generator<TrainBatch> {
  const epoch = epochViews(set, opts);
  const { channels: C } = set;
  const { order, total, h, w } = epoch;
  return (function* (): Generator<TrainBatch> {
    const stride = h * w * C;
    const scratch = new Uint8Array(stride);
    for (let start = 0; start < total; start += opts.batchSize) {
      const n = Math.min(opts.batchSize, total - start);
      const x = new Float32Array(n * stride);
      const y = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const image = epoch.writeView(order[start + i], x, i * stride, scratch);
        y[i] = set.labels[image];
      }
      yield { x, y, n };
    }
  })();
}

/** One training view as bytes (before preprocessing), for `emoc preview`. */
export interface ViewImage {
  pixels: Uint8Array;
  height: number;
  width: number;
  channels: number;
  label: number;
  origin: string;
}

/**
 * The first `count` training views of an epoch in batch order, as the bytes the batch builder
 * normalises: exactly what the network is shown (same seeds, same code path), for a contact sheet.
 */
export function trainViewImages(set: ImageSet, opts: TrainBatchOptions, count: number): ViewImage[] {
  const epoch = epochViews(set, opts);
  const out: ViewImage[] = [];
  for (let i = 0; i < Math.min(count, epoch.total); i++) {
    const pixels = new Uint8Array(epoch.h * epoch.w * set.channels);
    const image = epoch.renderBytes(epoch.order[i], pixels);
    out.push({
      pixels,
      height: epoch.h,
      width: epoch.w,
      channels: set.channels,
      label: set.labels[image],
      origin: set.origins[image] ?? '',
    });
  }
  return out;
}

/** An epoch's view order and the code that makes view v's pixels (shared by batches and previews). */
function epochViews(set: ImageSet, opts: TrainBatchOptions) {
  const { height: H, width: W, channels: C } = set;
  checkSet(set);
  checkBatchSize(opts.batchSize);
  const expected = networkInputSize([H, W, C], opts.train, opts.test);
  checkInputSize(opts.inputSize, expected, 'trainBatches');
  const plan = planTrainViews(H, W, opts.train, opts.test);
  const perImage = plan.perImage;
  const total = set.images.length * perImage;
  const order = shuffledRange(total, new Rng(mixSeed(opts.seed, SEED_PURPOSE.shuffle, opts.epoch)));
  // Deterministic plans have the same views for every image: compute them once.
  const fixedViews: View[] | null =
    plan.crop === 'randomcrop' ? null : Array.from({ length: perImage }, (_, k) => trainView(plan, H, W, k, new Rng(0)));
  const random = randomAugs(opts.train);
  const [h, w] = plan.size;

  const viewOf = (v: number): { image: number; k: number; view: View } => {
    const image = Math.floor(v / perImage);
    const k = v % perImage;
    const view = fixedViews?.[k] ?? trainView(plan, H, W, k, new Rng(mixSeed(opts.seed, SEED_PURPOSE.crop, opts.epoch, image)));
    return { image, k, view };
  };
  // Random augmentations draw from their own stream per view, so the crop draws above stay what they
  // were without them.
  const augOf = (image: number, k: number) =>
    random.length === 0 ? IDENTITY_AUG : drawViewAug(random, h, w, new Rng(mixSeed(opts.seed, SEED_PURPOSE.augment, opts.epoch, image, k)));

  return {
    order,
    total,
    h,
    w,
    /** View v's bytes into `out` (h*w*C); returns its image index. */
    renderBytes(v: number, out: Uint8Array): number {
      const { image, k, view } = viewOf(v);
      renderView(set.images[image], H, W, C, view, h, w, augOf(image, k), out);
      return image;
    },
    /** View v normalised into dst at offset; returns its image index. `scratch` holds h*w*C bytes. */
    writeView(v: number, dst: Float32Array, offset: number, scratch: Uint8Array): number {
      const { image, k, view } = viewOf(v);
      if (random.length === 0) {
        // No random augmentation: copy the crop window straight into the batch (no resampling).
        writeNormalised(set.images[image], H, W, C, view, h, w, dst, offset, opts.preprocess);
      } else {
        renderView(set.images[image], H, W, C, view, h, w, augOf(image, k), scratch);
        writeBytesNormalised(scratch, dst, offset, opts.preprocess);
      }
      return image;
    },
  };
}

/**
 * Evaluation batches in set order, whole images per batch: floor(batchSize / views) images (at least
 * one), each contributing its `views` consecutive rows.
 */
export function evalBatches(set: ImageSet, opts: EvalBatchOptions): Generator<EvalBatch> {
  const { height: H, width: W, channels: C } = set;
  checkSet(set);
  checkBatchSize(opts.batchSize);
  const [h, w, c] = opts.inputSize;
  // internal: the runner derives inputSize from the same images and plan (networkInputSize); a mismatch is a bug
  if (c !== C) throw new Error(`evalBatches: inputSize has ${c} channels but the images have ${C}`);
  if (opts.test.kind === 'tencrop' && (opts.test.size[0] !== h || opts.test.size[1] !== w)) {
    throw new Error(`evalBatches: test tencrop ${opts.test.size.join('x')} differs from the network input ${h}x${w}`);
  }
  const views = testViews(H, W, h, w, opts.test);
  const perBatch = Math.max(1, Math.floor(opts.batchSize / views.length));

  return (function* (): Generator<EvalBatch> {
    const stride = h * w * C;
    for (let start = 0; start < set.images.length; start += perBatch) {
      const n = Math.min(perBatch, set.images.length - start);
      const x = new Float32Array(n * views.length * stride);
      const y = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        views.forEach((view, k) => {
          writeNormalised(set.images[start + i], H, W, C, view, h, w, x, (i * views.length + k) * stride, opts.preprocess);
        });
        y[i] = set.labels[start + i];
      }
      yield { x, y, n, views: views.length, start };
    }
  })();
}

/** Copies one view into the batch and normalises it there: the only per-view work, no allocation. */
function writeNormalised(
  src: Uint8Array,
  H: number,
  W: number,
  C: number,
  view: View,
  h: number,
  w: number,
  dst: Float32Array,
  offset: number,
  mode: Preprocess,
): void {
  // A per-pixel mode is a table lookup done while copying (one pass); whitening needs the view's
  // statistics, so it normalises the copied view afterwards.
  const lut = pixelTable(mode);
  writeView(src, H, W, C, view, h, w, dst, offset, lut ?? undefined);
  if (!lut) preprocessInPlace(dst, offset, h * w * C, mode);
}

/** Rendered view bytes into the batch, normalised (the same table or whitening as writeNormalised). */
function writeBytesNormalised(src: Uint8Array, dst: Float32Array, offset: number, mode: Preprocess): void {
  const lut = pixelTable(mode) ?? RAW_TABLE;
  for (let i = 0; i < src.length; i++) dst[offset + i] = lut[src[i]];
  if (mode === 'whiten') preprocessInPlace(dst, offset, src.length, mode);
}

const RAW_TABLE = Float32Array.from({ length: 256 }, (_, b) => b);

/** 0..n-1 in a Fisher-Yates order from `rng` (a typed array: one uint32 per view, not one object). */
function shuffledRange(n: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

// internal: the loaders build every set at one size with one label per image; these guard the batch code
// against a bug there, never against user input (bad images are skipped while decoding)
function checkSet(set: ImageSet): void {
  const bytes = set.height * set.width * set.channels;
  if (set.labels.length !== set.images.length) throw new Error(`image set has ${set.images.length} images but ${set.labels.length} labels`);
  set.images.forEach((img, i) => {
    if (img.length !== bytes) throw new Error(`image ${i} (${set.origins[i] ?? '?'}) has ${img.length} bytes, expected ${bytes}`);
  });
}

// internal: the compiler checks `batch N` is a positive integer
function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, not ${batchSize}`);
}

// internal: a caller's contract (pass networkInputSize's result)
function checkInputSize(given: readonly number[], expected: readonly number[], who: string): void {
  if (given.some((v, i) => v !== expected[i])) {
    throw new Error(
      `${who}: inputSize ${given.join('x')} is not the network input ${expected.join('x')} for these images and augmentations (use networkInputSize)`,
    );
  }
}
