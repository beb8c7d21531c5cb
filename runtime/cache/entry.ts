// One feature cache entry on disk: a float32 feature matrix [n, width] in a framed.ts frame whose header
// says what the features are (backbone, tap, views, images), so `emoc cache ls` can show them.

import { CorruptEntryError, readFrame, readFrameHeader, writeFrame, type FrameHeader } from './framed.ts';

export { CorruptEntryError } from './framed.ts';

const MAGIC = 'EMOCFT01';
const FORMAT_VERSION = 1;

/** What an entry says about itself; shown by `emoc cache ls`. */
export interface EntryMeta {
  backbone: string;
  tap: string;
  preprocess: string;
  view: string;
  /** Human label of the image set (train, val, ...): for people only, not part of the key. */
  label: string;
  weightsHash: string;
  imagesHash: string;
  n: number;
  width: number;
  createdAt: string;
}

export interface EntryHeader extends FrameHeader {
  meta: EntryMeta;
}

/** Writes an entry atomically (temp file + fsync + rename). */
export async function writeEntry(path: string, key: string, meta: EntryMeta, data: Float32Array): Promise<void> {
  if (data.length !== meta.n * meta.width) {
    // internal: the caller (features.ts) computes meta from data, so a mismatch is a bug
    throw new Error(`feature matrix has ${data.length} values; expected ${meta.n} x ${meta.width}`);
  }
  await writeFrame<EntryHeader>(
    path,
    MAGIC,
    { version: FORMAT_VERSION, key, meta },
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  );
}

/** Reads and verifies an entry (magic, key, length, checksum); throws CorruptEntryError on any mismatch. */
export async function readEntry(path: string, expectedKey: string): Promise<{ meta: EntryMeta; data: Float32Array }> {
  const { header, payload } = await readFrame<EntryHeader>(path, MAGIC, FORMAT_VERSION, expectedKey);
  const { n, width } = header.meta;
  if (header.payloadBytes !== n * width * 4) throw new CorruptEntryError(path, 'header sizes disagree');
  // Copy into a fresh aligned buffer: Node may hand back a pooled Buffer at an odd offset.
  const data = new Float32Array(header.payloadBytes / 4);
  new Uint8Array(data.buffer).set(payload);
  return { meta: header.meta, data };
}

/** Reads only the header (for listing); does not verify the payload. */
export function readEntryHeader(path: string): Promise<{ header: EntryHeader; fileBytes: number }> {
  return readFrameHeader<EntryHeader>(path, MAGIC, FORMAT_VERSION);
}
