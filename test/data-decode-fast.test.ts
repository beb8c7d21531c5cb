// Fast decoding (issue 14): the wasm JPEG path and the worker pool give exactly the bytes sharp's
// single-threaded decode gives, and the fast path steps aside for every image it cannot match.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, DecodeError, decodeWithSharp, type Size } from '../runtime/data/decode.ts';
import { decodeMany } from '../runtime/data/decode-pool.ts';
import { decodeJpegFast, jpegInfo } from '../runtime/data/jpeg-fast.ts';
import { FileReader } from '../runtime/data/read-files.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const sample = resolve(repo, '../shared/data/fer2013-sample');

/** The first `perClass` JPEGs of every class folder of a split of the sample, in a fixed order. */
function sampleFiles(split: string, perClass: number): string[] {
  const dir = join(sample, split);
  return readdirSync(dir)
    .sort()
    .flatMap((c) =>
      readdirSync(join(dir, c))
        .sort()
        .slice(0, perClass)
        .map((f) => join(dir, c, f)),
    );
}

const same = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length &&
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

beforeAll(() => {
  if (!existsSync(sample)) throw new Error(`the tests need ${sample}`);
});

describe('the wasm JPEG fast path', () => {
  it("gives sharp's bytes for FER2013 JPEGs, greyscale and as 3 channels, and is taken for them", async () => {
    for (const size of [
      [48, 48, 1],
      [48, 48, 3],
    ] as Size[]) {
      for (const file of sampleFiles('train', 12)) {
        const bytes = readFileSync(file);
        const fast = await decodeJpegFast(bytes, size);
        expect(fast, file).not.toBeNull();
        expect(same(fast!, await decodeWithSharp(bytes, size, file)), `${file} at ${size.join('x')}`).toBe(true);
      }
    }
  });

  it("gives sharp's bytes for colour JPEGs (4:2:0 and 4:4:4, baseline and progressive)", async () => {
    for (const chromaSubsampling of ['4:2:0', '4:4:4']) {
      for (const progressive of [false, true]) {
        for (const [w, h] of [
          [48, 48],
          [37, 29],
        ]) {
          const jpg = await sharp({
            create: {
              width: w,
              height: h,
              channels: 3,
              background: { r: 200, g: 90, b: 30 },
              noise: { type: 'gaussian', mean: 120, sigma: 50 },
            },
          })
            .jpeg({ chromaSubsampling, progressive, quality: 70 })
            .toBuffer();
          const fast = await decodeJpegFast(jpg, [h, w, 3]);
          expect(fast).not.toBeNull();
          expect(same(fast!, await decodeWithSharp(jpg, [h, w, 3], 'c.jpg'))).toBe(true);
        }
      }
    }
  });

  it('steps aside (null) where sharp would do more than decode, and decodeImage still matches sharp there', async () => {
    const fer = readFileSync(sampleFiles('train', 1)[0]);
    const colour = await sharp({
      create: {
        width: 48,
        height: 48,
        channels: 3,
        background: { r: 10, g: 200, b: 60 },
        noise: { type: 'gaussian', mean: 100, sigma: 40 },
      },
    })
      .jpeg()
      .toBuffer();
    const rotated = await sharp(colour).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const png = await sharp(colour).png().toBuffer();
    const cases: Array<[string, Uint8Array, Size]> = [
      ['another size (resize)', fer, [40, 40, 1]],
      ['colour to greyscale', colour, [48, 48, 1]],
      ['an EXIF orientation', rotated, [48, 48, 3]],
      ['a PNG', png, [48, 48, 3]],
    ];
    expect(jpegInfo(rotated)?.exif).toBe(true);
    for (const [why, bytes, size] of cases) {
      expect(await decodeJpegFast(bytes, size), why).toBeNull();
      expect(same(await decodeImage(bytes, size, why), await decodeWithSharp(bytes, size, why)), why).toBe(true);
    }
    // A cut-off JPEG is sharp's to reject, with sharp's reason.
    const cut = fer.subarray(0, fer.length - 100);
    expect(await decodeJpegFast(cut, [48, 48, 1])).toBeNull();
    await expect(decodeImage(cut, [48, 48, 1], 'cut.jpg')).rejects.toBeInstanceOf(DecodeError);
  });
});

describe('decodeMany on worker threads', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'emoc-pool-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same pixels and the same DecodeErrors, in order, as decoding one by one with sharp', async () => {
    const files = sampleFiles('val', 60); // 416 images: more than one chunk per worker
    const images = files.map((f) => ({ bytes: new Uint8Array(readFileSync(f)), origin: f }));
    images.splice(100, 0, { bytes: randomBytes(500), origin: 'noise.jpg' });
    images.splice(300, 0, { bytes: new Uint8Array(0), origin: 'empty.jpg' });
    const size: Size = [48, 48, 1];
    const pooled = await decodeMany(images, size, { workers: 2 });
    const inProcess = await decodeMany(images, size, { workers: 0 });
    expect(pooled).toHaveLength(images.length);
    for (let i = 0; i < images.length; i++) {
      const ref = await decodeWithSharp(images[i].bytes, size, images[i].origin).catch((e: unknown) => e as DecodeError);
      for (const got of [pooled[i], inProcess[i]]) {
        if (ref instanceof DecodeError) {
          expect(got, images[i].origin).toBeInstanceOf(DecodeError);
          expect((got as DecodeError).reason).toBe(ref.reason);
          expect((got as DecodeError).origin).toBe(images[i].origin);
        } else {
          expect(got).toBeInstanceOf(Uint8Array);
          expect(same(got as Uint8Array, ref), images[i].origin).toBe(true);
        }
      }
    }
  });

  it('FileReader reads small and large files whole, and its pieces are all the bytes in read order', () => {
    const sizes = [0, 3, 2000, (1 << 20) - 7, 40, 17 << 20, 5];
    const paths = sizes.map((n, i) => {
      const p = join(dir, `f${i}`);
      writeFileSync(p, randomBytes(n));
      return p;
    });
    const reader = new FileReader();
    const got = paths.map((p) => reader.read(p));
    paths.forEach((p, i) => expect(Buffer.compare(Buffer.from(got[i]), readFileSync(p)), p).toBe(0));
    expect(Buffer.compare(Buffer.concat(reader.pieces()), Buffer.concat(paths.map((p) => readFileSync(p))))).toBe(0);
    expect(() => reader.read(join(dir, 'missing'))).toThrow(/ENOENT/);
  });
});
