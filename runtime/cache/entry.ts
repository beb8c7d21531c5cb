// One cache entry on disk: a float32 feature matrix [n, width] with a self-describing header.
//
//   "EMOCFT01" | u32 LE header length | header JSON (utf8) | zero padding to 4 bytes | float32 LE payload
//
// The header carries the payload's byte length and sha256, so a truncated or bit-flipped file is caught
// on read and never trusted. Writes go to a temp file in the same folder and are renamed into place:
// readers (another emoc process in a sweep) see either the old state or the whole new entry.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

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

export interface EntryHeader {
  version: number;
  key: string;
  meta: EntryMeta;
  payloadBytes: number;
  sha256: string;
}

export class CorruptEntryError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`corrupt feature cache entry ${path}: ${reason}`);
    this.name = 'CorruptEntryError';
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function payloadBytesOf(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Writes an entry atomically (temp file + fsync + rename). */
export async function writeEntry(path: string, key: string, meta: EntryMeta, data: Float32Array): Promise<void> {
  if (data.length !== meta.n * meta.width) {
    // internal: the caller (features.ts) computes meta from data, so a mismatch is a bug
    throw new Error(`feature matrix has ${data.length} values; expected ${meta.n} x ${meta.width}`);
  }
  const payload = payloadBytesOf(data);
  const header: EntryHeader = { version: FORMAT_VERSION, key, meta, payloadBytes: payload.byteLength, sha256: sha256(payload) };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefixLen = MAGIC.length + 4 + headerBytes.length;
  const prefix = Buffer.alloc(prefixLen + ((4 - (prefixLen % 4)) % 4));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.length, MAGIC.length);
  headerBytes.copy(prefix, MAGIC.length + 4);

  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(prefix);
    await fh.write(payload);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}

/** Parses the prefix of an entry; throws CorruptEntryError when it is not a valid header. */
function parseHeader(path: string, buf: Buffer): { header: EntryHeader; payloadOffset: number } {
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw new CorruptEntryError(path, 'bad magic (not an emoc feature file)');
  }
  const headerLen = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + headerLen > buf.length) throw new CorruptEntryError(path, 'header cut short');
  let header: EntryHeader;
  try {
    header = JSON.parse(buf.toString('utf8', start, start + headerLen)) as EntryHeader;
  } catch {
    throw new CorruptEntryError(path, 'header is not valid JSON');
  }
  if (header.version !== FORMAT_VERSION) throw new CorruptEntryError(path, `format version ${header.version}`);
  const end = start + headerLen;
  return { header, payloadOffset: end + ((4 - (end % 4)) % 4) };
}

/** Reads and verifies an entry (magic, key, length, checksum); throws CorruptEntryError on any mismatch. */
export async function readEntry(path: string, expectedKey: string): Promise<{ meta: EntryMeta; data: Float32Array }> {
  const buf = await readFile(path);
  const { header, payloadOffset } = parseHeader(path, buf);
  if (header.key !== expectedKey) throw new CorruptEntryError(path, 'key in header does not match file name');
  const { n, width } = header.meta;
  if (header.payloadBytes !== n * width * 4) throw new CorruptEntryError(path, 'header sizes disagree');
  const actual = buf.length - payloadOffset;
  if (actual !== header.payloadBytes) {
    throw new CorruptEntryError(path, `payload is ${actual} bytes; header says ${header.payloadBytes}`);
  }
  const payload = buf.subarray(payloadOffset);
  if (sha256(payload) !== header.sha256) throw new CorruptEntryError(path, 'payload checksum mismatch');
  // Copy into a fresh aligned buffer: Node may hand back a pooled Buffer at an odd offset.
  const data = new Float32Array(header.payloadBytes / 4);
  new Uint8Array(data.buffer).set(payload);
  return { meta: header.meta, data };
}

/** Reads only the header (for listing); does not verify the payload. */
export async function readEntryHeader(path: string): Promise<{ header: EntryHeader; fileBytes: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, 64 * 1024));
    await fh.read(head, 0, head.length, 0);
    return { header: parseHeader(path, head).header, fileBytes: size };
  } finally {
    await fh.close();
  }
}
