// Loads a frozen backbone from a local model file and turns uint8 image batches into tap features.
// It runs on whatever tfjs backend is active: call the backend selector (wasm when tfjs-node is
// absent) before loading; faceres is about 20x faster on wasm than on the pure-JS cpu backend.

import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { BACKBONES, type BackboneSpec } from '../../compiler/backbones.ts';
import type { BackboneIR } from '../../compiler/ir.ts';
import { ModelFileError } from '../errors.ts';
import { fileModelHandler } from './io.ts';
import { preprocess } from './preprocess.ts';
import { resolveBackboneFile } from './resolve.ts';
import { nodesFor, planTaps, tapValues, type TapPlan } from './taps.ts';

/** uint8 HWC images of one size (an ImageSet satisfies this). */
export interface ImageBatch {
  height: number;
  width: number;
  channels: number;
  images: Uint8Array[];
}

export interface ExtractOptions {
  /** Images per graph execution; 16 keeps faceres under ~200 MB of activations. */
  batchSize?: number;
  /** Subset of the loaded taps to compute (default: all, in load order). */
  taps?: string[];
  /** Called after each batch with the images done and the total (feature extraction can take minutes). */
  onProgress?: (done: number, total: number) => void;
}

export interface LoadedBackbone {
  name: string;
  modelPath: string;
  /** [height, width, channels] the graph takes. */
  input: [number, number, number];
  preprocess: string;
  /** Tap names after 'concat' expansion, in output order, and the width of each. */
  taps: string[];
  tapWidths: number[];
  /** Sum of tapWidths: the row length of `extract`'s result. */
  width: number;
  /** Features [n, width] row-major, taps concatenated in `taps` order. */
  extract(images: ImageBatch, opts?: ExtractOptions): Promise<Float32Array>;
  /** One [n, tapWidth] array per tap, for callers that cache taps separately. */
  extractEach(images: ImageBatch, opts?: ExtractOptions): Promise<Float32Array[]>;
  dispose(): void;
}

/** Loads the IR's backbone (from the registry, or the user's own graph model from its weights path) and checks its tap widths. */
export async function loadBackbone(ir: BackboneIR, baseDir: string): Promise<LoadedBackbone> {
  const found = resolveBackboneFile(ir.name, ir.weights, baseDir);
  if ('error' in found) throw new ModelFileError(found.error, ir.weights ?? `backbone ${ir.name}`, found.hint);
  const spec: BackboneSpec | undefined = BACKBONES[ir.name];
  const model = await loadGraphModel(fileModelHandler(found.path));
  const input = graphInputShape(model) ?? ir.input;
  const plans = planTaps(spec, ir.taps);
  const widths = await probeTapWidths(model, input, ir.preprocess, plans, spec);
  // A registry width that disagrees with the file means the package changed under us: stop loudly
  // rather than train a head whose input width the compiler got wrong.
  plans.forEach((p, i) => {
    if (p.width !== null && p.width !== widths[i]) {
      throw new ModelFileError(
        `backbone '${ir.name}' tap '${p.name}' (${p.node}) is ${widths[i]} wide; the registry says ${p.width}`,
        found.path,
        `the installed ${spec?.package ?? 'model'} is not the version emoc knows: reinstall emoc's dependencies (npm ci)`,
      );
    }
  });
  const extractEach = (images: ImageBatch, opts: ExtractOptions = {}): Promise<Float32Array[]> => {
    const chosen = opts.taps ? opts.taps.map((t) => pick(plans, t)) : plans;
    return runTaps(model, spec, input, ir.preprocess, chosen, images, opts.batchSize ?? 16, opts.onProgress);
  };
  return {
    name: ir.name,
    modelPath: found.path,
    input,
    preprocess: ir.preprocess,
    taps: plans.map((p) => p.name),
    tapWidths: widths,
    width: widths.reduce((a, b) => a + b, 0),
    extractEach,
    async extract(images, opts) {
      const parts = await extractEach(images, opts);
      return interleave(parts, images.images.length);
    },
    dispose: () => model.dispose(),
  };
}

