// The decoded-data cache (issue 14): a second load reads the decoded images back; a changed, added or
// removed image invalidates the entry (content, never dates); a corrupt entry is detected and rebuilt;
// `emoc cache ls` shows data entries and `emoc cache clear` removes them.

import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataIR } from '../compiler/ir.ts';
import { KEEP_PER_SOURCE, listDecoded } from '../runtime/cache/decoded.ts';
import { listAllCache } from '../runtime/cache/listing.ts';
import { loadData } from '../runtime/data/load.ts';
import type { LoadedData } from '../runtime/data/types.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const sample = resolve(repo, '../shared/data/fer2013-sample');
const CLASSES = ['angry', 'happy', 'sad'];
let dir: string;
let cache: string;

function ir(path = 'faces'): DataIR {
  return { source: { kind: 'folder', path }, classes: CLASSES, input: [48, 48, 1], valSplit: 0.25, preprocess: 'fixed', test: null };
}
const load = (path = 'faces', cacheDir: string | undefined = cache) => loadData(ir(path), { baseDir: dir, seed: 1, cacheDir });
const hit = (d: LoadedData) => d.notes.some((n) => n.includes('read from the data cache'));
const written = (d: LoadedData) => d.notes.some((n) => n.startsWith('decoded ') && n.includes('kept them in the data cache'));
const pixels = (d: LoadedData) => [...d.train.images, ...d.val.images].map((i) => Buffer.from(i).toString('base64'));
const withoutCacheNotes = (d: LoadedData) => d.notes.filter((n) => !n.includes('data cache'));

