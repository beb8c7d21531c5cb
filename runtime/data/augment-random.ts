// The random per-image augmentations (rotate, zoom, shift, brightness, contrast, erase): what one
// training view draws. Drawing is separate from the pixels (augment-warp.ts) so a test can give exact
// parameters and check the pixels by hand, and so the draw order is written down in one place.
//
// Every view draws from its own stream, seeded by (run seed, epoch, image, view) in batches.ts, so the
// draws do not depend on the order views are built, on the thread that builds them (prefetch worker or
// main thread) or on how many threads the backend uses.

import type { RandomAug, TrainAug } from '../../compiler/ir.ts';
import { isOneOf, RANDOM_AUGMENTS } from '../../compiler/vocabulary.ts';
import type { Rng } from '../rng.ts';

/** A rectangle of the network-sized view, in pixels. */
export interface Rect {
  y: number;
  x: number;
  h: number;
  w: number;
}

/** A photometric step, applied in the order the spec writes them. */
export type PixelStep = { kind: 'brightness'; add: number } | { kind: 'contrast'; factor: number };

/** One view's drawn augmentation. The identity is { angle 0, scale 1, tx 0, ty 0, pixels [], erase null }. */
export interface ViewAug {
  /** Rotation in radians, clockwise on screen (y points down). */
  angle: number;
  /** > 1 magnifies (zooms in), < 1 shrinks. */
  scale: number;
  /** Translation of the content in output pixels (positive: right, down). */
  tx: number;
  ty: number;
  /** Brightness adds in pixel units (0..255 range); contrast multiplies around the view's mean. */
  pixels: PixelStep[];
  /** The rectangle set to 0 (black), or null. */
  erase: Rect | null;
}

export const IDENTITY_AUG: ViewAug = { angle: 0, scale: 1, tx: 0, ty: 0, pixels: [], erase: null };

/** The random augmentations of a training list, in the order written. */
export function randomAugs(train: readonly TrainAug[]): RandomAug[] {
  return train.filter((a): a is RandomAug => isOneOf(RANDOM_AUGMENTS, a.kind));
}

/** The smallest erased area (fraction of the view), as in random erasing (Zhong et al. 2017: 0.02). */
const ERASE_MIN_AREA = 0.02;
/** Erased rectangles' aspect ratio h/w is log-uniform in [0.3, 1/0.3], as in random erasing. */
const ERASE_ASPECT = 0.3;

/**
 * Draws one view's augmentation for an h x w view, in the order of `augs`. Each strength is drawn
 * uniformly: rotate d -> angle in [-d, d] degrees; zoom f -> scale in [1-f, 1+f]; shift f -> tx in
 * [-f, f] * w and ty in [-f, f] * h; brightness f -> add [-f, f] * 255; contrast f -> factor in
 * [1-f, 1+f]; erase p -> with probability p a rectangle of area [0.02, size] of the view.
 */
export function drawViewAug(augs: readonly RandomAug[], h: number, w: number, rng: Rng): ViewAug {
  const out: ViewAug = { angle: 0, scale: 1, tx: 0, ty: 0, pixels: [], erase: null };
  for (const a of augs) {
    switch (a.kind) {
      case 'rotate':
        out.angle = (rng.range(-a.degrees, a.degrees) * Math.PI) / 180;
        break;
      case 'zoom':
        out.scale = rng.range(1 - a.fraction, 1 + a.fraction);
        break;
      case 'shift':
        out.tx = rng.range(-a.fraction, a.fraction) * w;
        out.ty = rng.range(-a.fraction, a.fraction) * h;
        break;
      case 'brightness':
        out.pixels.push({ kind: 'brightness', add: rng.range(-a.amount, a.amount) * 255 });
        break;
      case 'contrast':
        out.pixels.push({ kind: 'contrast', factor: rng.range(1 - a.amount, 1 + a.amount) });
        break;
      case 'erase':
        // Always draw the same number of values, erased or not: the stream stays aligned either way.
        out.erase = eraseRect(rng, h, w, a.size, rng.next() < a.p);
        break;
    }
  }
  return out;
}

function eraseRect(rng: Rng, h: number, w: number, maxArea: number, hit: boolean): Rect | null {
  const area = rng.range(Math.min(ERASE_MIN_AREA, maxArea), maxArea) * h * w;
  const aspect = Math.exp(rng.range(Math.log(ERASE_ASPECT), -Math.log(ERASE_ASPECT)));
  const u = rng.next();
  const v = rng.next();
  if (!hit) return null;
  const eh = Math.min(h, Math.max(1, Math.round(Math.sqrt(area * aspect))));
  const ew = Math.min(w, Math.max(1, Math.round(Math.sqrt(area / aspect))));
  return { y: Math.floor(u * (h - eh + 1)), x: Math.floor(v * (w - ew + 1)), h: eh, w: ew };
}
