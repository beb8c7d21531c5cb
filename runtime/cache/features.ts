// The feature cache: a frozen backbone's tap outputs, computed once per
// (backbone, weights content, tap, preprocessing, image content, augmentation view) and kept on disk,
// so a sweep extracts once and then trains every grid point's head on cached features.
//
// Entries are per tap (not per tap list): a sweep over taps {avgpool, l2, concat} runs the backbone
// once and every later combination is assembled from cached columns; tap order in the result is the
// request's order, so order never needs to be part of the key.

import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DATA_CACHE_DIR } from './decoded.ts';
import { CorruptEntryError, readEntry, readEntryHeader, writeEntry, type EntryMeta } from './entry.ts';
import { hashImages, type ImagesForKey } from './hash.ts';

/** `.emoc/cache/` under the working directory, unless a spec or flag says otherwise. */
export function defaultCacheRoot(cwd: string = process.cwd()): string {
  return resolve(cwd, '.emoc', 'cache');
}

/** Everything that decides one tap's feature values for one image set. */
export interface FeatureKeyParts {
  backbone: string;
  /** hashWeights(modelJsonPath): the weight files' content, not their path. */
  weightsHash: string;
  tap: string;
  preprocess: string;
  /** hashImages(set): pixels (and source-file hashes when known) in row order. */
  imagesHash: string;
  /** Augmentation view id ('orig' for un-augmented images). */
  view: string;
}

/** sha256 over the key parts in a fixed field order (an object literal's order could drift). */
export function featureKey(p: FeatureKeyParts): string {
  const canonical = JSON.stringify([1, p.backbone, p.weightsHash, p.tap, p.preprocess, p.imagesHash, p.view]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** File names must not depend on what a user typed as a graph backbone's name. */
function safeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || '_';
}

export function entryPath(root: string, backbone: string, key: string): string {
  return join(root, safeSegment(backbone), `${key}.feat`);
}

export interface FeatureRequest {
  /** Cache folder; default defaultCacheRoot(). */
  root?: string;
  backbone: string;
  weightsHash: string;
  preprocess: string;
  view: string;
  /** Taps in output order. */
  taps: string[];
  images: ImagesForKey;
  /** Shown by `emoc cache ls` (train, val, ...); not part of the key. */
  label?: string;
  /**
   * Computes the given (missing) taps, one [n * width] array per tap in the order asked.
   * Only called on a miss: pass a lazy loader so a fully cached run never loads the backbone.
   */
  compute: (taps: string[]) => Promise<Float32Array[]>;
}

export interface CorruptReport {
  path: string;
  reason: string;
}

export interface FeatureResult {
  /** [n, sum of widths] row-major, taps concatenated in request order. */
  features: Float32Array;
  widths: number[];
  /** True when every tap came from the cache (compute was not called). */
  hit: boolean;
  /** Taps that were computed now. */
  computed: string[];
  /** Entries found corrupt, deleted and recomputed. */
  corrupt: CorruptReport[];
}

/** Returns the features for `req.taps`, reading verified entries and computing only what is missing. */
export async function getOrComputeFeatures(req: FeatureRequest): Promise<FeatureResult> {
  const root = req.root ?? defaultCacheRoot();
  const n = req.images.images.length;
  const imagesHash = hashImages(req.images);
  const keyOf = (tap: string): string =>
    featureKey({ backbone: req.backbone, weightsHash: req.weightsHash, tap, preprocess: req.preprocess, imagesHash, view: req.view });

  const columns = new Map<string, Float32Array>();
  const corrupt: CorruptReport[] = [];
  for (const tap of new Set(req.taps)) {
    const key = keyOf(tap);
    const path = entryPath(root, req.backbone, key);
    try {
      const { meta, data } = await readEntry(path, key);
      if (meta.n !== n) throw new CorruptEntryError(path, `has ${meta.n} rows; the image set has ${n}`);
      columns.set(tap, data);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      // Anything else (truncation, bad checksum, unreadable) means the entry cannot be trusted.
      const reason = err instanceof CorruptEntryError ? err.reason : (err as Error).message;
      corrupt.push({ path, reason });
      await rm(path, { force: true });
    }
  }

  const missing = [...new Set(req.taps)].filter((t) => !columns.has(t));
  if (missing.length > 0) {
    const computed = await req.compute(missing);
    if (computed.length !== missing.length) {
      // internal: `compute` is emoc's own backbone extractor; a wrong count is a bug there, not user input
      throw new Error(`compute returned ${computed.length} arrays for ${missing.length} taps`);
    }
    for (const [i, tap] of missing.entries()) {
      const data = computed[i]!;
      // internal: as above, the extractor returns whole rows for every image or it has a bug
      if (n > 0 && data.length % n !== 0) throw new Error(`tap '${tap}': ${data.length} values for ${n} images`);
      const meta: EntryMeta = {
        backbone: req.backbone,
        tap,
        preprocess: req.preprocess,
        view: req.view,
        label: req.label ?? '',
        weightsHash: req.weightsHash,
        imagesHash,
        n,
        width: n === 0 ? 0 : data.length / n,
        createdAt: new Date().toISOString(),
      };
      await writeEntry(entryPath(root, req.backbone, keyOf(tap)), keyOf(tap), meta, data);
      columns.set(tap, data);
    }
  }

  const parts = req.taps.map((t) => columns.get(t)!);
  const widths = parts.map((p) => (n === 0 ? 0 : p.length / n));
  return { features: concatColumns(parts, widths, n), widths, hit: missing.length === 0, computed: missing, corrupt };
}

/** Per-tap [n, w_t] matrices into one [n, sum w_t] row-major matrix. */
export function concatColumns(parts: Float32Array[], widths: number[], n: number): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(n * total);
  for (let r = 0; r < n; r++) {
    let col = r * total;
    parts.forEach((p, t) => {
      const w = widths[t]!;
      out.set(p.subarray(r * w, (r + 1) * w), col);
      col += w;
    });
  }
  return out;
}

