// builtin:faces — a procedurally drawn face-expression dataset, so emoc trains with nothing to download.
//
// Every image is drawn from seeded random parameters: a person (identity), an expression (action units
// at some intensity), a pose, lighting, background, occlusion and camera noise. The same options and
// seed give byte-identical images on every machine. Each person appears in several images, and train
// and validation hold different people, as a fair split of real data would.
//
// The drawing lives in ./builtin/: raster.ts (anti-aliased SDF filling), identity.ts (people),
// expression.ts (emotions as action units), face.ts (drawing a person), scene.ts (background,
// occlusion, camera).

import { EMOTIONS } from '../../compiler/ir.ts';
import { Rng } from '../rng.ts';
import { type Emotion, sampleExpression } from './builtin/expression.ts';
import { drawPerson, type Look } from './builtin/face.ts';
import { type Identity, sampleIdentity } from './builtin/identity.ts';
import { Canvas, Frame } from './builtin/raster.ts';
import { develop, drawBackground, drawOcclusion, NoiseTable, sampleCamera } from './builtin/scene.ts';
import { DataError, type ImageSet } from './types.ts';

export interface BuiltinFacesOptions {
  /** Total images (train + val). */
  images: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** The experiment's classes: a subset or reordering of the 7 emotions; labels index into it. */
  classes: string[];
  /** Fraction of identities (and so, about, of images) held out for validation, in [0, 1). */
  valSplit: number;
  seed?: number;
}

const DEFAULT_SEED = 20240607;
/** Images per identity is the smallest multiple of the class count that is at least this. */
const MIN_IMAGES_PER_IDENTITY = 4;

/** Independent random streams per purpose and index, so image i does not depend on images before it. */
const STREAM = { identity: 1, image: 2, split: 3, noise: 4 } as const;