function pick(plans: TapPlan[], name: string): TapPlan {
  const p = plans.find((q) => q.name === name);
  // internal: callers ask for taps by the names this backbone reported in `taps`.
  if (!p) throw new Error(`tap '${name}' was not loaded (loaded: ${plans.map((q) => q.name).join(', ')})`);
  return p;
}

/** [h, w, c] from the graph's input signature when it is fully known. */
function graphInputShape(model: GraphModel): [number, number, number] | null {
  const s = model.inputs[0]?.shape;
  if (!s || s.length !== 4 || s.slice(1).some((d) => d === undefined || d < 1)) return null;
  return [s[1]!, s[2]!, s[3]!];
}

/** Widths of `plans` found by running one blank image through the graph. */
export async function probeTapWidths(
  model: GraphModel,
  input: [number, number, number],
  preprocessName: string,
  plans: TapPlan[],
  spec?: BackboneSpec,
): Promise<number[]> {
  const [h, w, c] = input;
  const blank: ImageBatch = { height: h, width: w, channels: c, images: [new Uint8Array(h * w * c).fill(128)] };
  const parts = await runTaps(model, spec, input, preprocessName, plans, blank, 1);
  return parts.map((p) => p.length);
}

/** Runs the graph batch by batch; returns one [n * width] array per plan. */
async function runTaps(
  model: GraphModel,
  spec: BackboneSpec | undefined,
  input: [number, number, number],
  preprocessName: string,
  plans: TapPlan[],
  images: ImageBatch,
  batchSize: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array[]> {
  const n = images.images.length;
  const nodes = nodesFor(spec, plans);
  const out: Float32Array[] = plans.map(() => new Float32Array(0));
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const values = tf.tidy(() => {
      const x = toModelInput(images, start, end, input, preprocessName);
      const raw = model.execute(x, nodes);
      const list = Array.isArray(raw) ? raw : [raw];
      return tapValues(spec, plans, new Map(nodes.map((node, i) => [node, list[i]!])));
    });
    const data = await Promise.all(values.map((v) => v.data() as Promise<Float32Array>));
    tf.dispose(values);
    plans.forEach((_, i) => {
      const width = data[i]!.length / (end - start);
      if (start === 0) out[i] = new Float32Array(n * width);
      out[i]!.set(data[i]!, start * width);
    });
    onProgress?.(end, n);
  }
  return out;
}

/** Images [start, end) as the graph's float input: resized if needed, then preprocessed. */
function toModelInput(
  images: ImageBatch,
  start: number,
  end: number,
  input: [number, number, number],
  preprocessName: string,
): tf.Tensor4D {
  const { height: h, width: w, channels: c } = images;
  const size = h * w * c;
  const buf = new Float32Array((end - start) * size);
  for (let i = start; i < end; i++) {
    const img = images.images[i]!;
    // internal: every loader and augmenter makes images of the batch's declared size.
    if (img.length !== size) throw new Error(`image ${i} has ${img.length} bytes; expected ${h}x${w}x${c}`);
    buf.set(img, (i - start) * size);
  }
  let x: tf.Tensor4D = tf.tensor4d(buf, [end - start, h, w, c]);
  // halfPixelCenters=false matches how @vladmandic/human resizes face crops for these models.
  if (h !== input[0] || w !== input[1]) x = tf.image.resizeBilinear(x, [input[0], input[1]], false);
  return preprocess(preprocessName, x, input[2]);
}

/** Per-tap [n, w_t] arrays into one [n, sum w_t] row-major array. */
function interleave(parts: Float32Array[], n: number): Float32Array {
  const widths = parts.map((p) => (n === 0 ? 0 : p.length / n));
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(n * total);
  for (let r = 0; r < n; r++) {
    let col = r * total;
    parts.forEach((p, t) => {
      out.set(p.subarray(r * widths[t]!, (r + 1) * widths[t]!), col);
      col += widths[t]!;
    });
  }
  return out;
}
