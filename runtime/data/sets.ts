// Small ImageSet helpers: empty sets, subsets, per-class counts, and the stratified validation hold-out.

import { Rng } from '../rng.ts';
import { mixSeed, SEED_PURPOSE } from './seed.ts';
import type { ImageSet } from './types.ts';

export function emptySet(height: number, width: number, channels: number): ImageSet {
  return { height, width, channels, images: [], labels: [], origins: [] };
}

/** The images at `indices`, in that order (pixel buffers are shared, not copied). */
export function subset(set: ImageSet, indices: readonly number[]): ImageSet {
  return {
    height: set.height,
    width: set.width,
    channels: set.channels,
    images: indices.map((i) => set.images[i]),
    labels: indices.map((i) => set.labels[i]),
    origins: indices.map((i) => set.origins[i]),
  };
}

/** Images per class, in class order. */
export function countPerClass(set: ImageSet, classCount: number): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (const l of set.labels) counts[l]++;
  return counts;
}

/**
 * Holds out `fraction` of each class for validation (stratified, so rare classes such as disgust keep
 * their share in both splits). Which images go is decided by (seed, class) alone; both splits keep the
 * source's order. A class of n >= 2 images gives at least 1 and keeps at least 1; a single image stays
 * in training.
 */
export function holdOut(set: ImageSet, fraction: number, seed: number, classCount: number): { train: ImageSet; val: ImageSet } {
  const byClass: number[][] = Array.from({ length: classCount }, () => []);
  set.labels.forEach((l, i) => byClass[l].push(i));
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  byClass.forEach((indices, label) => {
    const n = indices.length;
    let k = Math.round(n * fraction);
    if (fraction > 0 && n >= 2) k = Math.min(Math.max(k, 1), n - 1);
    if (n < 2) k = 0;
    const picked = new Rng(mixSeed(seed, SEED_PURPOSE.holdout, label)).shuffle([...indices]).slice(0, k);
    const inVal = new Set(picked);
    for (const i of indices) (inVal.has(i) ? valIdx : trainIdx).push(i);
  });
  const byOrder = (a: number, b: number) => a - b;
  return { train: subset(set, trainIdx.sort(byOrder)), val: subset(set, valIdx.sort(byOrder)) };
}
