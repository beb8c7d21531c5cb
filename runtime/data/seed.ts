// Derived seeds: one PRNG stream per (seed, purpose, epoch, image, ...) tuple.
//
// Deriving a fresh stream from the tuple (instead of drawing from one long-lived generator) makes every
// random choice independent of the order things are computed in, so epoch e's shuffle and crops are the
// same whether training ran epochs 1..e-1 first or resumed at e.

/** Mixes integers into one well-scrambled uint32 (murmur3-style finaliser per part). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9747b28c;
  for (const part of parts) {
    let k = Math.imul(part | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Purposes, so streams for different jobs never coincide. */
export const SEED_PURPOSE = { holdout: 1, shuffle: 2, crop: 3, augment: 4 } as const;
