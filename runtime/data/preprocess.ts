// uint8 pixels -> the float32 values the network sees.
//
//   none    raw 0..255 as float
//   fixed   (x - 127.5) / 128, roughly [-1, 1), the same for every image
//   whiten  per image (per view): (x - mean) / max(std, 1/sqrt(N)), as tf.image.per_image_standardization,
//           so lighting and contrast differences between photos are removed
//
// The batch builder writes crops straight into a batch buffer and normalises them there
// (`preprocessInPlace`), so no per-view arrays are allocated.

import type { Preprocess } from '../../compiler/ir.ts';

/** Normalises `count` values of `buf` starting at `offset`, in place. The values must hold raw 0..255 pixels. */
export function preprocessInPlace(buf: Float32Array, offset: number, count: number, mode: Preprocess): void {
  const end = offset + count;
  switch (mode) {
    case 'none':
      return;
    case 'fixed':
      for (let i = offset; i < end; i++) buf[i] = (buf[i] - 127.5) / 128;
      return;
    case 'whiten': {
      // Two passes in float64: the one-pass E[x^2]-E[x]^2 form loses precision in float32.
      let sum = 0;
      for (let i = offset; i < end; i++) sum += buf[i];
      const mean = sum / count;
      let sq = 0;
      for (let i = offset; i < end; i++) sq += (buf[i] - mean) * (buf[i] - mean);
      // The floor keeps flat images (std 0) finite, exactly as per_image_standardization does.
      const scale = 1 / Math.max(Math.sqrt(sq / count), 1 / Math.sqrt(count));
      for (let i = offset; i < end; i++) buf[i] = (buf[i] - mean) * scale;
      return;
    }
    default: {
      const never: never = mode;
      // internal: exhaustive switch; the compiler only emits the preprocess names handled above
      throw new Error(`unknown preprocess '${String(never)}'`);
    }
  }
}

const tables = new Map<Preprocess, Float32Array>();

/** For modes that map each byte on its own ('none', 'fixed'): the 256 float values, exactly what
 * preprocessInPlace gives; null for 'whiten' (it depends on the whole view). */
export function pixelTable(mode: Preprocess): Float32Array | null {
  if (mode === 'whiten') return null;
  let t = tables.get(mode);
  if (!t) {
    t = Float32Array.from({ length: 256 }, (_, b) => b);
    preprocessInPlace(t, 0, 256, mode);
    tables.set(mode, t);
  }
  return t;
}

/** One image's pixels, normalised into a new Float32Array (for tests and single-image prediction). */
export function preprocess(pixels: Uint8Array, mode: Preprocess): Float32Array {
  const out = Float32Array.from(pixels);
  preprocessInPlace(out, 0, out.length, mode);
  return out;
}
