import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataIR, DataSource } from '../compiler/ir.ts';
import { decodeImage, DecodeError } from '../runtime/data/decode.ts';
import { loadData } from '../runtime/data/load.ts';
import { countPerClass } from '../runtime/data/sets.ts';
import { DataError, type ImageSet } from '../runtime/data/types.ts';

let dir: string;

const solid = (w: number, h: number, channels: 3 | 4, colour: { r: number; g: number; b: number; alpha?: number }) =>
  sharp({ create: { width: w, height: h, channels, background: colour } });
const greyPng = (w: number, h: number, v: number) =>
  sharp(Buffer.alloc(w * h, v), { raw: { width: w, height: h, channels: 1 } })
    .png()
    .toBuffer();

async function put(path: string, bytes: Buffer | string): Promise<void> {
  await mkdir(join(dir, path, '..'), { recursive: true });
  await writeFile(join(dir, path), bytes);
}

/** A class folder of `n` small images of mixed formats and sizes. */
async function classFolder(path: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0)
      await put(
        `${path}/c${i}.jpg`,
        await solid(60 + i, 40, 3, { r: 200, g: 10 * i, b: 30 })
          .jpeg()
          .toBuffer(),
      );
    else if (i % 3 === 1) await put(`${path}/g${i}.png`, await greyPng(30, 30 + i, 20 * i));
    else await put(`${path}/a${i}.png`, await solid(20, 50, 4, { r: 0, g: 255, b: 0, alpha: 0.5 }).png().toBuffer());
  }
}

function data(source: DataSource, classes: string[], over: Partial<DataIR> = {}): DataIR {
  return { source, classes, input: [16, 16, 1], valSplit: 0.25, preprocess: 'fixed', test: null, ...over };
}

async function dataError(p: Promise<unknown>): Promise<DataError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  expect((err as DataError).message).not.toContain('\n');
  return err as DataError;
}

function expectWellFormed(set: ImageSet): void {
  const bytes = set.height * set.width * set.channels;
  expect(set.labels).toHaveLength(set.images.length);
  expect(set.origins).toHaveLength(set.images.length);
  for (const img of set.images) expect(img.length).toBe(bytes);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emoc-data-'));
  // flat/: class folders, mixed names, a corrupt file, a text file, and contempt/.
  await classFolder('flat/Happiness', 4);
  await classFolder('flat/angry', 4);
  await classFolder('flat/SAD', 5);
  await classFolder('flat/contempt', 2);
  await put('flat/angry/broken.jpg', randomBytes(300));
  await put('flat/angry/readme.txt', 'not an image');
  await mkdir(join(dir, 'flat/fear'), { recursive: true });
  // allbad/: every image is corrupt.
  await put('allbad/happy/x.jpg', randomBytes(100));
  await put('allbad/sad/y.png', randomBytes(100));
  // sfew/: Train/ and Val/ with capitalised classes, plus an unlabelled Test/.
  await classFolder('sfew/Train/Angry', 3);
  await classFolder('sfew/Train/Happy', 3);
  await classFolder('sfew/Val/Angry', 2);
  await classFolder('sfew/Val/Happy', 1);
  await classFolder('sfew/Test/Unknown', 1);
  // split/: train/ and test/ (no val/).
  await classFolder('split/train/happy', 2);
  await classFolder('split/train/sad', 2);
  await classFolder('split/test/happy', 1);
  await classFolder('split/test/sad', 1);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('decode', () => {
  it('decodes colour, grey and alpha images to exact HWC sizes and values', async () => {
    const red = await solid(7, 5, 3, { r: 200, g: 10, b: 30 }).png().toBuffer();
    expect([...(await decodeImage(red, [5, 7, 3], 'red')).subarray(0, 3)]).toEqual([200, 10, 30]);
    expect(await decodeImage(red, [3, 4, 1], 'red')).toHaveLength(12);
    const grey = await greyPng(9, 9, 77);
    expect([...(await decodeImage(grey, [2, 2, 3], 'grey'))]).toEqual(new Array(12).fill(77));
    expect([...(await decodeImage(grey, [2, 2, 1], 'grey'))]).toEqual([77, 77, 77, 77]);
    // 50% alpha over black: half the colour.
    const half = await solid(4, 4, 4, { r: 200, g: 100, b: 0, alpha: 0.5 }).png().toBuffer();
    const px = await decodeImage(half, [4, 4, 3], 'half');
    expect(Math.abs(px[0] - 100)).toBeLessThanOrEqual(1);
    expect(Math.abs(px[1] - 50)).toBeLessThanOrEqual(1);
  });

  it('throws DecodeError with origin and reason for random bytes, empty and truncated files', async () => {
    for (const bytes of [randomBytes(64), Buffer.alloc(0)]) {
      const err = await decodeImage(bytes, [8, 8, 1], 'bad.jpg').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DecodeError);
      expect((err as DecodeError).origin).toBe('bad.jpg');
      expect((err as DecodeError).reason.length).toBeGreaterThan(0);
    }
    const jpg = await sharp({
      create: { width: 64, height: 64, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 128, sigma: 30 } },
    })
      .jpeg()
      .toBuffer();
    await expect(decodeImage(jpg.subarray(0, jpg.length - 200), [8, 8, 1], 'cut.jpg')).rejects.toBeInstanceOf(DecodeError);
  });
});

