// The on-disk frame every cache entry uses (feature matrices, decoded data sets):
//
//   MAGIC (8 bytes) | u32 LE header length | header JSON (utf8) | zero padding to 4 bytes | payload
//
// The header carries the entry's key, the payload's byte length and its checksum, so a truncated or
// bit-flipped file is caught on read and never trusted. The checksum is sha256 (feature entries, as they
// always were) or CRC-32 (decoded data sets: zlib's CRC-32 is about three times faster than sha256 on
// the 74 MB of decoded FER2013, which matters when a warm load should take under a second, and it
// catches every burst of corruption up to 32 bits and all but 1 in 4 billion others; the entry's key,
// where collisions would matter, is a sha256). Writes go to a temp file in the same
// folder, are fsynced and renamed into place: readers (another emoc process in a sweep) see either the
// old state or the whole new entry.

import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** An entry that cannot be trusted (bad magic, header or checksum): the caller deletes and rebuilds it. */
export class CorruptEntryError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`corrupt cache entry ${path}: ${reason}`);
    this.name = 'CorruptEntryError';
  }
}

/** The fields every frame header has; each kind of entry adds its own. */
export interface FrameHeader {
  version: number;
  key: string;
  payloadBytes: number;
  /** The payload's checksum: one of the two. */
  sha256?: string;
  crc32?: number;
}

export type Checksum = 'sha256' | 'crc32';

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// 4, as the feature cache always had: entries written before this module existed still read.
const ALIGN = 4;

/** Writes an entry atomically (temp file + fsync + rename). */
export async function writeFrame<H extends FrameHeader>(
  path: string,
  magic: string,
  header: Omit<H, 'payloadBytes' | 'sha256' | 'crc32'>,
  payload: Uint8Array,
  checksum: Checksum = 'sha256',
): Promise<void> {
  const sum = checksum === 'sha256' ? { sha256: sha256(payload) } : { crc32: crc32(payload) };
  const full = { ...header, payloadBytes: payload.byteLength, ...sum };
  const headerBytes = Buffer.from(JSON.stringify(full), 'utf8');
  const prefixLen = magic.length + 4 + headerBytes.length;
  const prefix = Buffer.alloc(prefixLen + ((ALIGN - (prefixLen % ALIGN)) % ALIGN));
  prefix.write(magic, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.length, magic.length);
  headerBytes.copy(prefix, magic.length + 4);

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
function parseHeader<H extends FrameHeader>(
  path: string,
  magic: string,
  version: number,
  buf: Buffer,
): { header: H; payloadOffset: number } {
  if (buf.length < magic.length + 4 || buf.toString('latin1', 0, magic.length) !== magic) {
    throw new CorruptEntryError(path, `bad magic (not an emoc ${magic} file)`);
  }
  const headerLen = buf.readUInt32LE(magic.length);
  const start = magic.length + 4;
  if (start + headerLen > buf.length) throw new CorruptEntryError(path, 'header cut short');
  let header: H;
  try {
    header = JSON.parse(buf.toString('utf8', start, start + headerLen)) as H;
  } catch {
    throw new CorruptEntryError(path, 'header is not valid JSON');
  }
  if (header.version !== version) throw new CorruptEntryError(path, `format version ${header.version}`);
  const end = start + headerLen;
  return { header, payloadOffset: end + ((ALIGN - (end % ALIGN)) % ALIGN) };
}

/**
 * Reads and verifies an entry (magic, version, key, length, checksum); throws CorruptEntryError on any
 * mismatch. The payload is a view into the file's buffer (4-byte aligned, so a Float32Array can wrap it).
 */
export async function readFrame<H extends FrameHeader>(
  path: string,
  magic: string,
  version: number,
  expectedKey: string,
): Promise<{ header: H; payload: Uint8Array }> {
  // One read call: fs.promises.readFile would take a 74 MB entry in 512 KB round trips to the thread pool.
  const buf = readFileSync(path);
  const { header, payloadOffset } = parseHeader<H>(path, magic, version, buf);
  if (header.key !== expectedKey) throw new CorruptEntryError(path, 'key in header does not match file name');
  const actual = buf.length - payloadOffset;
  if (actual !== header.payloadBytes) throw new CorruptEntryError(path, `payload is ${actual} bytes; header says ${header.payloadBytes}`);
  const payload = buf.subarray(payloadOffset);
  const intact =
    header.crc32 !== undefined ? crc32(payload) === header.crc32 : header.sha256 !== undefined && sha256(payload) === header.sha256;
  if (!intact) throw new CorruptEntryError(path, 'payload checksum mismatch');
  return { header, payload };
}

/** Reads only the header (for listing); does not verify the payload. */
export async function readFrameHeader<H extends FrameHeader>(
  path: string,
  magic: string,
  version: number,
): Promise<{ header: H; fileBytes: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, 64 * 1024));
    await fh.read(head, 0, head.length, 0);
    const start = magic.length + 4;
    // A header longer than the first read (a data set's list of skipped images) is read whole.
    const need = head.length >= start ? start + head.readUInt32LE(magic.length) : 0;
    if (need > head.length && need <= size) {
      const full = Buffer.alloc(need);
      await fh.read(full, 0, need, 0);
      return { header: parseHeader<H>(path, magic, version, full).header, fileBytes: size };
    }
    return { header: parseHeader<H>(path, magic, version, head).header, fileBytes: size };
  } finally {
    await fh.close();
  }
}
