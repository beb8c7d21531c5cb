// Content hashes for the feature cache key: the backbone's weight files and the images.
// Hashing the weights reads ~7 MB for faceres, so the result is memoised per file path, mtime and
// size: a re-downloaded or edited model changes mtime/size and is hashed again.

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { readModelJson, weightShardPaths } from '../backbones/io.ts';

const memo = new Map<string, string>();

async function fileSignature(path: string): Promise<string> {
  const s = await stat(path);
  return `${path}\0${s.mtimeMs}\0${s.size}`;
}

/** sha256 over a model.json and every weight shard it lists, in manifest order. */
export async function hashWeights(modelJsonPath: string): Promise<string> {
  const json = await readModelJson(modelJsonPath);
  const files = [modelJsonPath, ...weightShardPaths(modelJsonPath, json)];
  const signature = (await Promise.all(files.map(fileSignature))).join('\n');
  const known = memo.get(signature);
  if (known) return known;
  const h = createHash('sha256');
  for (const f of files) {
    const bytes = await readFile(f);
    // Length-prefix each file so (a+b, c) and (a, b+c) cannot collide.
    h.update(`${bytes.length}:`).update(bytes);
  }
  const digest = h.digest('hex');
  memo.set(signature, digest);
  return digest;
}

export interface ImagesForKey {
  height: number;
  width: number;
  channels: number;
  images: Uint8Array[];
  /** Optional per-image source-file hashes (same order as images); null where unknown. */
  sourceHashes?: (string | null)[];
}

/**
 * sha256 over the shape, every image's pixels in order, and the source hashes when known.
 * Order matters: row i of a cached matrix belongs to image i.
 */
export function hashImages(set: ImagesForKey): string {
  const h = createHash('sha256');
  h.update(`${set.height}x${set.width}x${set.channels}:${set.images.length}\n`);
  set.images.forEach((img, i) => {
    h.update(`${img.length}:`).update(img);
    const src = set.sourceHashes?.[i];
    if (src) h.update(`src:${src}`);
    h.update('\n');
  });
  return h.digest('hex');
}
