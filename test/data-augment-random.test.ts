// The random augmentations at the pixel level, with expectations worked out by hand on tiny images
// (rotate, zoom, shift, brightness, contrast, erase), the ranges their draws stay in, and the
// determinism of the whole batch pipeline: the same seed gives the same batch bytes on the main thread
// and in the prefetch worker, from data decoded with 1 or 2 decode threads.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { DataIR, RandomAug, TrainAug } from '../compiler/ir.ts';
import { generateBuiltinFaces } from '../runtime/data/builtin-faces.ts';
import { crop, mirror, type RawImage } from '../runtime/data/augment.ts';
import { drawViewAug, IDENTITY_AUG, type ViewAug } from '../runtime/data/augment-random.ts';
import { renderView } from '../runtime/data/augment-warp.ts';
import { trainBatches, trainViewImages, type TrainBatch, type TrainBatchOptions } from '../runtime/data/batches.ts';
import { loadData } from '../runtime/data/load.ts';
import { BatchPrefetcher } from '../runtime/data/prefetch.ts';
import { Rng } from '../runtime/rng.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLE = path.resolve(ROOT, '..', 'shared', 'data', 'fer2013-sample');
const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'];

const img = (h: number, w: number, values: number[]): RawImage => ({ height: h, width: w, channels: 1, data: Uint8Array.from(values) });
const aug = (over: Partial<ViewAug>): ViewAug => ({ ...IDENTITY_AUG, ...over });
function render(src: RawImage, a: ViewAug, view = { y: 0, x: 0, mirror: false }, h = src.height, w = src.width): number[] {
  const out = new Uint8Array(h * w * src.channels);
  renderView(src.data, src.height, src.width, src.channels, view, h, w, a, out);
  return [...out];
}

