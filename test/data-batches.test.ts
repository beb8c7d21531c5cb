import { describe, expect, it } from 'vitest';
import type { TestAug, TrainAug } from '../compiler/ir.ts';
import { crop, mirror, tenCropOffsets, type RawImage } from '../runtime/data/augment.ts';
import { batchesPerEpoch, evalBatches, trainBatches, viewsPerEpoch } from '../runtime/data/batches.ts';
import type { ImageSet } from '../runtime/data/types.ts';

// Six 4x5 greyscale images; image i's pixel (r, c) is 40i + 10r + c, so every row of a batch tells
// which image and which window it came from.
function gridSet(count = 6): ImageSet {
  const images = Array.from({ length: count }, (_, i) =>
    Uint8Array.from({ length: 20 }, (_, p) => 40 * i + 10 * Math.floor(p / 5) + (p % 5)),
  );
  return { height: 4, width: 5, channels: 1, images, labels: images.map((_, i) => i % 3), origins: images.map((_, i) => `img${i}`) };
}

const raw = (set: ImageSet, i: number): RawImage => ({ data: set.images[i], height: set.height, width: set.width, channels: set.channels });

function rows(
  set: ImageSet,
  train: TrainAug[],
  test: TestAug,
  inputSize: [number, number, number],
  seed: number,
  epoch: number,
  batchSize = 5,
) {
  const out: { pixels: string; label: number }[] = [];
  const stride = inputSize[0] * inputSize[1] * inputSize[2];
  for (const b of trainBatches(set, { train, test, inputSize, preprocess: 'none', batchSize, seed, epoch })) {
    for (let i = 0; i < b.n; i++) out.push({ pixels: [...b.x.subarray(i * stride, (i + 1) * stride)].join(','), label: b.y[i] });
  }
  return out;
}

describe('trainBatches', () => {
  const set = gridSet();
  const flip: TrainAug[] = [{ kind: 'flip' }];
  const none: TestAug = { kind: 'none' };

  it('gives ceil(views / batch) batches, the last one holding the rest', () => {
    expect(viewsPerEpoch(6, flip)).toBe(12);
    expect(batchesPerEpoch(6, flip, 5)).toBe(3);
    const ns = [
      ...trainBatches(set, { train: flip, test: none, inputSize: [4, 5, 1], preprocess: 'none', batchSize: 5, seed: 1, epoch: 1 }),
    ].map((b) => b.n);
    expect(ns).toEqual([5, 5, 2]);
    const ten: TrainAug[] = [{ kind: 'tencrop', size: [2, 3] }];
    const batches = [
      ...trainBatches(set, { train: ten, test: none, inputSize: [2, 3, 1], preprocess: 'none', batchSize: 7, seed: 1, epoch: 1 }),
    ];
    expect(batches).toHaveLength(Math.ceil(60 / 7));
    expect(batches[0].x).toHaveLength(7 * 6);
    expect(batches.at(-1)!.n).toBe(60 % 7);
  });

  it('flip: every image appears once as itself and once mirrored per epoch, with its label', () => {
    const got = rows(set, flip, none, [4, 5, 1], 7, 1)
      .map((r) => `${r.label}:${r.pixels}`)
      .sort();
    const want = set.images
      .flatMap((_, i) => [raw(set, i), mirror(raw(set, i))].map((v) => `${set.labels[i]}:${[...v.data].join(',')}`))
      .sort();
    expect(got).toEqual(want);
  });

  it('tencrop: each image x each of the 10 views exactly once per epoch', () => {
    const got = rows(set, [{ kind: 'tencrop', size: [2, 3] }], none, [2, 3, 1], 7, 1)
      .map((r) => r.pixels)
      .sort();
    const want = set.images
      .flatMap((_, i) =>
        tenCropOffsets(4, 5, 2, 3).map((v) => {
          const c = crop(raw(set, i), v.y, v.x, 2, 3);
          return [...(v.mirror ? mirror(c) : c).data].join(',');
        }),
      )
      .sort();
    expect(got).toEqual(want);
  });

  it('is deterministic for a (seed, epoch), shuffles differently across epochs and seeds', () => {
    const a = rows(set, flip, none, [4, 5, 1], 3, 2);
    expect(rows(set, flip, none, [4, 5, 1], 3, 2)).toEqual(a);
    expect(rows(set, flip, none, [4, 5, 1], 3, 3)).not.toEqual(a);
    expect(rows(set, flip, none, [4, 5, 1], 4, 2)).not.toEqual(a);
  });

  it('is resumable: epoch 3 is the same whether or not epochs 1-2 ran first', () => {
    const fresh = rows(set, flip, none, [4, 5, 1], 9, 3);
    rows(set, flip, none, [4, 5, 1], 9, 1);
    rows(set, flip, none, [4, 5, 1], 9, 2);
    expect(rows(set, flip, none, [4, 5, 1], 9, 3)).toEqual(fresh);
  });

  it('randomcrop (+flip): one valid window per image per epoch, reproducible, varying across epochs', () => {
    const aug: TrainAug[] = [{ kind: 'flip' }, { kind: 'randomcrop', size: [2, 3] }];
    const windows = new Set(
      set.images.flatMap((_, i) => {
        const all: string[] = [];
        for (let y = 0; y <= 2; y++)
          for (let x = 0; x <= 2; x++) {
            const c = crop(raw(set, i), y, x, 2, 3);
            all.push([...c.data].join(','), [...mirror(c).data].join(','));
          }
        return all;
      }),
    );
    const e1 = rows(set, aug, none, [2, 3, 1], 5, 1);
    expect(e1).toHaveLength(6);
    for (const r of e1) expect(windows.has(r.pixels)).toBe(true);
    // Each image exactly once: the first pixel's tens digit group (40i..40i+34) names the image.
    expect(e1.map((r) => Math.floor(Number(r.pixels.split(',')[0]) / 40)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rows(set, aug, none, [2, 3, 1], 5, 1)).toEqual(e1);
    const epochs = [2, 3, 4, 5].map((e) =>
      rows(set, aug, none, [2, 3, 1], 5, e)
        .map((r) => r.pixels)
        .sort()
        .join('|'),
    );
    expect(
      epochs.some(
        (p) =>
          p !==
          e1
            .map((r) => r.pixels)
            .sort()
            .join('|'),
      ),
    ).toBe(true);
  });

  it('is lazy: one batch of views is built per next(), not the whole epoch', () => {
    const base = gridSet(50);
    let reads = 0;
    const images = new Proxy(base.images, {
      get(target, key, recv) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, recv);
      },
    });
    const gen = trainBatches(
      { ...base, images },
      {
        train: [{ kind: 'tencrop', size: [2, 3] }],
        test: none,
        inputSize: [2, 3, 1],
        preprocess: 'whiten',
        batchSize: 8,
        seed: 1,
        epoch: 1,
      },
    );
    reads = 0; // argument checks have looked at every image once; count pixel reads from here
    const first = gen.next();
    expect(first.done).toBe(false);
    expect(reads).toBe(8); // 8 views read, out of 500
    expect(first.value!.x).toHaveLength(8 * 2 * 3);
    gen.next();
    expect(reads).toBe(16);
  });

  it('uses the centre crop for training when only the test aug is a ten-crop', () => {
    const got = rows(set, [], { kind: 'tencrop', size: [2, 3] }, [2, 3, 1], 1, 1)
      .map((r) => r.pixels)
      .sort();
    const want = set.images.map((_, i) => [...crop(raw(set, i), 1, 1, 2, 3).data].join(',')).sort();
    expect(got).toEqual(want);
  });

  it('preprocesses each view on its own (whiten: every row has mean 0)', () => {
    for (const b of trainBatches(set, {
      train: flip,
      test: none,
      inputSize: [4, 5, 1],
      preprocess: 'whiten',
      batchSize: 4,
      seed: 1,
      epoch: 1,
    })) {
      for (let i = 0; i < b.n; i++) {
        const row = b.x.subarray(i * 20, (i + 1) * 20);
        expect(row.reduce((s, v) => s + v, 0) / 20).toBeCloseTo(0, 5);
      }
    }
  });

  it('rejects an inputSize that is not the network input', () => {
    expect(() =>
      trainBatches(set, {
        train: [{ kind: 'randomcrop', size: [2, 3] }],
        test: none,
        inputSize: [4, 5, 1],
        preprocess: 'none',
        batchSize: 4,
        seed: 1,
        epoch: 1,
      }),
    ).toThrow(/network input 2x3x1/);
  });
});

