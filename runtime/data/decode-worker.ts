// An image decoding worker (decode-pool.ts): decodes each chunk it is sent with decode.ts's decodeImage
// and answers with the pixels back to back, transferred. Bad images are listed with their reason, not
// thrown: the loader skips and names them as it does for an in-process decode.

import { parentPort } from 'node:worker_threads';
import { DECODE_CONCURRENCY, decodeImage, DecodeError, mapLimit } from './decode.ts';
import type { ChunkAnswer, ChunkRequest } from './decode-pool.ts';

parentPort!.on('message', async (req: ChunkRequest) => {
  const [h, w, c] = req.size;
  const per = h * w * c;
  const n = req.origins.length;
  const pixels = new Uint8Array(n * per);
  const failed: Array<[number, string]> = [];
  try {
    // A few in flight: JPEGs on the fast path decode synchronously inside, but images that go through
    // sharp wait on libvips, and those should overlap.
    const settled = await mapLimit(req.origins, DECODE_CONCURRENCY, (origin, i) =>
      decodeImage(req.bytes.subarray(req.offsets[i], req.offsets[i + 1]), req.size, origin),
    );
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') pixels.set(r.value, i * per);
      else if (r.reason instanceof DecodeError) failed.push([i, r.reason.reason]);
      else throw r.reason;
    });
  } catch (e) {
    parentPort!.postMessage({ id: req.id, error: (e as Error)?.stack ?? String(e) } satisfies ChunkAnswer);
    return;
  }
  parentPort!.postMessage({ id: req.id, pixels, failed } satisfies ChunkAnswer, [pixels.buffer]);
});
