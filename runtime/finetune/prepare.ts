// A fine-tuned backbone's pretrained part, made ready before any tfjs-layers model that holds it is built or
// loaded: tfjs-layers builds layers synchronously, while reading a graph model is asynchronous, so the
// GraphBackbone layer finds its graph here by key. The key includes the content hash of the model files, so
// a saved run names exactly the pretrained weights it was tuned from, and only its tuned blocks are saved.

import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BACKBONES, type BackboneSpec } from '../../compiler/backbones.ts';
import { analyseModelFile, finetunePlan } from '../../compiler/backbone-finetune.ts';
import type { BackboneIR } from '../../compiler/ir.ts';
import { resolveBackboneFile } from '../backbones/resolve.ts';
import { nodesFor, planTaps, tapValues, type TapPlan } from '../backbones/taps.ts';
import { TrainableGraph } from '../backbones/trainable/graph.ts';
import { hashWeights } from '../cache/hash.ts';
import { ModelFileError } from '../errors.ts';

/** What a GraphBackbone layer's config records: enough to find and check the pretrained part again. */
export interface BackboneRef {
  name: string;
  /** The model.json the run was tuned from (a registry backbone is found again through its package). */
  modelPath: string;
  /** sha256 of model.json and its weight shards (runtime/cache/hash.ts). */
  modelHash: string;
  taps: string[];
  input: [number, number, number];
  preprocess: string;
  finetune: number;
}

export interface PreparedBackbone {
  ref: BackboneRef;
  spec: BackboneSpec | undefined;
  graph: TrainableGraph;
  plans: TapPlan[];
  /** Graph nodes to execute for the taps. */
  nodes: string[];
  /** Graph weights (Const node names) that train: the last `finetune` blocks, never batch-norm statistics. */
  trainable: string[];
  /** Width of the concatenated taps. */
  width: number;
  /** Where the frozen part ends (TrainableGraph.frontier): the nodes the trained blocks read from it. */
  frontier: string[];
}

const prepared = new Map<string, PreparedBackbone>();

// The path is part of the key, not only the content: a run records the file its spec named, so two copies
// of the same graph are two entries (a run must not end up naming a copy that its spec never mentioned).
function keyOf(ref: Pick<BackboneRef, 'modelPath' | 'modelHash' | 'taps' | 'finetune' | 'input'>): string {
  return JSON.stringify([ref.modelPath, ref.modelHash, ref.taps, ref.finetune, ref.input]);
}

/** The model file of a backbone: a registry backbone from its package, a user graph from its path. */
function modelFile(name: string, weights: string | null, baseDir: string): string {
  const found = resolveBackboneFile(name, weights, baseDir);
  if ('error' in found) throw new ModelFileError(found.error, weights ?? `backbone ${name}`, found.hint);
  return found.path;
}

async function prepare(ref: BackboneRef): Promise<PreparedBackbone> {
  const key = keyOf(ref);
  const known = prepared.get(key);
  if (known) return known;
  const spec: BackboneSpec | undefined = BACKBONES[ref.name];
  const graph = await TrainableGraph.load(ref.modelPath);
  const plans = planTaps(spec, ref.taps);
  const nodes = nodesFor(spec, plans);
  graph.assertRunnable(nodes);
  // The compiler's analysis decides which weights train, so `explain` and the run count the same blocks.
  const bb = {
    name: ref.name,
    weights: spec ? null : ref.modelPath,
    taps: ref.taps,
    width: null,
    input: ref.input,
    preprocess: ref.preprocess,
    frozen: false,
    finetune: ref.finetune,
  };
  const analysed = analyseModelFile(bb, ref.modelPath);
  if (!analysed.ok) throw new ModelFileError(analysed.reason, ref.modelPath, 'check the backbone with: emoc check SPEC');
  if (!analysed.analysis.inputOk) {
    throw new ModelFileError(
      analysed.analysis.reason ?? 'the graph cannot run at this input',
      ref.modelPath,
      'check the backbone with: emoc check SPEC',
    );
  }
  const trainable = finetunePlan(bb, analysed.analysis).trainableWeights;
  // The width of each tap, from one blank image (raw graph nodes have no registry width).
  const width = tf.tidy(() => {
    const [h, w, c] = ref.input;
    const values = graph.execute(tf.zeros([1, h, w, c]), nodes);
    const taps = tapValues(spec, plans, new Map(nodes.map((n, i) => [n, values[i]!])));
    return taps.reduce((a, t) => a + t.shape[1], 0);
  });
  const p: PreparedBackbone = { ref, spec, graph, plans, nodes, trainable, width, frontier: graph.frontier(trainable, nodes) };
  prepared.set(key, p);
  return p;
}

/** Prepares the backbone of an IR for a new model (the run's own spec folder resolves a user graph's path). */
export async function prepareForIR(bb: BackboneIR, specFile: string): Promise<PreparedBackbone> {
  const modelPath = modelFile(bb.name, bb.weights, path.dirname(specFile));
  const modelHash = await hashWeights(modelPath);
  return prepare({
    name: bb.name,
    modelPath,
    modelHash,
    taps: bb.taps,
    input: bb.input,
    preprocess: bb.preprocess,
    finetune: bb.finetune,
  });
}

/**
 * Prepares the backbone a saved model's layer config names. A registry backbone is looked up through its
 * package again (the run may have moved to another machine); the files must hash to what the run was
 * tuned from, or the saved tuned blocks would sit on top of different frozen ones.
 */
export async function prepareForRef(ref: BackboneRef, where: string): Promise<PreparedBackbone> {
  const modelPath = BACKBONES[ref.name] ? modelFile(ref.name, null, '.') : ref.modelPath;
  const modelHash = await hashWeights(modelPath).catch((e: Error) => {
    throw new ModelFileError(
      `the backbone's model file cannot be read (${e.message})`,
      modelPath,
      'install the package or restore the file the run was trained from',
    );
  });
  if (modelHash !== ref.modelHash) {
    throw new ModelFileError(
      `the pretrained weights of backbone '${ref.name}' (${modelPath}) differ from the ones this run was tuned from`,
      where,
      'reinstall the version of the package the run was trained with, or train the run again',
    );
  }
  const p = await prepare({ ...ref, modelPath });
  // The saved layer looks itself up by the ref it recorded, whose path may be another machine's.
  prepared.set(keyOf(ref), p);
  return p;
}

/** The prepared backbone for a layer config; prepareForIR/prepareForRef must have run first. */
export function preparedFor(ref: BackboneRef): PreparedBackbone {
  const p = prepared.get(keyOf(ref));
  // internal: every path that builds or loads a model with this layer prepares its backbone first.
  if (!p) throw new Error(`backbone '${ref.name}' was not prepared before building its layer`);
  return p;
}
