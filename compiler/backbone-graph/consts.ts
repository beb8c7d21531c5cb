// The values of a graph model's small integer constants (Mean's reduction axes, Reshape's target shape, Pad's
// paddings, ConcatV2's axis), read straight from the weight shards with node:fs: tfjs-converter keeps every
// constant in the .bin files, so model.json alone gives their shapes but not their values. Plain bytes, no
// TensorFlow; only int32 constants of at most MAX_ELEMENTS values are read (the float weights are never needed).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GraphModelError } from './parse.ts';

const MAX_ELEMENTS = 64;

/** Bytes per stored element, by the manifest's dtype or, when quantised, the quantisation dtype. */
const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype?: string };
}

/**
 * name -> values of each small int32 constant in the model at `modelJsonPath` (shards resolved next to it).
 * Throws GraphModelError when model.json or a shard cannot be read, or a shard is shorter than the manifest says.
 */
export function readGraphConsts(modelJsonPath: string, modelJson: string): Map<string, number[]> {
  let manifest: unknown;
  try {
    manifest = (JSON.parse(modelJson) as { weightsManifest?: unknown }).weightsManifest;
  } catch (e) {
    throw new GraphModelError(`model.json is not valid JSON (${(e as Error).message})`);
  }
  const out = new Map<string, number[]>();
  if (!Array.isArray(manifest)) return out;
  for (const group of manifest as Array<{ paths?: unknown; weights?: unknown }>) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group.weights)) continue;
    const shards = (group.paths as string[]).map((p) => join(dirname(modelJsonPath), p));
    let offset = 0;
    for (const w of group.weights as ManifestWeight[]) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      const stored = w.quantization?.dtype ?? w.dtype;
      const bytes = BYTES[stored];
      // A string weight's size is in its bytes, not its shape: nothing after it in this group can be located.
      if (bytes === undefined) break;
      if (w.dtype === 'int32' && !w.quantization && count <= MAX_ELEMENTS) {
        const buf = readRange(shards, offset, count * 4);
        const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        out.set(
          w.name,
          Array.from({ length: count }, (_, k) => view.getInt32(k * 4, true)),
        );
      }
      offset += count * bytes;
    }
  }
  return out;
}

/** `length` bytes at `offset` of the shards taken as one file. */
function readRange(shards: string[], offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let filled = 0;
  let skip = offset;
  for (const path of shards) {
    if (filled === length) break;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new GraphModelError(`cannot read weight shard ${path} (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
    try {
      const size = fstatSync(fd).size;
      if (skip >= size) {
        skip -= size;
        continue;
      }
      const n = Math.min(size - skip, length - filled);
      readSync(fd, out, filled, n, skip);
      filled += n;
      skip = 0;
    } finally {
      closeSync(fd);
    }
  }
  if (filled < length) throw new GraphModelError(`weight shards of ${shards[0] ?? 'the model'} are shorter than its manifest says`);
  return out;
}
