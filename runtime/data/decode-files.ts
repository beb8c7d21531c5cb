// Image files -> pixels, for the file-based sources, through the decoded-data cache when there is one:
//
//   1. read every file (once; the bytes are both the cache key's input and the decoder's);
//   2. with a cache folder, look the key up: a verified entry gives every image's pixels, no decoding;
//   3. otherwise decode on every core (decode-pool.ts) and write the entry for next time.
//
// The cache never changes what a run sees: a hit gives the bytes the decode gave when it was written,
// and a corrupt entry or a failed write only costs time (a note says so).

import { isAbsolute, relative } from 'node:path';
import { CorruptEntryError } from '../cache/framed.ts';
import { decodedEntryPath, decodedKey, readDecoded, writeDecoded, type CachedImage } from '../cache/decoded.ts';
import { DECODE_PIPELINE, DecodeError, shortReason, type Size } from './decode.ts';
import { decodeMany, type EncodedImage } from './decode-pool.ts';
import { FileReader } from './read-files.ts';

export interface FileImage {
  file: string;
  origin: string;
}

export interface DecodeFilesOptions {
  /** The cache folder (e.g. `.emoc/cache`); without one nothing is cached. */
  cacheDir?: string;
  /** The data folder, recorded in the cache entry for `emoc cache ls`. */
  source: string;
  /** Worker threads for decoding; default decode-pool.ts's choice. */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DecodedFiles {
  /** Per image, in order: its pixels or the DecodeError that stopped it. */
  results: Array<Uint8Array | DecodeError>;
  /** For the run log: cache hits, misses that were written, corrupt entries rebuilt. */
  notes: string[];
}

export async function decodeFiles(items: readonly FileImage[], size: Size, opts: DecodeFilesOptions): Promise<DecodedFiles> {
  const notes: string[] = [];
  const reader = new FileReader();
  const lengths = new Int32Array(items.length);
  const unreadable: string[] = [];
  const encoded: Array<EncodedImage | DecodeError> = items.map((it, i) => {
    try {
      const bytes = reader.read(it.file);
      lengths[i] = bytes.length;
      return { bytes, origin: it.origin };
    } catch (err) {
      const reason = shortReason(err);
      lengths[i] = -1;
      unreadable.push(reason);
      return new DecodeError(it.origin, reason);
    }
  });
  const digest =
    opts.cacheDir === undefined ? undefined : decodedKey(size, DECODE_PIPELINE, { lengths, unreadable, bytes: reader.pieces() });
  // Relative to the working folder when inside it (.emoc/cache/...), else absolute.
  const shown = (path: string) => {
    const rel = relative(process.cwd(), path);
    return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  };

  if (opts.cacheDir !== undefined && digest !== undefined) {
    try {
      const cached = await readDecoded(opts.cacheDir, digest, items.length, size);
      if (cached) {
        opts.onProgress?.(items.length, items.length);
        notes.push(`${items.length} decoded images read from the data cache (${shown(decodedEntryPath(opts.cacheDir, digest))})`);
        return { results: cached.map((c, i) => (c instanceof Uint8Array ? c : new DecodeError(items[i].origin, c.failed))), notes };
      }
    } catch (err) {
      // A cache that cannot be read (corrupt, unreadable folder) only costs the decode it would have saved.
      if (err instanceof CorruptEntryError)
        notes.push(`data cache entry ${shown(err.path)} is corrupt (${err.reason}): decoded the images again`);
      else notes.push(`could not read the data cache (${shortReason(err)}): decoded the images again`);
    }
  }

  const readable = encoded.filter((e): e is EncodedImage => !(e instanceof DecodeError));
  const decoded = await decodeMany(readable, size, { workers: opts.workers, onProgress: opts.onProgress });
  let next = 0;
  const results = encoded.map((e) => (e instanceof DecodeError ? e : decoded[next++]));

  if (opts.cacheDir !== undefined && digest !== undefined) {
    const entry: CachedImage[] = results.map((r) => (r instanceof DecodeError ? { failed: r.reason } : r));
    try {
      await writeDecoded(opts.cacheDir, digest, opts.source, size, entry);
      notes.push(`decoded ${items.length} images and kept them in the data cache (${shown(decodedEntryPath(opts.cacheDir, digest))})`);
    } catch (err) {
      // A full disk or a read-only cache folder must not stop the run: the images are decoded already.
      notes.push(`could not write the data cache (${shortReason(err)}): the next run decodes again`);
    }
  }
  return { results, notes };
}
