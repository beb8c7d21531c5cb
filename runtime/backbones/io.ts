// Loads a tfjs graph model (model.json + weight shards) straight from the local disk.
// tfjs-core has no file:// handler without tfjs-node, and emoc must never fetch weights from a hub,
// so this reads the files itself and hands tfjs the artifacts in memory.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { io } from '@tensorflow/tfjs-core';
import { ModelFileError } from '../errors.ts';

const GRAPH_MODEL_HINT = 'give the model.json of a tfjs graph model (tensorflowjs_converter --output_format=tfjs_graph_model)';

interface ModelJson {
  modelTopology?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: unknown;
  userDefinedMetadata?: Record<string, {}>;
  modelInitializer?: unknown;
  weightsManifest?: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
}

/** Reads and parses a model.json; throws with the path in the message when it is not one. */
export async function readModelJson(modelJsonPath: string): Promise<ModelJson> {
  const text = await readFile(modelJsonPath, 'utf8');
  try {
    return JSON.parse(text) as ModelJson;
  } catch (err) {
    throw new ModelFileError(`not valid JSON (${(err as Error).message})`, modelJsonPath, GRAPH_MODEL_HINT);
  }
}

/** Absolute paths of the weight shards a model.json lists, in manifest order. */
export function weightShardPaths(modelJsonPath: string, json: ModelJson): string[] {
  const dir = dirname(modelJsonPath);
  return (json.weightsManifest ?? []).flatMap((group) => group.paths.map((p) => resolve(dir, p)));
}

/** An IOHandler for `loadGraphModel` that reads `modelJsonPath` and its shards from disk. */
export function fileModelHandler(modelJsonPath: string): io.IOHandler {
  return {
    async load(): Promise<io.ModelArtifacts> {
      const json = await readModelJson(modelJsonPath);
      if (!json.modelTopology) throw new ModelFileError('has no modelTopology: not a tfjs model', modelJsonPath, GRAPH_MODEL_HINT);
      const weightSpecs = (json.weightsManifest ?? []).flatMap((g) => g.weights);
      // One ArrayBuffer per shard: tfjs 4.x accepts a list and treats it as one contiguous buffer.
      const weightData = await Promise.all(
        weightShardPaths(modelJsonPath, json).map(async (p) => {
          const b = await readFile(p);
          return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
        }),
      );
      return {
        modelTopology: json.modelTopology as io.ModelArtifacts['modelTopology'],
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature as object | undefined,
        userDefinedMetadata: json.userDefinedMetadata,
        modelInitializer: json.modelInitializer as object | undefined,
        weightSpecs,
        weightData,
      };
    },
  };
}
