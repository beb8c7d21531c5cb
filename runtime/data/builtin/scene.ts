// Everything around the face that real photos vary: background and clutter, things in front of the
// face (glasses, a hand, a bar), and the camera: light gradient, colour cast, contrast, sensor noise.

import type { Rng } from '../../rng.ts';
import type { Identity } from './identity.ts';
import { type Canvas, ellipse, Frame, mixRgb, outline, rect, type Rgb, stroke } from './raster.ts';

function randomColor(rng: Rng, lo = 20, hi = 235): Rgb {
  return [rng.range(lo, hi), rng.range(lo, hi), rng.range(lo, hi)];
}

/** A two-colour linear gradient in a random direction, then a few random shapes (walls, frames, objects). */
export function drawBackground(c: Canvas, rng: Rng): void {
  const a = randomColor(rng);
  const b = mixRgb(a, randomColor(rng), rng.range(0.2, 0.8));
  fillGradient(c, a, b, rng.range(0, 2 * Math.PI));
  const f = Frame.pixels(rng.range(1, 2.5));
  const size = Math.min(c.width, c.height);
  const clutter = rng.int(5);
  for (let k = 0; k < clutter; k++) {
    const u = rng.range(0, c.width);
    const v = rng.range(0, c.height);
    const r = size * rng.range(0.05, 0.3);
    const color = mixRgb(a, randomColor(rng), rng.range(0.3, 0.8));
    const kind = rng.int(3);
    if (kind === 0) f.fill(c, rect(u, v, r, r * rng.range(0.2, 1.5), rng.range(-0.3, 0.3)), color);
    else if (kind === 1) f.fill(c, ellipse(u, v, r, r * rng.range(0.5, 1.2)), color);
    else f.fill(c, stroke([u, v, u + rng.range(-2, 2) * r, v + rng.range(-2, 2) * r], size * rng.range(0.01, 0.04)), color);
  }
}

/**
 * Colour a at one side of the image to b at the other, along direction `angle`.
 * (Hot loops live in small functions of their own: V8 optimises them whole, not by on-stack replacement.)
 */
function fillGradient(c: Canvas, a: Rgb, b: Rgb, angle: number): void {
  const { width, height, px } = c;
  const gx = Math.cos(angle) / width;
  const gy = Math.sin(angle) / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = 0.5 + (x - width / 2) * gx + (y - height / 2) * gy;
      const i = (y * width + x) * 3;
      px[i] = a[0] + (b[0] - a[0]) * t;
      px[i + 1] = a[1] + (b[1] - a[1]) * t;
      px[i + 2] = a[2] + (b[2] - a[2]) * t;
    }
  }
}

/**
 * Occlusions, drawn over the face in the head frame (glasses, hand) or the image (a bar): about one
 * image in four has one. Sunglasses hide the eyes entirely; a hand may hide the mouth.
 */
export function drawOcclusion(c: Canvas, head: Frame, rng: Rng, id: Identity): void {
  const roll = rng.next();
  if (roll < 0.1) {
    // Clear glasses: two frames and a bridge.
    const color = randomColor(rng, 10, 120);
    const w = id.eyeW * rng.range(1.25, 1.5);
    const h = id.eyeW * rng.range(0.8, 1.1);
    for (const s of [-1, 1]) head.fill(c, outline(ellipse(s * id.eyeSpacing, id.eyeY, w, h), 0.012), color);
    head.fill(c, stroke([-id.eyeSpacing + w, id.eyeY - 0.02, id.eyeSpacing - w, id.eyeY - 0.02], 0.012), color);
  } else if (roll < 0.13) {
    // Sunglasses.
    const w = id.eyeW * 1.45;
    for (const s of [-1, 1]) head.fill(c, ellipse(s * id.eyeSpacing, id.eyeY + 0.01, w, id.eyeW * 1.0), [20, 20, 24], 0.92);
    head.fill(c, stroke([-id.eyeSpacing + w, id.eyeY - 0.02, id.eyeSpacing - w, id.eyeY - 0.02], 0.015), [20, 20, 24]);
  } else if (roll < 0.19) {
    // A hand on the cheek, chin or mouth: a palm and four fingers, in the person's skin tone.
    const s = rng.next() < 0.5 ? -1 : 1;
    const cu = s * rng.range(0.2, 0.75);
    const cv = rng.range(0.35, 0.95);
    const angle = rng.range(-0.6, 0.6) + (s > 0 ? 0.3 : -0.3);
    const skin = mixRgb(id.skin, [200, 150, 120], 0.2);
    head.fill(c, ellipse(cu, cv + 0.25, 0.26, 0.3, angle), skin);
    for (let k = 0; k < 4; k++) {
      const fu = cu + (k - 1.5) * 0.1;
      head.fill(c, rect(fu, cv - 0.1, 0.045, 0.2, angle), skin);
    }
  } else if (roll < 0.24) {
    // A bar across the image (a strap, a pole, a watermark stripe), anywhere.
    const f = Frame.pixels(1);
    const size = Math.min(c.width, c.height);
    const bar = rect(
      rng.range(0, c.width),
      rng.range(0, c.height),
      size * rng.range(0.3, 0.8),
      size * rng.range(0.03, 0.09),
      rng.range(0, Math.PI),
    );
    f.fill(c, bar, randomColor(rng), rng.range(0.7, 1));
  }
}

