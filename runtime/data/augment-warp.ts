// One augmented training view's pixels, uint8 HWC in, uint8 HWC out, in two passes at most:
//
//   1. geometry: the view's crop window and mirror (augment.ts) and the drawn rotation, zoom and shift
//      (augment-random.ts) are composed into ONE affine map, output pixel -> source position, and the
//      view is resampled once (bilinear). Outside the source image the border is *replicated* (the
//      nearest edge pixel), so a rotated or shifted face is not framed by black wedges that the network
//      could learn as a cue.
//   2. pixels: brightness and contrast, in the order written, folded into one 256-entry table (the
//      contrast mean is the resampled view's mean), then the erased rectangle is set to 0 (black).
//
// Working on uint8 keeps the result the same whatever the preprocess mode (the batch builder normalises
// it afterwards, exactly as for an unaugmented view) and lets `emoc preview` show the same bytes.

import type { View } from './augment.ts';
import type { ViewAug } from './augment-random.ts';

/**
 * The inverse affine map of a view: source position (continuous, pixel i covers [i, i+1)) of the centre
 * of output pixel (ox, oy) is (a*X + b*Y + c, d*X + e*Y + f) with X = ox + 0.5, Y = oy + 0.5.
 */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

/**
 * Forward, the content is mirrored (if the view is), rotated by `angle` and scaled by `scale` about the
 * window's centre, then moved by (tx, ty): out = co + t + s R(angle) M (src - cs), where cs is the crop
 * window's centre in the source and co the output's centre. This returns the inverse of that map.
 */
function viewAffine(view: View, h: number, w: number, aug: ViewAug): Affine {
  const cos = Math.cos(aug.angle) / aug.scale;
  const sin = Math.sin(aug.angle) / aug.scale;
  const m = view.mirror ? -1 : 1;
  // (ux, uy) = out - co - t; src - cs = M R(-angle) u / s, R(-angle) = [[cos, sin], [-sin, cos]].
  const a = m * cos;
  const b = m * sin;
  const d = -sin;
  const e = cos;
  const ox = w / 2 + aug.tx;
  const oy = h / 2 + aug.ty;
  return { a, b, c: view.x + w / 2 - a * ox - b * oy, d, e, f: view.y + h / 2 - d * ox - e * oy };
}

/**
 * Renders one view into `out` (h*w*C bytes): the affine resampling, then the pixel steps and the erase.
 * `src` is an H x W x C image.
 */
export function renderView(
  src: Uint8Array,
  H: number,
  W: number,
  C: number,
  view: View,
  h: number,
  w: number,
  aug: ViewAug,
  out: Uint8Array,
): void {
  resample(src, H, W, C, viewAffine(view, h, w, aug), h, w, out);
  if (aug.pixels.length > 0) adjustPixels(out, aug);
  if (aug.erase) {
    const r = aug.erase;
    for (let y = r.y; y < r.y + r.h; y++) out.fill(0, (y * w + r.x) * C, (y * w + r.x + r.w) * C);
  }
}

/** Bilinear resampling of `src` through the inverse map `m`, border replicated, rounded to bytes. */
function resample(src: Uint8Array, H: number, W: number, C: number, m: Affine, h: number, w: number, out: Uint8Array): void {
  const maxX = W - 1;
  const maxY = H - 1;
  let o = 0;
  for (let oy = 0; oy < h; oy++) {
    const Y = oy + 0.5;
    // Source position of the row's first pixel centre, and its step per output pixel (the map is linear
    // along a row), both shifted by -0.5 so that integer positions are pixel centres.
    let sx = m.a * 0.5 + m.b * Y + m.c - 0.5;
    let sy = m.d * 0.5 + m.e * Y + m.f - 0.5;
    for (let ox = 0; ox < w; ox++, sx += m.a, sy += m.d) {
      // The 1e-9 nudge before flooring makes a position a rounding error below a pixel centre (a rotation by
      // 90 degrees, a whole-pixel shift) land on that pixel with weight 1 instead of blending a neighbour.
      const x0f = Math.floor(sx + 1e-9);
      const y0f = Math.floor(sy + 1e-9);
      const fx = sx > x0f ? sx - x0f : 0;
      const fy = sy > y0f ? sy - y0f : 0;
      let p00: number, p01: number, p10: number, p11: number;
      if (x0f >= 0 && y0f >= 0 && x0f < maxX && y0f < maxY) {
        // Inside: the four neighbours without clamping (the common case).
        p00 = (y0f * W + x0f) * C;
        p01 = p00 + C;
        p10 = p00 + W * C;
        p11 = p10 + C;
      } else {
        const x0 = x0f < 0 ? 0 : x0f > maxX ? maxX : x0f;
        const x1 = x0f + 1 < 0 ? 0 : x0f + 1 > maxX ? maxX : x0f + 1;
        const y0 = y0f < 0 ? 0 : y0f > maxY ? maxY : y0f;
        const y1 = y0f + 1 < 0 ? 0 : y0f + 1 > maxY ? maxY : y0f + 1;
        p00 = (y0 * W + x0) * C;
        p01 = (y0 * W + x1) * C;
        p10 = (y1 * W + x0) * C;
        p11 = (y1 * W + x1) * C;
      }
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      for (let k = 0; k < C; k++) {
        const v = src[p00 + k] * w00 + src[p01 + k] * w01 + src[p10 + k] * w10 + src[p11 + k] * w11;
        // v is in [0, 255]: adding 0.5 and truncating rounds it.
        out[o++] = (v + 0.5) | 0;
      }
    }
  }
}

/** Brightness and contrast in order, as one table over byte values, clamped to 0..255. */
function adjustPixels(px: Uint8Array, aug: ViewAug): void {
  let sum = 0;
  for (let i = 0; i < px.length; i++) sum += px[i];
  let mean = sum / px.length;
  // v -> scale * v + shift, updated step by step (the mean follows the same map, ignoring clamping).
  let scale = 1;
  let shift = 0;
  for (const s of aug.pixels) {
    if (s.kind === 'brightness') {
      shift += s.add;
      mean += s.add;
    } else {
      // (v' - mean) * f + mean, with v' = scale * v + shift
      scale *= s.factor;
      shift = (shift - mean) * s.factor + mean;
    }
  }
  const table = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    const v = Math.round(scale * b + shift);
    table[b] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  for (let i = 0; i < px.length; i++) px[i] = table[px[i]];
}