// 3x3:  1 2 3 / 4 5 6 / 7 8 9
const nine = img(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
// 4x5 with pixel (r, c) = 10r + c
const grid = img(
  4,
  5,
  Array.from({ length: 20 }, (_, i) => 10 * Math.floor(i / 5) + (i % 5)),
);

describe('one resampling pass: geometry', () => {
  it('the identity copies the crop window, and a mirrored view is its mirror', () => {
    expect(render(grid, IDENTITY_AUG)).toEqual([...grid.data]);
    expect(render(grid, IDENTITY_AUG, { y: 1, x: 2, mirror: false }, 2, 3)).toEqual([...crop(grid, 1, 2, 2, 3).data]);
    expect(render(grid, IDENTITY_AUG, { y: 1, x: 1, mirror: true }, 2, 3)).toEqual([...mirror(crop(grid, 1, 1, 2, 3)).data]);
  });

  it('colour pixels move whole: channels keep their order under a mirror and a 180-degree turn', () => {
    // 1x2 RGB: (1, 2, 3) (4, 5, 6)
    const rgb: RawImage = { height: 1, width: 2, channels: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    expect(render(rgb, IDENTITY_AUG, { y: 0, x: 0, mirror: true })).toEqual([4, 5, 6, 1, 2, 3]);
    expect(render(rgb, aug({ angle: Math.PI }))).toEqual([4, 5, 6, 1, 2, 3]);
  });

  it('rotate 90 degrees turns the image clockwise; 180 turns it upside down', () => {
    expect(render(nine, aug({ angle: Math.PI / 2 }))).toEqual([7, 4, 1, 8, 5, 2, 9, 6, 3]);
    expect(render(nine, aug({ angle: Math.PI }))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    // Rotation after the mirror: mirrored [3 2 1 / 6 5 4 / 9 8 7], turned clockwise.
    expect(render(nine, aug({ angle: Math.PI / 2 }), { y: 0, x: 0, mirror: true })).toEqual([9, 6, 3, 8, 5, 2, 7, 4, 1]);
  });

  it('shift moves a known pixel by whole pixels; the border replicates the edge', () => {
    const dot = img(3, 4, [0, 0, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0]); // the 200 at (1, 1)
    expect(render(dot, aug({ tx: 2, ty: 1 }))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200]); // now at (2, 3)
    // Content moves right by 2: the two left columns repeat column 0 of the source.
    expect(render(grid, aug({ tx: 2 }))).toEqual([0, 0, 0, 1, 2, 10, 10, 10, 11, 12, 20, 20, 20, 21, 22, 30, 30, 30, 31, 32]);
  });

  it('zoom 2 magnifies about the centre (bilinear between source pixels)', () => {
    // Ramp 0 20 40 60 in each row. Output centre ox+0.5 maps to (ox+0.5-2)/2+2 = ox/2+1.25, i.e. the
    // sample at ox/2+0.75 between pixel centres: 0.75 -> 15, 1.25 -> 25, 1.75 -> 35, 2.25 -> 45.
    const ramp = img(2, 4, [0, 20, 40, 60, 0, 20, 40, 60]);
    expect(render(ramp, aug({ scale: 2 }))).toEqual([15, 25, 35, 45, 15, 25, 35, 45]);
    // Zoom 0.5 shrinks: centre ox+0.5 maps to 2(ox+0.5-2)+2 = 2ox-1, the sample at 2ox-1.5 between pixel
    // centres: -1.5 (replicated border) -> 0, 0.5 -> 10, 2.5 -> 50, 4.5 (border) -> 60.
    expect(render(ramp, aug({ scale: 0.5 })).slice(0, 4)).toEqual([0, 10, 50, 60]);
  });
});

describe('pixel steps after the geometry', () => {
  it('brightness adds to every pixel, so the mean moves by the same amount, clamped at 255', () => {
    const grey = img(2, 2, [100, 110, 120, 250]);
    expect(render(grey, aug({ pixels: [{ kind: 'brightness', add: 51 }] }))).toEqual([151, 161, 171, 255]);
    expect(render(grey, aug({ pixels: [{ kind: 'brightness', add: -100 }] }))).toEqual([0, 10, 20, 150]);
  });

  it('contrast multiplies around the view mean; in order after a brightness', () => {
    const two = img(1, 2, [100, 140]); // mean 120
    expect(render(two, aug({ pixels: [{ kind: 'contrast', factor: 2 }] }))).toEqual([80, 160]);
    expect(render(two, aug({ pixels: [{ kind: 'contrast', factor: 0.5 }] }))).toEqual([110, 130]);
    // +10 first (110, 150; mean 130), then x2 around 130: 90, 170.
    expect(
      render(
        two,
        aug({
          pixels: [
            { kind: 'brightness', add: 10 },
            { kind: 'contrast', factor: 2 },
          ],
        }),
      ),
    ).toEqual([90, 170]);
  });

  it('erase sets exactly its rectangle to 0', () => {
    const out = render(grid, aug({ erase: { y: 1, x: 2, h: 2, w: 2 } }));
    const want = [...grid.data];
    for (const [r, c] of [
      [1, 2],
      [1, 3],
      [2, 2],
      [2, 3],
    ])
      want[r * 5 + c] = 0;
    expect(out).toEqual(want);
  });
});

describe('draws', () => {
  const augs: RandomAug[] = [
    { kind: 'rotate', degrees: 10 },
    { kind: 'zoom', fraction: 0.2 },
    { kind: 'shift', fraction: 0.1 },
    { kind: 'brightness', amount: 0.1 },
    { kind: 'contrast', amount: 0.3 },
    { kind: 'erase', p: 0.25, size: 0.2 },
  ];

  it('each strength stays in its range and erase fires with about its probability', () => {
    const rng = new Rng(5);
    let erased = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const a = drawViewAug(augs, 48, 40, rng);
      expect(Math.abs(a.angle)).toBeLessThanOrEqual((10 * Math.PI) / 180);
      expect(a.scale).toBeGreaterThanOrEqual(0.8);
      expect(a.scale).toBeLessThanOrEqual(1.2);
      expect(Math.abs(a.tx)).toBeLessThanOrEqual(4);
      expect(Math.abs(a.ty)).toBeLessThanOrEqual(4.8);
      const b = a.pixels.find((p) => p.kind === 'brightness');
      const c = a.pixels.find((p) => p.kind === 'contrast');
      expect(b && b.kind === 'brightness' && Math.abs(b.add) <= 25.5).toBe(true);
      expect(c && c.kind === 'contrast' && c.factor >= 0.7 && c.factor <= 1.3).toBe(true);
      if (a.erase) {
        erased++;
        const { y, x, h, w } = a.erase;
        expect(y >= 0 && x >= 0 && y + h <= 48 && x + w <= 40 && h >= 1 && w >= 1).toBe(true);
        // area at most size (0.2) of 48x40 = 384, give or take the rounding of each side
        expect(h * w).toBeLessThanOrEqual(384 + h + w + 1);
      }
    }
    // 2000 draws at p = 0.25: 500 expected, standard deviation about 19.
    expect(erased).toBeGreaterThan(400);
    expect(erased).toBeLessThan(600);
  });

  it('strength 0 is the identity', () => {
    const zero: RandomAug[] = [
      { kind: 'rotate', degrees: 0 },
      { kind: 'zoom', fraction: 0 },
      { kind: 'shift', fraction: 0 },
    ];
    const a = drawViewAug(zero, 48, 48, new Rng(1));
    expect(render(grid, a)).toEqual([...grid.data]);
  });
});

// ---- the batch pipeline ----------------------------------------------------------------------------

const ALL: TrainAug[] = [
  { kind: 'randomcrop', size: [44, 44] },
  { kind: 'flip' },
  { kind: 'rotate', degrees: 15 },
  { kind: 'zoom', fraction: 0.1 },
  { kind: 'shift', fraction: 0.1 },
  { kind: 'brightness', amount: 0.2 },
  { kind: 'contrast', amount: 0.2 },
  { kind: 'erase', p: 0.5, size: 0.2 },
];

function bytesOf(batches: TrainBatch[]): Buffer {
  return Buffer.concat(
    batches.flatMap((b) => [
      Buffer.from(b.x.buffer, b.x.byteOffset, b.x.byteLength),
      Buffer.from(b.y.buffer, b.y.byteOffset, b.y.byteLength),
    ]),
  );
}

async function drain(it: AsyncIterator<TrainBatch>): Promise<TrainBatch[]> {
  const out: TrainBatch[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) out.push(r.value);
  return out;
}

const prefetchers: BatchPrefetcher[] = [];
afterAll(() => prefetchers.forEach((p) => p.close()));

describe('determinism of augmented batches', () => {
  const data: DataIR = {
    source: { kind: 'folder', path: SAMPLE },
    classes: EMOTIONS,
    input: [48, 48, 1],
    valSplit: 0.2,
    preprocess: 'whiten',
    test: null,
  } as DataIR;
  const opts = (seed: number): Omit<TrainBatchOptions, 'epoch'> => ({
    train: ALL,
    test: { kind: 'none' },
    inputSize: [44, 44, 1],
    preprocess: 'whiten',
    batchSize: 32,
    seed,
  });

  it('same seed: identical batch bytes from 1 or 2 decode threads, main thread or prefetch worker', async () => {
    const one = await loadData(data, { baseDir: ROOT, seed: 1, limitPerClass: 12, decodeWorkers: 1 });
    const two = await loadData(data, { baseDir: ROOT, seed: 1, limitPerClass: 12, decodeWorkers: 2 });
    expect(one.train.images.length).toBeGreaterThan(40);
    const main1 = [...trainBatches(one.train, { ...opts(9), epoch: 2 })];
    const main2 = [...trainBatches(two.train, { ...opts(9), epoch: 2 })];
    const p = new BatchPrefetcher(two.train, opts(9));
    prefetchers.push(p);
    const worker = await drain(p.epoch(2));
    expect(bytesOf(main2).equals(bytesOf(main1))).toBe(true);
    expect(bytesOf(worker).equals(bytesOf(main1))).toBe(true);
    // ... and the augmentations do something: another seed or epoch gives other bytes.
    expect(bytesOf([...trainBatches(one.train, { ...opts(10), epoch: 2 })]).equals(bytesOf(main1))).toBe(false);
    expect(bytesOf([...trainBatches(one.train, { ...opts(9), epoch: 3 })]).equals(bytesOf(main1))).toBe(false);
  });

  it('the preview views are the bytes the batches normalise', () => {
    const { train } = generateBuiltinFaces({ images: 14, height: 48, width: 48, channels: 1, classes: EMOTIONS, valSplit: 0.2 });
    const o = { ...opts(3), preprocess: 'none' as const, epoch: 1 };
    const views = trainViewImages(train, o, 5);
    const first = [...trainBatches(train, o)][0];
    expect(views).toHaveLength(5);
    views.forEach((v, i) => {
      expect(v.label).toBe(first.y[i]);
      expect([...first.x.subarray(i * 44 * 44, (i + 1) * 44 * 44)]).toEqual([...v.pixels]);
    });
  });
});