/** Camera response: light falloff across the image, colour cast, contrast, brightness. */
export interface Camera {
  gain: number;
  gradX: number;
  gradY: number;
  cast: [number, number, number];
  contrast: number;
  brightness: number;
  noise: number;
}

export function sampleCamera(rng: Rng): Camera {
  const grad = rng.range(0, 0.5);
  const angle = rng.range(0, 2 * Math.PI);
  return {
    gain: rng.range(0.75, 1.2),
    gradX: grad * Math.cos(angle),
    gradY: grad * Math.sin(angle),
    cast: [rng.range(0.88, 1.12), rng.range(0.92, 1.08), rng.range(0.88, 1.12)],
    contrast: rng.range(0.75, 1.3),
    brightness: rng.range(-25, 25),
    noise: rng.next() < 0.15 ? rng.range(6, 14) : rng.range(0, 6),
  };
}

/**
 * Standard-normal samples shared by all images of one generation: drawing a fresh normal per pixel
 * costs more than drawing the face, so each image reads this table from its own offset and stride.
 */
export class NoiseTable {
  static readonly SIZE = 65521; // prime, so any stride in 1..SIZE-1 visits every entry
  readonly values: Float32Array;
  constructor(rng: Rng) {
    this.values = new Float32Array(NoiseTable.SIZE);
    for (let i = 0; i < NoiseTable.SIZE; i++) this.values[i] = rng.normal();
  }
}

/**
 * Applies the camera to the float canvas and writes the uint8 HWC image (grey = luma when channels = 1).
 * Writing through a Uint8ClampedArray clamps and rounds (half to even) natively, as the spec defines.
 */
export function develop(c: Canvas, cam: Camera, noise: NoiseTable, rng: Rng, channels: 1 | 3): Uint8Array {
  const out = new Uint8ClampedArray(c.width * c.height * channels);
  const start = rng.int(NoiseTable.SIZE);
  const stride = 1 + rng.int(NoiseTable.SIZE - 1);
  // out = (value * light - 128) * contrast + 128 + brightness + noise, with the constants folded.
  const offset = 128 - 128 * cam.contrast + cam.brightness;
  const w: Rgb = channels === 1 ? [0.299 * cam.cast[0], 0.587 * cam.cast[1], 0.114 * cam.cast[2]] : cam.cast;
  developPixels(c, out, channels, cam.gain * cam.contrast, cam.gradX, cam.gradY, w, offset, cam.noise, noise.values, start, stride);
  return new Uint8Array(out.buffer);
}

function developPixels(
  c: Canvas,
  out: Uint8ClampedArray,
  channels: 1 | 3,
  gain: number,
  gradX: number,
  gradY: number,
  [wr, wg, wb]: Rgb,
  offset: number,
  sigma: number,
  table: Float32Array,
  start: number,
  stride: number,
): void {
  const { width, height, px } = c;
  const size = table.length;
  let k = start;
  for (let y = 0; y < height; y++) {
    const rowLight = 1 + gradY * ((y / height - 0.5) * 2);
    for (let x = 0; x < width; x++) {
      const g = gain * (rowLight + gradX * ((x / width - 0.5) * 2));
      const p = y * width + x;
      const i = p * 3;
      if (channels === 1) {
        out[p] = (wr * px[i] + wg * px[i + 1] + wb * px[i + 2]) * g + offset + sigma * table[k];
        k = k + stride < size ? k + stride : k + stride - size;
      } else {
        out[i] = px[i] * wr * g + offset + sigma * table[k];
        k = k + stride < size ? k + stride : k + stride - size;
        out[i + 1] = px[i + 1] * wg * g + offset + sigma * table[k];
        k = k + stride < size ? k + stride : k + stride - size;
        out[i + 2] = px[i + 2] * wb * g + offset + sigma * table[k];
        k = k + stride < size ? k + stride : k + stride - size;
      }
    }
  }
}