beforeEach(() => {
  // A temp copy of a few sample images: 4 training and 2 validation images per class.
  dir = mkdtempSync(join(tmpdir(), 'emoc-datacache-'));
  cache = join(dir, 'cache');
  for (const [split, n] of [
    ['train', 4],
    ['val', 2],
  ] as const) {
    for (const c of CLASSES) {
      mkdirSync(join(dir, 'faces', split, c), { recursive: true });
      for (const f of readdirSync(join(sample, split, c))
        .sort()
        .slice(0, n))
        copyFileSync(join(sample, split, c, f), join(dir, 'faces', split, c, f));
    }
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The first file of a class folder, and another sample image to put in its place. */
function firstImage(split: string, c: string): string {
  return join(dir, 'faces', split, c, readdirSync(join(dir, 'faces', split, c)).sort()[0]);
}
const otherSampleImage = () => join(sample, 'train/fear', readdirSync(join(sample, 'train/fear')).sort()[0]);

describe('the decoded-data cache', () => {
  it('writes an entry on the first load and reads the same images back on the second', async () => {
    const first = await load();
    expect(written(first)).toBe(true);
    expect(await listDecoded(cache)).toHaveLength(1);
    const second = await load();
    expect(hit(second)).toBe(true);
    expect(pixels(second)).toEqual(pixels(first));
    expect(second.train.labels).toEqual(first.train.labels);
    expect(second.val.origins).toEqual(first.val.origins);
    expect(withoutCacheNotes(second)).toEqual(withoutCacheNotes(first));
    // The same images as a load that never touches the cache.
    expect(pixels(second)).toEqual(pixels(await load('faces', undefined)));
  });

  it('is keyed by content, not dates or names: a touched file still hits, and so does the folder under another path', async () => {
    await load();
    const file = firstImage('train', 'happy');
    utimesSync(file, new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(hit(await load())).toBe(true);
    const again = await loadData(ir('./faces/../faces'), { baseDir: dir, seed: 1, cacheDir: cache });
    expect(hit(again)).toBe(true);
  });

  it('is invalidated by a changed image', async () => {
    const before = await load();
    // One byte of the compressed data, so the file keeps its length (a key of lengths or dates would miss it).
    const file = firstImage('train', 'happy');
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length * 0.6)] ^= 0x10;
    writeFileSync(file, bytes);
    const after = await load();
    expect(hit(after)).toBe(false);
    expect(written(after)).toBe(true);
    const fresh = await load('faces', undefined);
    expect([pixels(after), after.skipped]).not.toEqual([pixels(before), before.skipped]);
    expect([pixels(after), after.skipped]).toEqual([pixels(fresh), fresh.skipped]);
    expect(hit(await load())).toBe(true);
  });

  it('keeps a few entries per folder: a quick trial and the full run both hit; older edits are pruned', async () => {
    await load();
    const quick = () => loadData(ir(), { baseDir: dir, seed: 1, cacheDir: cache, limitPerClass: 1 });
    expect(written(await quick())).toBe(true);
    expect(hit(await load())).toBe(true);
    expect(hit(await quick())).toBe(true);
    const file = firstImage('val', 'sad');
    for (let edit = 0; edit < KEEP_PER_SOURCE + 1; edit++) {
      copyFileSync(join(sample, 'val/sad', readdirSync(join(sample, 'val/sad')).sort()[10 + edit]), file);
      expect(written(await load())).toBe(true);
    }
    expect(await listDecoded(cache)).toHaveLength(KEEP_PER_SOURCE);
    expect(hit(await load())).toBe(true);
  });

  it('is invalidated by an added image and by a removed image', async () => {
    const before = await load();
    copyFileSync(otherSampleImage(), join(dir, 'faces/train/sad/zz-added.jpg'));
    const added = await load();
    expect(hit(added)).toBe(false);
    expect(added.train.images.length + added.val.images.length).toBe(before.train.images.length + before.val.images.length + 1);
    rmSync(firstImage('val', 'angry'));
    const removed = await load();
    expect(hit(removed)).toBe(false);
    expect(removed.val.images.length).toBe(before.val.images.length - 1);
    expect(pixels(removed)).toEqual(pixels(await load('faces', undefined)));
  });

  it('detects a corrupted entry (a flipped byte, a cut-off file), says so, and rebuilds it', async () => {
    const first = await load();
    const [entry] = await listDecoded(cache);
    const bytes = readFileSync(entry.path);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(entry.path, bytes);
    const flipped = await load();
    expect(hit(flipped)).toBe(false);
    expect(flipped.notes.some((n) => n.includes('is corrupt (payload checksum mismatch): decoded the images again'))).toBe(true);
    expect(pixels(flipped)).toEqual(pixels(first));
    expect(hit(await load())).toBe(true);

    truncateSync(entry.path, 100);
    const cut = await load();
    expect(cut.notes.some((n) => n.includes('is corrupt'))).toBe(true);
    expect(pixels(cut)).toEqual(pixels(first));
    expect(hit(await load())).toBe(true);
  });

  it('a cache folder that cannot be used costs only time: the load goes on with a note', async () => {
    const notAFolder = join(dir, 'plain-file');
    writeFileSync(notAFolder, 'x');
    const d = await load('faces', notAFolder);
    expect(d.notes.filter((n) => n.includes('data cache'))).toEqual([
      expect.stringMatching(/^could not read the data cache \(ENOTDIR/),
      expect.stringMatching(/^could not write the data cache \(.*: the next run decodes again$/),
    ]);
    expect(pixels(d)).toEqual(pixels(await load('faces', undefined)));
  });

  it('keeps unreadable images as skipped on a hit, with the same reasons', async () => {
    writeFileSync(join(dir, 'faces/train/happy/broken.jpg'), Buffer.from('not a jpeg at all'));
    const first = await load();
    expect(first.skipped).toHaveLength(1);
    const second = await load();
    expect(hit(second)).toBe(true);
    expect(second.skipped).toEqual(first.skipped);
  });
});

describe('emoc cache ls / clear with data entries', () => {
  const emoc = (...args: string[]) => spawnSync(process.execPath, [join(repo, 'bin/emoc.js'), ...args], { encoding: 'utf8', cwd: dir });

  it('lists data entries with their size and source, and clears them', async () => {
    await load();
    const rows = await listAllCache(cache);
    expect(rows.map((r) => r.kind)).toEqual(['data']);
    const ls = emoc('cache', 'ls', '--dir', cache);
    expect(ls.status).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`^data +\\d+ KiB  18 images 48x48x1 from ${join(dir, 'faces').replace(/[/.]/g, '\\$&')}  `, 'm'));
    const bad = emoc('cache', 'clear', '--dir', cache, '--kind', 'everything');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--kind must be data or features/);
    const clear = emoc('cache', 'clear', '--dir', cache, '--kind', 'data');
    expect(clear.stdout).toMatch(/^removed 1 entries/);
    expect(await listAllCache(cache)).toEqual([]);
    expect(existsSync(cache)).toBe(true);
  });
});