function streamSeed(seed: number, stream: number, index: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x27d4eb2f, 0x165667b1);
  h = Math.imul(h ^ (h >>> 15) ^ Math.imul(stream, 0x85ebca6b), 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(index + 1, 0x9e3779b1), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

export function generateBuiltinFaces(opts: BuiltinFacesOptions): { train: ImageSet; val: ImageSet } {
  const emotions = checkOptions(opts);
  const seed = opts.seed ?? DEFAULT_SEED;
  const { height, width, channels } = opts;
  const nClasses = emotions.length;
  const perIdentity = nClasses * Math.ceil(MIN_IMAGES_PER_IDENTITY / nClasses);
  const nIdentities = Math.ceil(opts.images / perIdentity);
  const valIds = pickValIdentities(nIdentities, opts.valSplit, new Rng(streamSeed(seed, STREAM.split, 0)));

  const train = emptySet(height, width, channels);
  const val = emptySet(height, width, channels);
  const canvas = new Canvas(width, height);
  const noise = new NoiseTable(new Rng(streamSeed(seed, STREAM.noise, 0)));
  let identity: Identity | null = null;
  for (let i = 0; i < opts.images; i++) {
    // Labels go round-robin, so class counts differ by at most one (the first classes get the
    // remainder) and every identity shows every class equally often.
    const label = i % nClasses;
    const id = Math.floor(i / perIdentity);
    if (i % perIdentity === 0) identity = sampleIdentity(new Rng(streamSeed(seed, STREAM.identity, id)));
    const rng = new Rng(streamSeed(seed, STREAM.image, i));
    const image = renderImage(canvas, rng, identity!, emotions[label], noise, channels);
    const set = valIds.has(id) ? val : train;
    set.images.push(image);
    set.labels.push(label);
    set.origins.push(`builtin:faces#${i}`);
  }
  return { train, val };
}

/** Validates options; returns the class list as emotions, in the given order. */
function checkOptions(opts: BuiltinFacesOptions): Emotion[] {
  const where = 'builtin:faces';
  const positiveInt = (x: number) => Number.isInteger(x) && x > 0;
  if (!Number.isInteger(opts.images) || opts.images < 0) {
    throw new DataError(
      `builtin:faces needs a whole number of images, got ${opts.images}`,
      where,
      'write e.g. builtin:faces(images: 2000)',
    );
  }
  if (!positiveInt(opts.height) || !positiveInt(opts.width) || opts.height < 8 || opts.width < 8) {
    throw new DataError(`builtin:faces cannot draw ${opts.height}x${opts.width} images`, where, 'use an input size of at least 8x8');
  }
  if (opts.channels !== 1 && opts.channels !== 3) {
    throw new DataError(`builtin:faces draws 1 or 3 channels, not ${opts.channels}`, where, 'use channels 1 (grey) or 3 (RGB)');
  }
  if (!(opts.valSplit >= 0 && opts.valSplit < 1)) {
    throw new DataError(`validation split ${opts.valSplit} is not in [0, 1)`, where, 'use e.g. valSplit 0.2');
  }
  if (opts.classes.length === 0) {
    throw new DataError('builtin:faces needs at least one class', where, `use some of: ${EMOTIONS.join(', ')}`);
  }
  const seen = new Set<string>();
  return opts.classes.map((name) => {
    const e = name.toLowerCase();
    if (!(EMOTIONS as readonly string[]).includes(e)) {
      throw new DataError(`builtin:faces has no class '${name}'`, where, `its classes are: ${EMOTIONS.join(', ')}`);
    }
    if (seen.has(e)) throw new DataError(`class '${name}' is listed twice`, where, 'list each class once');
    seen.add(e);
    return e as Emotion;
  });
}

/**
 * Chooses which identities go to validation: round(n * valSplit) of them at random, but at least one
 * when valSplit > 0 and at least one left for training when there are two or more.
 */
function pickValIdentities(n: number, valSplit: number, rng: Rng): Set<number> {
  let nVal = Math.round(n * valSplit);
  if (valSplit > 0 && n >= 2) nVal = Math.min(n - 1, Math.max(1, nVal));
  const ids = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  return new Set(ids.slice(0, nVal));
}

function emptySet(height: number, width: number, channels: number): ImageSet {
  return { height, width, channels, images: [], labels: [], origins: [] };
}

/** Draws one image: background, the person in a random pose and light, an occlusion, the camera. */
function renderImage(canvas: Canvas, rng: Rng, identity: Identity, emotion: Emotion, noise: NoiseTable, channels: 1 | 3): Uint8Array {
  const { width: w, height: h } = canvas;
  const size = Math.min(w, h);
  drawBackground(canvas, rng);
  // Face crops, as in FER-style datasets: roughly aligned, with some residual rotation, shift and scale.
  const angle = Math.max(-0.25, Math.min(0.25, rng.normal() * 0.07));
  const scale = (size / 2.25) * rng.range(0.92, 1.08);
  const cx = w * (0.5 + rng.range(-0.035, 0.035));
  const cy = h * (0.47 + rng.range(-0.035, 0.035));
  const blur = rng.next();
  const soft = 1 + blur * blur * blur * (size / 60); // mostly sharp, sometimes out of focus
  const head = new Frame(cx, cy, scale, angle, soft);
  const au = sampleExpression(rng, emotion);
  drawPerson(canvas, head, identity, au, sampleLook(rng));
  drawOcclusion(canvas, head, rng, identity);
  return develop(canvas, sampleCamera(rng), noise, rng, channels);
}

function sampleLook(rng: Rng): Look {
  const lx = rng.range(-0.8, 0.8);
  const ly = rng.range(-0.6, 0.3);
  const lz = Math.sqrt(Math.max(0.1, 1 - lx * lx - ly * ly));
  return {
    yaw: rng.range(-0.8, 0.8),
    gazeU: rng.range(-1, 1),
    gazeV: rng.range(-1, 1),
    light: [lx, ly, lz],
    ambient: rng.range(0.5, 0.85),
  };
}
