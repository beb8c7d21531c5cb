// Save and load tfjs-layers models as files (model.json + weights.bin), the format tfjs-node's file://
// handler writes, without needing tfjs-node.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelFileError } from '../errors.ts';
import { writeFileAtomic } from './atomic.ts';
// Registers emoc's own layer classes (seeded dropout, fused batch norm, L2) so saved models load.
import '../model.ts';
import { prepareSavedBackbones } from '../finetune/saved.ts';

export async function saveModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      writeFileAtomic(path.join(dir, 'weights.bin'), new Uint8Array(weights));
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/**
 * Loads a model folder emoc saved. Everything that can go wrong here is a damaged or foreign file
 * (missing, truncated, edited), so any failure is a ModelFileError naming the folder.
 */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  let json;
  try {
    json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  } catch (e) {
    throw new ModelFileError(
      `cannot load the model (${(e as Error).message})`,
      dir,
      'the files were changed or cut short: train the run again',
    );
  }
  // A fine-tuned backbone's frozen part is not in the folder: it is found and checked by content hash
  // first (its own ModelFileError says when the pretrained files changed).
  await prepareSavedBackbones(json.modelTopology, dir);
  try {
    const manifest = json.weightsManifest as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    const buffers = manifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
    const joined = Buffer.concat(buffers);
    const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
    return await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: manifest.flatMap((g) => g.weights),
        weightData,
        format: json.format,
      }),
    );
  } catch (e) {
    throw new ModelFileError(
      `cannot load the model (${(e as Error).message})`,
      dir,
      'the files were changed or cut short: train the run again',
    );
  }
}

/** Named tensors (optimizer state) to one binary file plus a JSON index. */
export async function saveTensors(named: { name: string; tensor: tf.Tensor }[], file: string): Promise<void> {
  const index: { name: string; shape: number[]; offset: number; length: number }[] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const { name, tensor } of named) {
    const data = (await tensor.data()) as Float32Array;
    index.push({ name, shape: tensor.shape, offset, length: data.length });
    parts.push(Float32Array.from(data));
    offset += data.length;
  }
  const all = new Float32Array(offset);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  writeFileAtomic(`${file}.bin`, new Uint8Array(all.buffer));
  writeFileAtomic(`${file}.json`, JSON.stringify(index));
}

export function loadTensors(file: string): { name: string; tensor: tf.Tensor }[] {
  const index = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as { name: string; shape: number[]; offset: number; length: number }[];
  const buf = fs.readFileSync(`${file}.bin`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return index.map((e) => ({ name: e.name, tensor: tf.tensor(all.subarray(e.offset, e.offset + e.length), e.shape) }));
}
