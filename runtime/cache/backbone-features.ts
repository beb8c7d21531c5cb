// Glue between a BackboneIR and the feature cache: what `emoc run` calls for each image set and view.
// The backbone module (and with it TensorFlow.js) is imported and the model loaded only when some tap
// is missing from the cache, so training a head on cached features never touches the backbone.

import { BACKBONES } from '../../compiler/backbones.ts';
import type { BackboneIR } from '../../compiler/ir.ts';
import type { LoadedBackbone } from '../backbones/load.ts';
import { expandTaps, resolveBackboneFile } from '../backbones/resolve.ts';
import { ModelFileError } from '../errors.ts';
import { getOrComputeFeatures, type FeatureResult } from './features.ts';
import { hashWeights, type ImagesForKey } from './hash.ts';

/** Loads the backbone on the first get() and reuses it; shared by the train and val extractions. */
export interface LazyBackbone {
  get(): Promise<LoadedBackbone>;
  readonly loaded: boolean;
  dispose(): void;
}

export function lazyBackbone(ir: BackboneIR, baseDir: string): LazyBackbone {
  let pending: Promise<LoadedBackbone> | null = null;
  let done: LoadedBackbone | null = null;
  return {
    get() {
      pending ??= import('../backbones/load.ts').then((m) => m.loadBackbone(ir, baseDir)).then((b) => (done = b));
      return pending;
    },
    get loaded() {
      return pending !== null;
    },
    dispose() {
      done?.dispose();
      done = null;
      pending = null;
    },
  };
}

export interface BackboneFeatureRequest {
  ir: BackboneIR;
  /** The spec's folder (relative weight paths resolve against it). */
  baseDir: string;
  images: ImagesForKey;
  /** Augmentation view id; 'orig' for the images as loaded. */
  view: string;
  label?: string;
  /** Cache folder; default `.emoc/cache/` in the cwd. */
  root?: string;
  /** Share one across calls so a run loads the backbone at most once. */
  backbone?: LazyBackbone;
  batchSize?: number;
  /** Progress of an extraction (not called when the cache has the features). */
  onProgress?: (done: number, total: number) => void;
}

/** Features [n, width] for the IR's taps (concatenated in IR order), from the cache when possible. */
export async function backboneFeatures(req: BackboneFeatureRequest): Promise<FeatureResult & { modelPath: string }> {
  const found = resolveBackboneFile(req.ir.name, req.ir.weights, req.baseDir);
  if ('error' in found) throw new ModelFileError(found.error, req.ir.weights ?? `backbone ${req.ir.name}`, found.hint);
  const lazy = req.backbone ?? lazyBackbone(req.ir, req.baseDir);
  const result = await getOrComputeFeatures({
    root: req.root,
    backbone: req.ir.name,
    weightsHash: await hashWeights(found.path),
    preprocess: req.ir.preprocess,
    view: req.view,
    taps: expandTaps(BACKBONES[req.ir.name], req.ir.taps),
    images: req.images,
    label: req.label,
    compute: async (taps) => (await lazy.get()).extractEach(req.images, { taps, batchSize: req.batchSize, onProgress: req.onProgress }),
  });
  if (!req.backbone) lazy.dispose();
  return { ...result, modelPath: found.path };
}
