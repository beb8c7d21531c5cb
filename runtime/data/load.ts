// loadData: a spec's data block -> decoded train and validation ImageSets, or a DataError before any
// training starts.
//
// Each source kind has a scanner (folder.ts, fer2013.ts) that finds images and matches classes; this
// module then does what every source shares: decode (image files on every core and through the
// decoded-data cache, see decode-files.ts; unreadable images are skipped, counted and named), stop on
// empty classes or an all-unreadable source, and hold out a stratified validation split when the source
// has none. No tensors here: this runs in a worker too.

import type { DataIR } from '../../compiler/ir.ts';
import { DECODE_CONCURRENCY, decodeFile, DecodeError, mapLimit, type Size } from './decode.ts';
import { decodeFiles } from './decode-files.ts';
import { scanFer2013 } from './fer2013.ts';
import { scanFolder, scanSfew } from './folder.ts';
import { scanEvalSource } from '../evaluate/source.ts';
import type { PendingImage, ScannedSource } from './scan.ts';
import { countPerClass, emptySet, holdOut } from './sets.ts';
import { DataError, type ImageSet, type LoadedData, type SkippedImage } from './types.ts';

export interface LoadOptions {
  /** The spec file's folder: data paths are relative to it. */
  baseDir: string;
  /** Decides the validation hold-out (and is passed to the builtin generator). */
  seed: number;
  /** Called as images are decoded: (done, total) over train and validation together. */
  onProgress?: (done: number, total: number) => void;
  /** The procedural face generator for `data builtin faces` (wired by the runner). */
  builtin?: (d: DataIR, seed: number) => { train: ImageSet; val: ImageSet };
  /** At most this many images per class per split, the first in file order (quick runs and tests). */
  limitPerClass?: number;
  /** Cache folder for decoded image files (e.g. `.emoc/cache`); none: every load decodes. */
  cacheDir?: string;
  /** Worker threads for decoding image files; default: one per core for large sets, none for small. */
  decodeWorkers?: number;
}

export async function loadData(data: DataIR, opts: LoadOptions): Promise<LoadedData> {
  const loaded = await loadSource(data, opts);
  // The spec's own test source (`test "path"`); 'auto' was taken by the scanner above.
  const test = data.test ?? null;
  if (test !== null && test !== 'auto') {
    const found = await scanEvalSource(test.path, opts.baseDir, data.classes, {
      kind: test.kind,
      limitPerClass: opts.limitPerClass,
      strict: false,
    });
    const split = await decodeSplit(found.items, found, data.input as Size, opts);
    loaded.test = split.set;
    loaded.skipped.push(...found.skipped, ...split.skipped);
    loaded.notes.push(...found.notes, ...split.notes);
  }
  return loaded;
}

/**
 * Decodes one evaluation split (a test split, `emoc eval`'s data) through the same path and cache as
 * training data; a DataError when none of its images can be read.
 */
export async function decodeSplit(
  items: readonly PendingImage[],
  from: { display: string; where: string },
  size: Size,
  opts: Pick<LoadOptions, 'cacheDir' | 'decodeWorkers' | 'onProgress'>,
): Promise<{ set: ImageSet; skipped: SkippedImage[]; notes: string[] }> {
  const decoded = await decodeAll(items, size, from.where, opts as LoadOptions);
  if (items.length > 0 && decoded.ok.length === 0) {
    const first = decoded.skipped[0];
    throw new DataError(
      `none of the ${items.length} images in '${from.display}' could be read`,
      from.where,
      `first failure: ${first.origin}: ${first.reason}`,
    );
  }
  const notes = [...decoded.notes];
  if (decoded.skipped.length > 0) notes.push(`${decoded.skipped.length} unreadable image(s) skipped in '${from.display}'`);
  return { set: toSet(decoded.ok, size), skipped: decoded.skipped, notes };
}

async function loadSource(data: DataIR, opts: LoadOptions): Promise<LoadedData> {
  const src = data.source;
  const withTest = data.test === 'auto';
  switch (src.kind) {
    case 'builtin':
      return loadBuiltin(data, opts);
    case 'folder':
      return decodeSource(await scanFolder(src.path, opts.baseDir, data.classes, opts.limitPerClass, withTest), data, opts);
    case 'sfew':
      return decodeSource(await scanSfew(src.path, opts.baseDir, data.classes, opts.limitPerClass), data, opts);
    case 'fer2013':
      return decodeSource(await scanFer2013(src.path, opts.baseDir, data.classes, opts.limitPerClass, withTest), data, opts);
    default: {
      const never: never = src;
      // internal: exhaustive switch over the IR's source kinds (the schema admits no others)
      throw new Error(`unknown data source '${(never as { kind: string }).kind}'`);
    }
  }
}

function loadBuiltin(data: DataIR, opts: LoadOptions): LoadedData {
  if (!opts.builtin) {
    throw new DataError(
      'the built-in faces data set is not available here',
      'data builtin faces',
      'the runner must pass loadData a builtin generator (opts.builtin)',
    );
  }
  const { train, val } = opts.builtin(data, opts.seed);
  return { classes: [...data.classes], train, val, skipped: [], notes: [] };
}