export interface CacheListing extends Partial<EntryMeta> {
  path: string;
  bytes: number;
  /** Header readable; the payload is only verified when it is read for training. */
  ok: boolean;
  problem?: string;
}

/** Every entry file under `root` (header only, so listing is fast), plus leftover temp files. */
async function entryFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  let dirs: string[];
  try {
    dirs = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  for (const d of dirs) {
    const dir = join(root, d);
    if (!(await stat(dir)).isDirectory()) continue;
    // The decoded-data cache's folder holds its own temp files (decoded.ts lists them); a backbone that
    // happens to be called 'data' still has its .feat files found here.
    const ownTemp = d !== DATA_CACHE_DIR;
    for (const f of await readdir(dir)) if (f.endsWith('.feat') || (ownTemp && f.endsWith('.tmp'))) out.push(join(dir, f));
  }
  return out.sort();
}

/** For `emoc cache ls`: one row per entry with backbone, tap, size and date. */
export async function listCache(root: string = defaultCacheRoot()): Promise<CacheListing[]> {
  const rows: CacheListing[] = [];
  for (const path of await entryFiles(root)) {
    if (path.endsWith('.tmp')) {
      rows.push({ path, bytes: (await stat(path)).size, ok: false, problem: 'unfinished write (temp file)' });
      continue;
    }
    try {
      const { header, fileBytes } = await readEntryHeader(path);
      rows.push({ path, bytes: fileBytes, ok: true, ...header.meta });
    } catch (err) {
      rows.push({ path, bytes: (await stat(path)).size, ok: false, problem: (err as Error).message });
    }
  }
  return rows;
}

/** A temp file older than this is an abandoned write, not one in flight. */
export const STALE_TEMP_MS = 60 * 60 * 1000;

export interface ClearFilter {
  backbone?: string;
  tap?: string;
  /** Only entries created before this date. */
  before?: Date;
}

/**
 * For `emoc cache clear`: removes matching entries (all when no filter). Unreadable entries and
 * stale temp files are always removed: nothing would ever read them.
 */
export async function clearCache(root: string = defaultCacheRoot(), filter: ClearFilter = {}): Promise<{ removed: number; bytes: number }> {
  let removed = 0;
  let bytes = 0;
  for (const row of await listCache(root)) {
    // A temp file may be another emoc process's write in flight; only an old one is abandoned.
    if (row.path.endsWith('.tmp') && Date.now() - (await stat(row.path)).mtimeMs < STALE_TEMP_MS) continue;
    const matches =
      !row.ok ||
      ((!filter.backbone || row.backbone === filter.backbone) &&
        (!filter.tap || row.tap === filter.tap) &&
        (!filter.before || (row.createdAt !== undefined && new Date(row.createdAt) < filter.before)));
    if (!matches) continue;
    await rm(row.path, { force: true });
    removed++;
    bytes += row.bytes;
  }
  return { removed, bytes };
}
