import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type BuiltinFacesOptions, generateBuiltinFaces } from '../runtime/data/builtin-faces.ts';
import { DataError, type ImageSet } from '../runtime/data/types.ts';

const ALL = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'];

function opts(over: Partial<BuiltinFacesOptions> = {}): BuiltinFacesOptions {
  return { images: 70, height: 48, width: 48, channels: 1, classes: ALL, valSplit: 0.2, seed: 7, ...over };
}

function digest(images: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const img of images) h.update(img);
  return h.digest('hex');
}

function all(r: { train: ImageSet; val: ImageSet }): ImageSet {
  const t = r.train;
  const v = r.val;
  return { ...t, images: [...t.images, ...v.images], labels: [...t.labels, ...v.labels], origins: [...t.origins, ...v.origins] };
}

/** Identity of an image, from its generation index (builtin:faces#i) and the images-per-identity rule. */
function identityOf(origin: string, perIdentity: number): number {
  return Math.floor(Number(origin.split('#')[1]) / perIdentity);
}

describe('builtin:faces', () => {
  it('is deterministic: two generations are byte-identical, and a checksum of a few images is stable', () => {
    const a = generateBuiltinFaces(opts());
    const b = generateBuiltinFaces(opts());
    expect(digest(a.train.images)).toBe(digest(b.train.images));
    expect(digest(a.val.images)).toBe(digest(b.val.images));
    expect(a.train.labels).toEqual(b.train.labels);
    expect(a.val.origins).toEqual(b.val.origins);
    // Each image depends only on (options, seed, index): a smaller, independent generation must
    // reproduce the first images exactly, whatever ran before it.
    const c = generateBuiltinFaces(opts({ images: 7, valSplit: 0 }));
    const first = all(a).images.filter((_, i) => Number(all(a).origins[i].split('#')[1]) < 7);
    expect(digest(c.train.images)).toBe(digest(first));
  });

  it('gives different images for different seeds', () => {
    const a = generateBuiltinFaces(opts({ images: 7, valSplit: 0, seed: 1 }));
    const b = generateBuiltinFaces(opts({ images: 7, valSplit: 0, seed: 2 }));
    for (let i = 0; i < 7; i++) expect(Buffer.compare(a.train.images[i], b.train.images[i])).not.toBe(0);
  });

  it('balances classes, labels index into the class list, origins are builtin:faces#index', () => {
    const classes = ['surprise', 'happy', 'sad'];
    const r = all(generateBuiltinFaces(opts({ images: 100, classes })));
    expect(r.images).toHaveLength(100);
    const counts = [0, 0, 0];
    for (const l of r.labels) {
      expect(Number.isInteger(l) && l >= 0 && l < classes.length).toBe(true);
      counts[l]++;
    }
    expect(counts).toEqual([34, 33, 33]);
    expect(new Set(r.origins).size).toBe(100);
    for (const o of r.origins) expect(o).toMatch(/^builtin:faces#\d+$/);
  });

  it('keeps train and validation identities disjoint, with about valSplit of them in validation', () => {
    const r = generateBuiltinFaces(opts({ images: 140, valSplit: 0.25 }));
    const perIdentity = 7; // smallest multiple of the 7 classes that is at least 4
    const trainIds = new Set(r.train.origins.map((o) => identityOf(o, perIdentity)));
    const valIds = new Set(r.val.origins.map((o) => identityOf(o, perIdentity)));
    for (const id of valIds) expect(trainIds.has(id)).toBe(false);
    expect(valIds.size).toBe(5); // round(20 identities * 0.25)
    expect(r.val.images).toHaveLength(35);
    // Every identity shows each class once, so validation is balanced too.
    expect(new Set(r.val.labels).size).toBe(7);
  });

  it('honours sizes and channels (160x160x3 and 48x48x1)', () => {
    const big = generateBuiltinFaces(opts({ images: 3, height: 160, width: 160, channels: 3, valSplit: 0 })).train;
    expect([big.height, big.width, big.channels]).toEqual([160, 160, 3]);
    for (const img of big.images) expect(img.length).toBe(160 * 160 * 3);
    const small = generateBuiltinFaces(opts({ images: 3, valSplit: 0 })).train;
    expect([small.height, small.width, small.channels]).toEqual([48, 48, 1]);
    for (const img of small.images) expect(img.length).toBe(48 * 48);
    const wide = generateBuiltinFaces(opts({ images: 2, height: 40, width: 64, channels: 3, valSplit: 0 })).train;
    for (const img of wide.images) expect(img.length).toBe(40 * 64 * 3);
  });

  it('draws non-degenerate images: varied pixels, and images differ from one another', () => {
    const r = all(generateBuiltinFaces(opts({ images: 14, height: 64, width: 64, channels: 3 })));
    for (const img of r.images) {
      let sum = 0;
      let sq = 0;
      for (const p of img) {
        sum += p;
        sq += p * p;
      }
      const mean = sum / img.length;
      const std = Math.sqrt(sq / img.length - mean * mean);
      expect(mean).toBeGreaterThan(20);
      expect(mean).toBeLessThan(235);
      expect(std).toBeGreaterThan(10);
    }
    expect(new Set(r.images.map((img) => digest([img]))).size).toBe(r.images.length);
  });

  it('carries an expression signal: class mean images differ around the mouth and brows', () => {
    const size = 48;
    const r = all(generateBuiltinFaces(opts({ images: 420, classes: ['happy', 'surprise', 'angry'], valSplit: 0 })));
    const of = (label: number) => r.images.filter((_, i) => r.labels[i] === label);
    /**
     * Pixels in a band of rows (fractions of the height, middle 40% of columns) where the two groups'
     * means differ significantly (Welch |t| > 3.5): a mean difference that sampling noise does not explain.
     */
    const significant = (a: Uint8Array[], b: Uint8Array[], y0: number, y1: number) => {
      const stats = (imgs: Uint8Array[], p: number) => {
        let s = 0;
        let q = 0;
        for (const img of imgs) {
          s += img[p];
          q += img[p] * img[p];
        }
        const m = s / imgs.length;
        return [m, (q / imgs.length - m * m) / imgs.length];
      };
      let count = 0;
      for (let y = Math.floor(y0 * size); y < Math.ceil(y1 * size); y++) {
        for (let x = Math.floor(size * 0.3); x < Math.ceil(size * 0.7); x++) {
          const [ma, va] = stats(a, y * size + x);
          const [mb, vb] = stats(b, y * size + x);
          if (Math.abs(ma - mb) / Math.sqrt(va + vb + 1e-9) > 3.5) count++;
        }
      }
      return count;
    };
    const [happy, surprise, angry] = [0, 1, 2].map(of);
    const mouth = [0.65, 0.85] as const; // surprise opens the mouth wide; happy curves it up
    const brows = [0.25, 0.42] as const; // surprise raises the brows, angry lowers them
    const mouthSignal = significant(happy, surprise, ...mouth);
    const browSignal = significant(surprise, angry, ...brows);
    // Same-class halves differ only by sampling: almost nothing should pass the threshold.
    const evenOdd = (imgs: Uint8Array[], part: number) => imgs.filter((_, i) => i % 2 === part);
    const mouthNull = significant(evenOdd(surprise, 0), evenOdd(surprise, 1), ...mouth);
    const browNull = significant(evenOdd(surprise, 0), evenOdd(surprise, 1), ...brows);
    expect(mouthSignal).toBeGreaterThanOrEqual(6);
    expect(browSignal).toBeGreaterThanOrEqual(6);
    expect(mouthNull).toBeLessThanOrEqual(2);
    expect(browNull).toBeLessThanOrEqual(2);
  });

  it('rejects classes that are not emotions, and bad sizes', () => {
    expect(() => generateBuiltinFaces(opts({ classes: ['happy', 'contempt'] }))).toThrow(DataError);
    expect(() => generateBuiltinFaces(opts({ classes: ['happy', 'happy'] }))).toThrow(DataError);
    expect(() => generateBuiltinFaces(opts({ height: 0 }))).toThrow(DataError);
    expect(() => generateBuiltinFaces(opts({ valSplit: 1 }))).toThrow(DataError);
  });
});