async function decodeSource(source: ScannedSource, data: DataIR, opts: LoadOptions): Promise<LoadedData> {
  const classes = [...data.classes];
  // Cheap checks first: an empty class folder should not cost a decode of everything else.
  requireEveryClass(source.train, classes, source, (label) => `class '${classes[label]}' has no images in '${source.classWhere(label)}'`);

  const size = data.input as Size;
  const valEnd = source.train.length + (source.val?.length ?? 0);
  const pending = [...source.train, ...(source.val ?? []), ...(source.test ?? [])];
  const decoded = await decodeAll(pending, size, source.where, opts);
  const skipped: SkippedImage[] = [...source.skipped, ...decoded.skipped];

  const trainOk = decoded.ok.filter((d) => d.index < source.train.length);
  const valOk = decoded.ok.filter((d) => d.index >= source.train.length && d.index < valEnd);
  const testOk = decoded.ok.filter((d) => d.index >= valEnd);
  if (pending.length > 0 && decoded.ok.length === 0) {
    const first = decoded.skipped[0];
    throw new DataError(
      `none of the ${pending.length} images in '${source.display}' could be read`,
      source.where,
      `first failure: ${first.origin}: ${first.reason}`,
    );
  }
  const train = toSet(trainOk, size);
  requireEveryClass(
    trainOk.map((d) => pending[d.index]),
    classes,
    source,
    (label) => `class '${classes[label]}' has no readable images in '${source.classWhere(label)}' (all skipped as unreadable)`,
  );

  const notes = [...source.notes, ...decoded.notes];
  if (decoded.skipped.length > 0) notes.push(`${decoded.skipped.length} unreadable image(s) skipped`);
  let split: { train: ImageSet; val: ImageSet };
  if (source.val === null) {
    split = holdOut(train, data.valSplit, opts.seed, classes.length);
    notes.push(
      `no validation split in '${source.display}': held out ${Math.round(data.valSplit * 100)}% of each class (${split.val.images.length} images, seed ${opts.seed})`,
    );
  } else {
    split = { train, val: toSet(valOk, size) };
  }
  const valCounts = countPerClass(split.val, classes.length);
  const noVal = classes.filter((_, i) => valCounts[i] === 0);
  if (noVal.length > 0 && split.val.images.length > 0) notes.push(`no validation images for ${noVal.map((c) => `'${c}'`).join(', ')}`);

  const test = source.test ? toSet(testOk, size) : null;
  if (test && source.test!.length > 0) notes.push(`test split: ${test.images.length} images, scored once at the end`);
  return { classes, train: split.train, val: split.val, test, skipped, notes };
}

/** Stops the run when a listed class has no images in `items` (the training split). */
function requireEveryClass(
  items: readonly PendingImage[],
  classes: readonly string[],
  source: ScannedSource,
  message: (label: number) => string,
): void {
  const counts = new Array<number>(classes.length).fill(0);
  for (const it of items) counts[it.label]++;
  const empty = counts.findIndex((n) => n === 0);
  if (empty >= 0) {
    throw new DataError(message(empty), source.where, `add images of '${classes[empty]}', or remove the class from the spec's classes`);
  }
}

interface Decoded {
  index: number;
  origin: string;
  label: number;
  pixels: Uint8Array;
}

/**
 * Decodes everything; DecodeErrors become skipped entries, in input order. Image files go through
 * decode-files.ts (all cores, the data cache); other sources (CSV rows) through their own decode, a
 * few at a time.
 */
async function decodeAll(
  items: readonly PendingImage[],
  size: Size,
  where: string,
  opts: LoadOptions,
): Promise<{ ok: Decoded[]; skipped: SkippedImage[]; notes: string[] }> {
  let results: Array<Uint8Array | DecodeError>;
  let notes: string[] = [];
  if (items.length > 0 && items.every((it) => it.file !== undefined)) {
    const files = items.map((it) => ({ file: it.file!, origin: it.origin }));
    ({ results, notes } = await decodeFiles(files, size, {
      cacheDir: opts.cacheDir,
      source: where,
      workers: opts.decodeWorkers,
      onProgress: opts.onProgress,
    }));
  } else {
    let done = 0;
    opts.onProgress?.(0, items.length);
    const decodeOne = (it: PendingImage) => (it.decode ? it.decode(size) : decodeFile(it.file!, size, it.origin));
    const settled = await mapLimit(items, DECODE_CONCURRENCY, decodeOne, () => opts.onProgress?.(++done, items.length));
    results = settled.map((r) => {
      if (r.status === 'fulfilled') return r.value;
      if (r.reason instanceof DecodeError) return r.reason;
      throw r.reason; // a bug or a system failure (out of memory), not a bad image: do not hide it
    });
  }
  const ok: Decoded[] = [];
  const skipped: SkippedImage[] = [];
  results.forEach((r, index) => {
    const it = items[index];
    if (r instanceof DecodeError) skipped.push({ origin: r.origin, reason: r.reason });
    else ok.push({ index, origin: it.origin, label: it.label, pixels: r });
  });
  return { ok, skipped, notes };
}

function toSet(items: readonly Decoded[], [h, w, c]: Size): ImageSet {
  const set = emptySet(h, w, c);
  for (const d of items) {
    set.images.push(d.pixels);
    set.labels.push(d.label);
    set.origins.push(d.origin);
  }
  return set;
}
