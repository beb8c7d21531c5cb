// Decoding many encoded images on every core: worker threads, each running decode.ts's decodeImage on
// chunks of images, so the pixels are exactly what a single-threaded decode gives (same function, same
// libraries; test/data-decode-fast.test.ts compares them).
//
// Why workers rather than more sharp calls in flight: face data sets are tens of thousands of tiny
// images, where the per-image cost is JavaScript and call overhead on the main thread, not libvips work
// that sharp's own thread pool could spread. Each chunk's encoded bytes travel to a worker in one
// transferred buffer and its pixels come back the same way, so the hand-off costs a few messages per
// thousand images. Small sets decode in-process: starting a worker costs more than they take.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DECODE_CONCURRENCY, decodeImage, DecodeError, mapLimit, type Size } from './decode.ts';

export interface EncodedImage {
  bytes: Uint8Array;
  /** Names the image in a DecodeError. */
  origin: string;
}

/** Below this many images, decoding in-process is faster than starting workers. */
const PARALLEL_MIN = 400;
/** Images per message: large enough that messaging is negligible, small enough to balance the workers. */
const CHUNK = 256;

/** What a worker is sent: one chunk, its images' bytes back to back. */
export interface ChunkRequest {
  id: number;
  size: Size;
  bytes: Uint8Array;
  /** offsets[i]..offsets[i + 1] is image i's slice of `bytes`. */
  offsets: Int32Array;
  origins: string[];
}

/** A worker's answer: the chunk's pixels back to back (h*w*c bytes per image; zeros where it failed). */
export type ChunkAnswer = { id: number; pixels: Uint8Array; failed: Array<[number, string]> } | { id: number; error: string };

export interface DecodeManyOptions {
  /** Worker threads; default one per core for large sets, none (in-process) for small ones. */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

function defaultWorkers(images: number): number {
  return images < PARALLEL_MIN ? 0 : Math.min(availableParallelism(), Math.ceil(images / CHUNK));
}

/** Decodes every image to [h, w, c] HWC uint8, in order; an unusable image gives its DecodeError. */
export async function decodeMany(
  images: readonly EncodedImage[],
  size: Size,
  opts: DecodeManyOptions = {},
): Promise<Array<Uint8Array | DecodeError>> {
  const workers = opts.workers ?? defaultWorkers(images.length);
  let done = 0;
  opts.onProgress?.(0, images.length);
  if (workers <= 0) {
    const settled = await mapLimit(
      images,
      DECODE_CONCURRENCY,
      (im) => decodeImage(im.bytes, size, im.origin),
      () => opts.onProgress?.(++done, images.length),
    );
    return settled.map((r) => {
      if (r.status === 'fulfilled') return r.value;
      if (r.reason instanceof DecodeError) return r.reason;
      throw r.reason; // a bug or a system failure (out of memory), not a bad image: do not hide it
    });
  }
  return decodeInWorkers(images, size, workers, (n) => opts.onProgress?.((done += n), images.length));
}

function chunkRequest(id: number, images: readonly EncodedImage[], size: Size): ChunkRequest {
  const offsets = new Int32Array(images.length + 1);
  images.forEach((im, i) => (offsets[i + 1] = offsets[i] + im.bytes.length));
  const bytes = new Uint8Array(offsets[images.length]);
  images.forEach((im, i) => bytes.set(im.bytes, offsets[i]));
  return { id, size, bytes, offsets, origins: images.map((im) => im.origin) };
}

async function decodeInWorkers(
  images: readonly EncodedImage[],
  size: Size,
  workers: number,
  progressed: (n: number) => void,
): Promise<Array<Uint8Array | DecodeError>> {
  const per = size[0] * size[1] * size[2];
  const chunks = Math.ceil(images.length / CHUNK);
  const out = new Array<Uint8Array | DecodeError>(images.length);
  const pool = Array.from({ length: Math.min(workers, chunks) }, () => new Worker(new URL('./decode-boot.mjs', import.meta.url)));
  let next = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let finished = 0;
      const send = (w: Worker) => {
        if (next >= chunks) return;
        const id = next++;
        const req = chunkRequest(id, images.slice(id * CHUNK, (id + 1) * CHUNK), size);
        w.postMessage(req, [req.bytes.buffer as ArrayBuffer, req.offsets.buffer as ArrayBuffer]);
      };
      for (const w of pool) {
        w.on('message', (a: ChunkAnswer) => {
          if ('error' in a) {
            // internal: decodeImage turns every bad image into a DecodeError; anything else is a bug
            reject(new Error(`image decoding failed in a worker: ${a.error}`));
            return;
          }
          const start = a.id * CHUNK;
          const n = Math.min(CHUNK, images.length - start);
          for (let i = 0; i < n; i++) out[start + i] = a.pixels.subarray(i * per, (i + 1) * per);
          for (const [i, reason] of a.failed) out[start + i] = new DecodeError(images[start + i].origin, reason);
          progressed(n);
          if (++finished === chunks) resolve();
          else send(w);
        });
        // internal: a worker that dies (out of memory, a crash in a native decoder) is not the user's input
        w.on('error', (e) => reject(e));
        w.on('exit', (code) => reject(new Error(`an image decoding worker stopped (exit ${code})`)));
        // Two chunks in flight per worker, so it never waits for the main thread between chunks.
        send(w);
        send(w);
      }
    });
  } finally {
    for (const w of pool) {
      w.removeAllListeners('exit');
      void w.terminate();
    }
  }
  return out;
}