describe('evalBatches', () => {
  const set = gridSet(5);

  it('ten-crop: whole images per batch, 10 consecutive rows each, one label per image', () => {
    const batches = [
      ...evalBatches(set, { test: { kind: 'tencrop', size: [2, 3] }, inputSize: [2, 3, 1], preprocess: 'none', batchSize: 25 }),
    ];
    expect(batches.map((b) => [b.n, b.views, b.start])).toEqual([
      [2, 10, 0],
      [2, 10, 2],
      [1, 10, 4],
    ]);
    const b = batches[1];
    expect(b.x).toHaveLength(2 * 10 * 6);
    expect([...b.y]).toEqual([set.labels[2], set.labels[3]]);
    // Image 3's views are rows 10..19 of the batch, in tenCropOffsets order.
    tenCropOffsets(4, 5, 2, 3).forEach((v, k) => {
      const c = crop(raw(set, 3), v.y, v.x, 2, 3);
      expect([...b.x.subarray((10 + k) * 6, (11 + k) * 6)]).toEqual([...(v.mirror ? mirror(c) : c).data]);
    });
  });

  it('none: one view per image, the centre crop when the network is smaller', () => {
    const batches = [...evalBatches(set, { test: { kind: 'none' }, inputSize: [2, 3, 1], preprocess: 'none', batchSize: 4 })];
    expect(batches.map((b) => b.n)).toEqual([4, 1]);
    expect(batches[0].views).toBe(1);
    expect([...batches[1].x]).toEqual([...crop(raw(set, 4), 1, 1, 2, 3).data]);
  });

  it('keeps at least one image per batch when the batch is smaller than the views', () => {
    const batches = [
      ...evalBatches(set, { test: { kind: 'tencrop', size: [2, 3] }, inputSize: [2, 3, 1], preprocess: 'none', batchSize: 4 }),
    ];
    expect(batches).toHaveLength(5);
    expect(batches.every((b) => b.n === 1 && b.x.length === 60)).toBe(true);
  });
});
