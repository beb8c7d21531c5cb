// The feature cache: hits skip the backbone, corrupt entries are recomputed, keys track every input.

import { copyFile, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { BACKBONES } from '../compiler/backbones.ts';
import type { BackboneIR } from '../compiler/ir.ts';
import { resolveBackboneFile } from '../runtime/backbones/resolve.ts';
import { backboneFeatures, lazyBackbone } from '../runtime/cache/backbone-features.ts';
import { clearCache, featureKey, getOrComputeFeatures, listCache, type FeatureRequest } from '../runtime/cache/features.ts';
import { hashImages, hashWeights, type ImagesForKey } from '../runtime/cache/hash.ts';

const WIDTHS: Record<string, number> = { a: 3, b: 2, c: 4 };

function images(n: number, seed = 0): ImagesForKey {
  return {
    height: 4,
    width: 4,
    channels: 1,
    images: Array.from({ length: n }, (_, i) => Uint8Array.from({ length: 16 }, (_, j) => (seed + i * 16 + j) % 256)),
  };
}

/** A stand-in backbone: value = image index * 100 + tap column, so rows and columns are checkable. */
function fakeCompute(n: number) {
  return vi.fn(async (taps: string[]) =>
    taps.map((t) =>
      Float32Array.from({ length: n * WIDTHS[t]! }, (_, k) => Math.floor(k / WIDTHS[t]!) * 100 + (k % WIDTHS[t]!) + t.charCodeAt(0) / 1000),
    ),
  );
}

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'emoc-cache-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function request(over: Partial<FeatureRequest> = {}): FeatureRequest {
  return {
    root,
    backbone: 'faceres',
    weightsHash: 'w1',
    preprocess: 'caffe',
    view: 'orig',
    taps: ['a', 'b'],
    images: images(5),
    label: 'train',
    compute: fakeCompute(5),
    ...over,
  };
}

async function onlyEntry(): Promise<string> {
  const dir = join(root, 'faceres');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.feat'));
  expect(files).toHaveLength(1);
  return join(dir, files[0]!);
}

describe('getOrComputeFeatures', () => {
  it('computes on a miss, then hits without calling compute; rows are taps concatenated in order', async () => {
    const first = await getOrComputeFeatures(request());
    expect(first).toMatchObject({ hit: false, computed: ['a', 'b'], widths: [3, 2] });
    const compute = fakeCompute(5);
    const second = await getOrComputeFeatures(request({ compute }));
    expect(compute).not.toHaveBeenCalled();
    expect(second.hit).toBe(true);
    expect(second.features).toEqual(first.features);
    // row 2 = a's three columns then b's two
    expect(Array.from(second.features.subarray(10, 15)).map((v) => Math.round(v))).toEqual([200, 201, 202, 200, 201]);
  });

  it('reuses per-tap entries: a reordered tap list hits, a new tap computes only itself', async () => {
    await getOrComputeFeatures(request());
    const reordered = await getOrComputeFeatures(request({ taps: ['b', 'a'], compute: fakeCompute(5) }));
    expect(reordered.hit).toBe(true);
    expect(reordered.widths).toEqual([2, 3]);
    const compute = fakeCompute(5);
    const more = await getOrComputeFeatures(request({ taps: ['a', 'c'], compute }));
    expect(compute).toHaveBeenCalledWith(['c']);
    expect(more).toMatchObject({ hit: false, computed: ['c'], widths: [3, 4] });
  });

  it.each([
    ['truncated', async (p: string) => truncate(p, (await readFile(p)).length - 7)],
    ['payload byte flipped', async (p: string) => flip(p, -5)],
    ['header byte flipped', async (p: string) => flip(p, 20)],
    ['emptied', async (p: string) => writeFile(p, '')],
  ])('detects a %s entry, reports it, and recomputes', async (_, damage) => {
    await getOrComputeFeatures(request({ taps: ['a'] }));
    const path = await onlyEntry();
    const good = await readFile(path);
    await damage(path);
    const compute = fakeCompute(5);
    const again = await getOrComputeFeatures(request({ taps: ['a'], compute }));
    expect(compute).toHaveBeenCalledTimes(1);
    expect(again.hit).toBe(false);
    expect(again.corrupt).toEqual([{ path, reason: expect.any(String) }]);
    // rewritten whole: the next call hits again
    expect((await readFile(path)).length).toBe(good.length);
    expect((await getOrComputeFeatures(request({ taps: ['a'], compute: fakeCompute(5) }))).hit).toBe(true);
  });

  it('misses when the view, the images, the preprocessing or the weights change', async () => {
    await getOrComputeFeatures(request());
    const variants: Partial<FeatureRequest>[] = [
      { view: 'flip' },
      { images: images(5, 1) },
      { preprocess: 'raw' },
      { weightsHash: 'w2' },
      { backbone: 'expression' },
    ];
    for (const v of variants) {
      const compute = fakeCompute(5);
      const r = await getOrComputeFeatures(request({ ...v, compute }));
      expect(r.hit, JSON.stringify(Object.keys(v))).toBe(false);
      expect(compute).toHaveBeenCalledTimes(1);
    }
  });

  it('keys: one changed pixel or source file changes the image hash; the label does not matter', async () => {
    const base = images(3);
    const changed = images(3);
    changed.images[2]![7]! ^= 1;
    expect(hashImages(changed)).not.toBe(hashImages(base));
    expect(hashImages({ ...base, sourceHashes: [null, 'x', null] })).not.toBe(hashImages(base));
    const parts = { backbone: 'f', weightsHash: 'w', tap: 't', preprocess: 'p', imagesHash: 'i', view: 'v' };
    expect(featureKey(parts)).toBe(featureKey({ ...parts }));
    expect(featureKey({ ...parts, tap: 'u' })).not.toBe(featureKey(parts));
    await getOrComputeFeatures(request());
    expect((await getOrComputeFeatures(request({ label: 'val', compute: fakeCompute(5) }))).hit).toBe(true);
  });
});

