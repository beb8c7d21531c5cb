// Image files -> fixed-size HWC uint8 pixels, with sharp (libvips).
//
// Every source (folders, SFEW, FER2013 pixel strings) ends here, so all images get the same treatment:
// EXIF orientation applied, alpha flattened onto black, converted to greyscale or sRGB, and stretched
// to exactly [h, w] (face datasets are pre-cropped near-square faces, so stretching keeps the whole face
// where a centre crop would cut off chin or forehead). A file that cannot be decoded throws DecodeError,
// which the loaders catch, count and name; nothing here knows about tensors.
//
// JPEGs that need nothing but decoding (already at the input size, no orientation or colour profile)
// skip sharp's per-image overhead through jpeg-fast.ts; the pixels are the same bytes either way.

import { readFile } from 'node:fs/promises';
import type { OutputInfo, Sharp } from 'sharp';
import { decodeJpegFast } from './jpeg-fast.ts';

/** An image that cannot be used: the loaders skip it and record origin + reason. */
export class DecodeError extends Error {
  constructor(
    readonly origin: string,
    readonly reason: string,
  ) {
    super(`${origin}: ${reason}`);
    this.name = 'DecodeError';
  }
}

/** [height, width, channels] with channels 1 (greyscale) or 3 (RGB). */
export type Size = [number, number, number];

// internal: the compiler checks `input HxWxC` (positive sizes, 1 or 3 channels) before any image is decoded
function checkSize([h, w, c]: Size): void {
  if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0)) throw new Error(`bad image size ${h}x${w}`);
  if (c !== 1 && c !== 3) throw new Error(`images must have 1 or 3 channels, not ${c}`);
}

/** The first line of a libvips message: the rest is usually a repeat or a stack of decoder internals. */
export function shortReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].trim() || 'unreadable image';
}

/**
 * Names the pipeline below for the decoded-data cache key (runtime/cache/decoded.ts): change it whenever
 * a change here changes decoded pixels, so cached data sets decoded the old way are not reused.
 */
export const DECODE_PIPELINE = 'rotate(exif) flatten(#000000) resize(fill) colourspace(b-w|srgb) v1';

// sharp (libvips, a large native module) is loaded on first use: JPEGs on the fast path, FER2013 CSV
// rows at 48x48x1 and the decoding workers' start never need it.
let sharpModule: Promise<typeof import('sharp')> | null = null;
function loadSharp(): Promise<typeof import('sharp')> {
  sharpModule ??= import('sharp').then((m) => m.default);
  return sharpModule;
}

/** Runs the shared sharp pipeline and checks the output really is h*w*c bytes. */
async function toPixels(img: Sharp, origin: string, [h, w, c]: Size): Promise<Uint8Array> {
  let pipeline = img
    .rotate() // apply EXIF orientation, so phone photos are upright
    .flatten({ background: '#000000' }) // alpha -> black, so transparent PNGs decode like their opaque pixels over zero padding
    .resize(w, h, { fit: 'fill' });
  pipeline = c === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new DecodeError(origin, shortReason(err));
  }
  const { data, info } = out;
  if (info.width !== w || info.height !== h) throw new DecodeError(origin, `decoded to ${info.width}x${info.height}, expected ${w}x${h}`);
  if (info.channels === c) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Defensive: libvips honours toColourspace for every format we read, but if a decoder ever hands
  // back another channel count we fix it here rather than feed misaligned pixels to training.
  return convertChannels(data, h * w, info.channels, c);
}

function convertChannels(src: Uint8Array, pixels: number, from: number, to: number): Uint8Array {
  const out = new Uint8Array(pixels * to);
  for (let p = 0; p < pixels; p++) {
    const s = p * from;
    if (to === 1) {
      out[p] = from >= 3 ? Math.round(0.2126 * src[s] + 0.7152 * src[s + 1] + 0.0722 * src[s + 2]) : src[s];
    } else {
      const rgb = from >= 3;
      out[p * 3] = src[s];
      out[p * 3 + 1] = rgb ? src[s + 1] : src[s];
      out[p * 3 + 2] = rgb ? src[s + 2] : src[s];
    }
  }
  return out;
}

/**
 * Decodes an encoded image (JPEG, PNG, WebP, ...) to [h, w, c] HWC uint8.
 * `failOn: 'truncated'` rejects cut-off files (they would decode to grey filler) but tolerates the
 * minor warnings (odd EXIF/ICC chunks) that real photo collections are full of.
 */
export async function decodeImage(bytes: Uint8Array, size: Size, origin: string): Promise<Uint8Array> {
  checkSize(size);
  if (bytes.length === 0) throw new DecodeError(origin, 'empty file');
  return (await decodeJpegFast(bytes, size)) ?? decodeWithSharp(bytes, size, origin);
}

/** decodeImage through sharp alone: the reference the fast path must match, and every other image. */
export async function decodeWithSharp(bytes: Uint8Array, size: Size, origin: string): Promise<Uint8Array> {
  checkSize(size);
  if (bytes.length === 0) throw new DecodeError(origin, 'empty file');
  const sharp = await loadSharp();
  let img: Sharp;
  try {
    img = sharp(bytes, { failOn: 'truncated' });
  } catch (err) {
    throw new DecodeError(origin, shortReason(err));
  }
  return toPixels(img, origin, size);
}

/** Reads and decodes one image file; unreadable files become DecodeError too, named by `origin`. */
export async function decodeFile(path: string, size: Size, origin = path): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DecodeError(origin, shortReason(err));
  }
  return decodeImage(bytes, size, origin);
}

/**
 * Resizes raw greyscale pixels (FER2013's 48x48 pixel strings) to [h, w, c].
 * Same size and one channel is a plain copy, so the common FER2013-at-48x48 case skips sharp.
 */
export async function resizeGrey(pixels: Uint8Array, height: number, width: number, size: Size, origin: string): Promise<Uint8Array> {
  checkSize(size);
  if (pixels.length !== height * width) throw new DecodeError(origin, `expected ${height * width} pixels, got ${pixels.length}`);
  const [h, w, c] = size;
  if (h === height && w === width && c === 1) return pixels.slice();
  const sharp = await loadSharp();
  return toPixels(sharp(pixels, { raw: { width, height, channels: 1 } }), origin, size);
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, preserving order in the result.
 * Decoding is I/O plus libvips work on its own threads, so a few in flight keep the cores busy
 * without queueing thousands of buffers at once. `onDone` is called after each item settles.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  onDone?: () => void,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i], i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
      onDone?.();
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** How many images are decoded at once. */
export const DECODE_CONCURRENCY = 6;
