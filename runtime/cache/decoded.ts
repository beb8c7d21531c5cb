// The decoded-data cache: a data set's images as decoded uint8 pixels, so the second run of any spec on
// the same folder skips decoding (FER2013: 32,298 JPEGs, 74 MB of 48x48 pixels, read back in well under
// a second).
//
// Content-addressed: the key is a sha256 over the decode settings (input size, the pipeline id in
// decode.ts, the decoder libraries' versions) and every image file's bytes in load order. Never file
// dates: a changed, added or removed image changes the key, and so does a copy of the data set that
// differs in one byte. The key covers neither file names nor labels, since the pixels depend on neither:
// two specs that name the same folder differently, or list the classes in another order, share an entry.
// Each entry is a framed.ts frame (verified by its CRC-32 on every read; a corrupt one is replaced once the
// images are decoded again) kept under `<cache>/data/`, beside the feature cache's backbone folders.

import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CorruptEntryError, readFrame, readFrameHeader, writeFrame, type FrameHeader } from './framed.ts';

const MAGIC = 'EMOCDT01';
const FORMAT_VERSION = 1;
/** The cache root's subfolder for decoded data sets. */
export const DATA_CACHE_DIR = 'data';
const EXT = '.data';

/** What an entry says about itself; shown by `emoc cache ls`. */
export interface DecodedMeta {
  /** The data folder the images came from when the entry was written (for people; not part of the key). */
  source: string;
  /** [height, width, channels] of every image. */
  size: [number, number, number];
  images: number;
  /** Images that could not be decoded (kept, with their reasons, so a hit skips them the same way). */
  failed: number;
  createdAt: string;
}

interface DecodedHeader extends FrameHeader {
  meta: DecodedMeta;
  /** [image index, reason] for each image that could not be decoded. */
  failures: Array<[number, string]>;
}

/** The libraries whose upgrade could change decoded pixels; part of the key. */
function decoderVersions(): string {
  const require = createRequire(import.meta.url);
  const version = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version;
  return `sharp ${version('sharp')}, @jsquash/jpeg ${version('@jsquash/jpeg')}`;
}

/** The image files of one load, as the key sees them. */
export interface KeyedFiles {
  /** Each file's length in load order; -1 for a file that could not be read. */
  lengths: Int32Array;
  /** Why each unreadable file could not be read, in load order (so a later readable file changes the key). */
  unreadable: string[];
  /** Every readable file's bytes back to back, in load order, in as many pieces as convenient. */
  bytes: readonly Uint8Array[];
}

/**
 * The entry key: sha256 over the decode settings, the file lengths (which delimit the files, so no two
 * different file lists hash alike) and all the bytes. Hashing a few large pieces rather than one call
 * per file keeps this at about 50 ms for FER2013's 60 MB.
 */
export function decodedKey(size: readonly number[], pipeline: string, files: KeyedFiles): string {
  const h = createHash('sha256').update(
    JSON.stringify([FORMAT_VERSION, pipeline, decoderVersions(), size, files.lengths.length, files.unreadable]),
  );
  h.update(new Uint8Array(files.lengths.buffer, files.lengths.byteOffset, files.lengths.byteLength));
  for (const piece of files.bytes) h.update(piece);
  return h.digest('hex');
}

export function decodedEntryPath(root: string, key: string): string {
  return join(root, DATA_CACHE_DIR, `${key}${EXT}`);
}

/** One image from the cache: its pixels, or why it could not be decoded. */
export type CachedImage = Uint8Array | { failed: string };

/**
 * The cached images for `key`, in load order, or null when there is no entry. A corrupt entry (bad
 * checksum, cut short, or not the `n` images of `size` the caller expects) throws CorruptEntryError.
 */
export async function readDecoded(root: string, key: string, n: number, size: readonly number[]): Promise<CachedImage[] | null> {
  const path = decodedEntryPath(root, key);
  let frame: { header: DecodedHeader; payload: Uint8Array };
  try {
    frame = await readFrame<DecodedHeader>(path, MAGIC, FORMAT_VERSION, key);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const { meta, failures } = frame.header;
  const per = size[0] * size[1] * size[2];
  if (meta.images !== n || meta.size.join('x') !== size.join('x') || frame.payload.length !== n * per) {
    throw new CorruptEntryError(path, `holds ${meta.images} images of ${meta.size.join('x')}; expected ${n} of ${size.join('x')}`);
  }
  const out: CachedImage[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = frame.payload.subarray(i * per, (i + 1) * per);
  for (const [i, reason] of failures) out[i] = { failed: reason };
  return out;
}

/**
 * Entries kept per data folder and input size. More than one, so a quick trial (`--limit-per-class`) and
 * the full run on the same folder do not evict each other; few, since each edit of an image makes a
 * new entry and the old ones would only take space (74 MB each for FER2013).
 */
export const KEEP_PER_SOURCE = 3;

/**
 * Writes the entry for `key` (failed images as zeros in the payload, their reasons in the header), then
 * removes the oldest entries of the same source and size beyond KEEP_PER_SOURCE.
 */
export async function writeDecoded(
  root: string,
  key: string,
  source: string,
  size: [number, number, number],
  images: readonly CachedImage[],
): Promise<void> {
  const per = size[0] * size[1] * size[2];
  const payload = new Uint8Array(images.length * per);
  const failures: Array<[number, string]> = [];
  images.forEach((im, i) => {
    if (im instanceof Uint8Array) payload.set(im, i * per);
    else failures.push([i, im.failed]);
  });
  const meta: DecodedMeta = { source, size, images: images.length, failed: failures.length, createdAt: new Date().toISOString() };
  await writeFrame<DecodedHeader>(decodedEntryPath(root, key), MAGIC, { version: FORMAT_VERSION, key, meta, failures }, payload, 'crc32');
  const siblings = (await listDecoded(root))
    .filter((r) => r.ok && r.key !== key && r.meta?.source === source && r.meta.size.join('x') === size.join('x'))
    .sort((a, b) => (b.meta!.createdAt < a.meta!.createdAt ? -1 : b.meta!.createdAt > a.meta!.createdAt ? 1 : 0));
  for (const old of siblings.slice(KEEP_PER_SOURCE - 1)) await rm(old.path, { force: true });
}

export interface DecodedListing {
  path: string;
  key: string;
  bytes: number;
  /** Header readable; the payload is only verified when it is read for a run. */
  ok: boolean;
  meta?: DecodedMeta;
  problem?: string;
}

/** Every decoded-data entry under `root` (headers only), plus leftover temp files of interrupted writes. */
export async function listDecoded(root: string): Promise<DecodedListing[]> {
  const dir = join(root, DATA_CACHE_DIR);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const rows: DecodedListing[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    if (name.endsWith('.tmp')) {
      rows.push({ path, key: '', bytes: (await stat(path)).size, ok: false, problem: 'unfinished write (temp file)' });
    } else if (name.endsWith(EXT)) {
      try {
        const { header, fileBytes } = await readFrameHeader<DecodedHeader>(path, MAGIC, FORMAT_VERSION);
        rows.push({ path, key: header.key, bytes: fileBytes, ok: true, meta: header.meta });
      } catch (err) {
        rows.push({ path, key: name.slice(0, -EXT.length), bytes: (await stat(path)).size, ok: false, problem: (err as Error).message });
      }
    }
  }
  return rows;
}