async function flip(path: string, at: number): Promise<void> {
  const b = await readFile(path);
  const i = at < 0 ? b.length + at : at;
  b[i] = b[i]! ^ 0xff;
  await writeFile(path, b);
}

describe('listCache / clearCache', () => {
  it('lists entries with backbone, tap, size and date; clears by filter, then all', async () => {
    await getOrComputeFeatures(request());
    await getOrComputeFeatures(request({ backbone: 'expression', taps: ['c'], compute: fakeCompute(5) }));
    await writeFile(join(root, 'faceres', 'junk.feat'), 'not a feature file');
    const rows = await listCache(root);
    expect(rows).toHaveLength(4);
    const good = rows.filter((r) => r.ok);
    expect(good.map((r) => `${r.backbone}/${r.tap}/${r.n}x${r.width}`).sort()).toEqual([
      'expression/c/5x4',
      'faceres/a/5x3',
      'faceres/b/5x2',
    ]);
    good.forEach((r) => {
      expect(r.bytes).toBeGreaterThan(r.n! * r.width! * 4);
      expect(Number.isNaN(Date.parse(r.createdAt!))).toBe(false);
      expect(r.label).toBe('train');
    });
    expect(rows.find((r) => !r.ok)?.problem).toMatch(/bad magic/);

    // the unreadable entry always goes; of the good ones only faceres/b matches
    expect(await clearCache(root, { backbone: 'faceres', tap: 'b' })).toMatchObject({ removed: 2 });
    expect((await listCache(root)).map((r) => r.tap).sort()).toEqual(['a', 'c']);
    expect(await clearCache(root)).toMatchObject({ removed: 2 });
    expect(await listCache(root)).toEqual([]);
    expect(await listCache(join(root, 'never-created'))).toEqual([]);
  });
});

describe('backboneFeatures (a grid point on a real backbone)', () => {
  const ir: BackboneIR = {
    name: 'expression',
    weights: null,
    taps: ['concat'],
    width: null,
    input: [64, 64, 1],
    preprocess: 'grey',
    frozen: true,
    finetune: 0,
  };
  const set: ImagesForKey = { height: 32, width: 32, channels: 1, images: images(3).images.map(() => new Uint8Array(1024).fill(90)) };

  it('extracts once; a second run of the same point hits the cache without loading the backbone', async () => {
    const first = lazyBackbone(ir, '.');
    const a = await backboneFeatures({ ir, baseDir: '.', images: set, view: 'orig', root, backbone: first });
    expect(first.loaded).toBe(true);
    expect(a.hit).toBe(false);
    expect(a.widths).toEqual(BACKBONES.expression.concat.map((t) => BACKBONES.expression.taps[t]!.width));
    first.dispose();

    const second = lazyBackbone(ir, '.');
    const get = vi.spyOn(second, 'get');
    const b = await backboneFeatures({ ir, baseDir: '.', images: set, view: 'orig', root, backbone: second });
    expect(b.hit).toBe(true);
    expect(get).not.toHaveBeenCalled();
    expect(second.loaded).toBe(false);
    expect(b.features).toEqual(a.features);
  });

  it('hashes weight files by content (memoised per path, mtime and size)', async () => {
    const src = resolveBackboneFile('expression', null, '.') as { path: string };
    const dir = await mkdtemp(join(tmpdir(), 'emoc-weights-'));
    await copyFile(src.path, join(dir, 'emotion.json'));
    await copyFile(src.path.replace(/\.json$/, '.bin'), join(dir, 'emotion.bin'));
    const h1 = await hashWeights(join(dir, 'emotion.json'));
    expect(await hashWeights(src.path)).toBe(h1); // same bytes elsewhere: same hash
    await flip(join(dir, 'emotion.bin'), 100);
    expect(await hashWeights(join(dir, 'emotion.json'))).not.toBe(h1);
    await rm(dir, { recursive: true, force: true });
  });
});