describe('loadData: folder of class folders', () => {
  it('loads mixed images, skips and names the corrupt one, leaves contempt out with a note', async () => {
    const progress: [number, number][] = [];
    const d = await loadData(data({ kind: 'folder', path: 'flat' }, ['angry', 'happy', 'sad']), {
      baseDir: dir,
      seed: 1,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(d.classes).toEqual(['angry', 'happy', 'sad']);
    expect(d.skipped).toHaveLength(1);
    expect(d.skipped[0].origin).toBe(join('flat', 'angry', 'broken.jpg'));
    expect(d.skipped[0].reason).toMatch(/unsupported image format|corrupt/i);
    expect(d.notes.some((n) => n.includes('contempt') && n.includes('left out'))).toBe(true);
    expect(d.notes.some((n) => n.includes('fear'))).toBe(true); // fear/ exists but is not listed
    expect(d.notes.some((n) => n.includes('readme.txt'))).toBe(true);
    expectWellFormed(d.train);
    expectWellFormed(d.val);
    // 4 angry + 4 happy + 5 sad decoded; 25% held out per class (1 each).
    expect(countPerClass(d.train, 3)).toEqual([3, 3, 4]);
    expect(countPerClass(d.val, 3)).toEqual([1, 1, 1]);
    expect(d.train.origins.every((o) => o.startsWith('flat/') && !o.includes('contempt'))).toBe(true);
    expect(progress.at(-1)).toEqual([14, 14]);
    expect(progress.map((p) => p[0])).toEqual([...progress.map((p) => p[0])].sort((a, b) => a - b));
  });

  it('holds out the same images for the same seed', async () => {
    const opts = { baseDir: dir, seed: 42 };
    const a = await loadData(data({ kind: 'folder', path: 'flat' }, ['angry', 'happy', 'sad']), opts);
    const b = await loadData(data({ kind: 'folder', path: 'flat' }, ['angry', 'happy', 'sad']), opts);
    expect(b.val.origins).toEqual(a.val.origins);
    expect(b.train.origins).toEqual(a.train.origins);
  });

  it('decodes to colour when the input has 3 channels (grey images become R=G=B)', async () => {
    const d = await loadData(data({ kind: 'folder', path: 'flat' }, ['happy'], { input: [8, 6, 3], valSplit: 0 }), {
      baseDir: dir,
      seed: 1,
    });
    expect(d.train.channels).toBe(3);
    expectWellFormed(d.train);
    const g = d.train.origins.findIndex((o) => o.endsWith('g1.png'));
    const px = d.train.images[g];
    expect(px[0]).toBe(px[1]);
    expect(px[1]).toBe(px[2]);
    expect(d.val.images).toHaveLength(0);
  });

  it('stops on an empty class folder', async () => {
    const err = await dataError(loadData(data({ kind: 'folder', path: 'flat' }, ['angry', 'fear']), { baseDir: dir, seed: 1 }));
    expect(err.message).toMatch(/'fear' has no images/);
    expect(err.hint).toMatch(/remove the class/);
  });

  it('stops on a listed class that has no folder', async () => {
    const err = await dataError(loadData(data({ kind: 'folder', path: 'flat' }, ['angry', 'surprise']), { baseDir: dir, seed: 1 }));
    expect(err.message).toMatch(/'surprise' has no folder/);
  });

  it('stops when the source has none of the listed classes', async () => {
    const err = await dataError(loadData(data({ kind: 'folder', path: 'flat' }, ['disgust', 'surprise']), { baseDir: dir, seed: 1 }));
    expect(err.message).toMatch(/none of the experiment's classes/);
    expect(err.hint).toMatch(/contempt/);
  });

  it('stops on a missing folder', async () => {
    const err = await dataError(loadData(data({ kind: 'folder', path: 'nope' }, ['happy']), { baseDir: dir, seed: 1 }));
    expect(err.message).toMatch(/'nope' does not exist/);
    expect(err.where).toBe(join(dir, 'nope'));
  });

  it('stops when every image is unreadable', async () => {
    const err = await dataError(loadData(data({ kind: 'folder', path: 'allbad' }, ['happy', 'sad']), { baseDir: dir, seed: 1 }));
    expect(err.message).toMatch(/none of the 2 images/);
  });

  it('takes train/ + test/ splits as train + validation', async () => {
    const d = await loadData(data({ kind: 'folder', path: 'split' }, ['sad', 'happy']), { baseDir: dir, seed: 1 });
    expect(countPerClass(d.train, 2)).toEqual([2, 2]);
    expect(countPerClass(d.val, 2)).toEqual([1, 1]);
    expect(d.val.origins.every((o) => o.startsWith(join('split', 'test')))).toBe(true);
    expect(d.notes.some((n) => n.includes('validation split'))).toBe(true);
  });
});

describe('loadData: SFEW', () => {
  it('reads Train/<Class>/ and Val/<Class>/', async () => {
    const d = await loadData(data({ kind: 'sfew', path: 'sfew' }, ['angry', 'happy']), { baseDir: dir, seed: 1 });
    expect(countPerClass(d.train, 2)).toEqual([3, 3]);
    expect(countPerClass(d.val, 2)).toEqual([2, 1]);
    expect(d.val.origins.every((o) => o.startsWith(join('sfew', 'Val')))).toBe(true);
    expect(d.notes.some((n) => n.includes('Test'))).toBe(true);
  });

  it('stops when there is no Train/', async () => {
    const err = await dataError(loadData(data({ kind: 'sfew', path: 'flat' }, ['angry']), { baseDir: dir, seed: 1 }));
    expect(err.hint).toMatch(/Train\/<Class>/);
  });
});

describe('loadData: FER2013 CSV', () => {
  const px = (v: number) => Array.from({ length: 48 * 48 }, (_, i) => (v + i) % 256).join(' ');
  const csv = [
    'emotion,pixels,Usage',
    `3,${px(0)},Training`,
    `3,"${px(1)}",Training`,
    `0,${px(2)},Training`,
    `0,${px(3)},Training`,
    `6,${px(4)},Training`,
    `6,${px(5)},Training`,
    `1,${px(6)},Training`, // disgust: not in the classes
    `3,1 2 3,Training`, // malformed pixels
    `9,${px(7)},Training`, // bad label id
    `3,${px(8)},PrivateTest`,
    `0,${px(9)},PrivateTest`,
    '',
  ].join('\n');

  beforeAll(async () => {
    await put('fer/fer2013.csv', csv);
    await put('fer/withpublic.csv', csv + `6,${px(10)},PublicTest\n`);
  });

  it('reads rows into the experiment class order, PrivateTest as val when there is no PublicTest', async () => {
    const d = await loadData(data({ kind: 'fer2013', path: 'fer/fer2013.csv' }, ['happy', 'angry', 'neutral'], { input: [48, 48, 1] }), {
      baseDir: dir,
      seed: 1,
    });
    expect(d.train.labels).toEqual([0, 0, 1, 1, 2, 2]);
    // 48x48 grey at 48x48x1: the pixels are the CSV's values exactly.
    expect([...d.train.images[2].subarray(0, 4)]).toEqual([2, 3, 4, 5]);
    expect(d.train.origins[0]).toBe('fer/fer2013.csv:2');
    expect(d.val.labels).toEqual([0, 1]);
    expect(d.skipped.map((s) => s.origin)).toEqual(['fer/fer2013.csv:9', 'fer/fer2013.csv:10']);
    expect(d.notes.some((n) => n.includes('disgust'))).toBe(true);
    expect(d.notes.some((n) => n.includes('PrivateTest'))).toBe(true);
  });

  it('uses PublicTest as val when present, ignores PrivateTest, resizes to the input size', async () => {
    const d = await loadData(data({ kind: 'fer2013', path: 'fer/withpublic.csv' }, ['happy', 'angry', 'neutral'], { input: [24, 20, 3] }), {
      baseDir: dir,
      seed: 1,
    });
    expect(d.val.labels).toEqual([2]);
    expectWellFormed(d.train);
    expect(d.train.images[0]).toHaveLength(24 * 20 * 3);
    expect(d.notes.some((n) => n.includes('PrivateTest row(s) not used'))).toBe(true);
  });

  it('finds fer2013.csv in a folder and honours limitPerClass', async () => {
    const d = await loadData(data({ kind: 'fer2013', path: 'fer' }, ['happy', 'angry', 'neutral']), {
      baseDir: dir,
      seed: 1,
      limitPerClass: 1,
    });
    expect(d.train.labels).toEqual([0, 1, 2]);
  });

  it('stops on a class that is not a FER2013 label, and on a missing file', async () => {
    const e1 = await dataError(
      loadData(data({ kind: 'fer2013', path: 'fer/fer2013.csv' }, ['happy', 'contempt']), { baseDir: dir, seed: 1 }),
    );
    expect(e1.message).toMatch(/'contempt' is not a FER2013 label/);
    await dataError(loadData(data({ kind: 'fer2013', path: 'fer/missing.csv' }, ['happy']), { baseDir: dir, seed: 1 }));
  });

  it('stops on a listed class with no rows', async () => {
    const err = await dataError(
      loadData(data({ kind: 'fer2013', path: 'fer/fer2013.csv' }, ['happy', 'surprise']), { baseDir: dir, seed: 1 }),
    );
    expect(err.message).toMatch(/'surprise' has no images/);
  });
});

describe('loadData: builtin', () => {
  it('delegates to opts.builtin, and stops clearly without it', async () => {
    const empty: ImageSet = { height: 2, width: 2, channels: 1, images: [], labels: [], origins: [] };
    const d = await loadData(data({ kind: 'builtin', name: 'faces', images: 10 }, ['happy']), {
      baseDir: dir,
      seed: 3,
      builtin: (_d, seed) => ({ train: { ...empty, origins: [`s${seed}`] }, val: empty }),
    });
    expect(d.train.origins).toEqual(['s3']);
    const err = await dataError(loadData(data({ kind: 'builtin', name: 'faces', images: 10 }, ['happy']), { baseDir: dir, seed: 3 }));
    expect(err.hint).toMatch(/opts.builtin/);
  });
});

describe('loadData: ../shared/data/fer2013-sample', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const sample = join(root, '../shared/data/fer2013-sample');

  it.skipIf(!existsSync(sample))('loads train/ and val/ of real FER2013 JPEGs (5 per class)', async () => {
    const classes = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'];
    const d = await loadData(data({ kind: 'folder', path: '../shared/data/fer2013-sample' }, classes, { input: [48, 48, 1] }), {
      baseDir: root,
      seed: 1,
      limitPerClass: 5,
    });
    expect(countPerClass(d.train, 7)).toEqual([5, 5, 5, 5, 5, 5, 5]);
    expect(countPerClass(d.val, 7)).toEqual([5, 5, 5, 5, 5, 5, 5]);
    expect(d.skipped).toEqual([]);
    expectWellFormed(d.train);
    expect(d.train.origins[0]).toMatch(/^\.\.\/shared\/data\/fer2013-sample\/train\/angry\/.*\.jpg$/);
    // Real faces are not flat.
    const img = d.train.images[0];
    expect(Math.max(...img) - Math.min(...img)).toBeGreaterThan(50);
  });
});
