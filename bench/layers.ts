// Benchmark: every layer kind of the language, built as emoc builds it, at the shapes the example
// specs give it, batch 32.
// For each layer: forward ms and forward+backward ms (gradients for the input and the weights from a
// fixed upstream gradient, as a layer inside a network gets them), median of the timed steps after
// warm-up. A regression in any one
// kernel shows here even when the whole-model number hides it.
//
//   npx tsx bench/layers.ts [--backend wasm] [--threads 1] [--steps 5] [--json] [--only REGEX]
//
// bench/pytorch_layers.py times the same layers in PyTorch (same names, same shapes).

import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend, type BackendInfo, type BackendPreference } from '../runtime/backend/select.ts';
import { median } from './stats.ts';
import { FusedBatchNormalization } from '../runtime/fused-batch-norm.ts';
import { SeededDropout } from '../runtime/model.ts';

/** One layer at one input shape (NHWC, without the batch). Names match bench/pytorch_layers.py. */
export interface LayerCase {
  name: string;
  input: number[];
  make: () => tfl.layers.Layer;
  /** Batch size; 32 unless given (the FER-sized cases use 64, as bench/fer-sizes.ts does). */
  batch?: number;
}

const conv = (filters: number, kernelSize: number, strides: number) => () =>
  tfl.layers.conv2d({ filters, kernelSize, strides, padding: 'same', activation: 'relu' });
const FER = 64;

export const LAYER_CASES: LayerCase[] = [
  {
    name: 'conv 64 k5 s2 (S1 #1, 160x160x3)',
    input: [160, 160, 3],
    make: () => tfl.layers.conv2d({ filters: 64, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu' }),
  },
  {
    name: 'conv 64 k5 s2 (S1 #2, 40x40x64)',
    input: [40, 40, 64],
    make: () => tfl.layers.conv2d({ filters: 64, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu' }),
  },
  {
    name: 'conv 64 k9 s4 (S2 #1, 160x160x3)',
    input: [160, 160, 3],
    make: () => tfl.layers.conv2d({ filters: 64, kernelSize: 9, strides: 4, padding: 'same', activation: 'relu' }),
  },
  { name: 'bn (80x80x64)', input: [80, 80, 64], make: () => new FusedBatchNormalization({ momentum: 0.9 }) },
  { name: "bn, tfjs-layers' own (80x80x64)", input: [80, 80, 64], make: () => tfl.layers.batchNormalization({ momentum: 0.9 }) },
  { name: 'maxpool 2 (80x80x64)', input: [80, 80, 64], make: () => tfl.layers.maxPooling2d({ poolSize: 2 }) },
  { name: 'avgpool 2 (80x80x64)', input: [80, 80, 64], make: () => tfl.layers.averagePooling2d({ poolSize: 2 }) },
  { name: 'relu (80x80x64)', input: [80, 80, 64], make: () => tfl.layers.activation({ activation: 'relu' }) },
  { name: 'flatten (10x10x64)', input: [10, 10, 64], make: () => tfl.layers.flatten() },
  { name: 'fc 128 (S1, 6400)', input: [6400], make: () => tfl.layers.dense({ units: 128, activation: 'relu' }) },
  { name: 'fc 128 (S2, 25600)', input: [25600], make: () => tfl.layers.dense({ units: 128, activation: 'relu' }) },
  { name: 'dropout 0.5 (6400)', input: [6400], make: () => new SeededDropout({ rate: 0.5, seed: 1 }) },
  // S1 and S2 at FER2013 size (48x48), batch 64: the layers of bench/fer-sizes.ts.
  { name: 'conv 64 k5 s2 (S1 #1, 48x48x1) b64', input: [48, 48, 1], make: conv(64, 5, 2), batch: FER },
  { name: 'conv 64 k5 s2 (S1 #1, 48x48x3) b64', input: [48, 48, 3], make: conv(64, 5, 2), batch: FER },
  { name: 'conv 64 k5 s2 (S1 #2, 12x12x64) b64', input: [12, 12, 64], make: conv(64, 5, 2), batch: FER },
  { name: 'conv 64 k9 s4 (S2 #1, 48x48x1) b64', input: [48, 48, 1], make: conv(64, 9, 4), batch: FER },
  { name: 'conv 64 k9 s4 (S2 #1, 48x48x3) b64', input: [48, 48, 3], make: conv(64, 9, 4), batch: FER },
  { name: 'bn (24x24x64) b64', input: [24, 24, 64], make: () => new FusedBatchNormalization({ momentum: 0.9 }), batch: FER },
  { name: 'maxpool 2 (24x24x64) b64', input: [24, 24, 64], make: () => tfl.layers.maxPooling2d({ poolSize: 2 }), batch: FER },
  { name: 'fc 128 (S1, 576) b64', input: [576], make: () => tfl.layers.dense({ units: 128, activation: 'relu' }), batch: FER },
  { name: 'fc 128 (S2, 2304) b64', input: [2304], make: () => tfl.layers.dense({ units: 128, activation: 'relu' }), batch: FER },
];

export interface LayerTiming {
  name: string;
  forwardMs: number;
  trainMs: number;
}

const SYNCHRONOUS = new Set(['wasm', 'cpu', 'tensorflow']);

async function timeIt(f: () => tf.Tensor | tf.Tensor[], steps: number, warmup: number): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const out = f();
    const all = Array.isArray(out) ? out : [out];
    // wasm and cpu run kernels synchronously: the work is done when f returns. Reading the outputs
    // back would add the copy of a 13M-element activation to JS (~35 ms) to every row.
    if (!SYNCHRONOUS.has(tf.getBackend())) await Promise.all(all.map((t) => t.data()));
    tf.dispose(all);
    if (i >= warmup) ms.push(performance.now() - t0);
  }
  return median(ms);
}

export async function benchLayers(opts: { steps?: number; warmup?: number; only?: RegExp } = {}): Promise<LayerTiming[]> {
  const steps = opts.steps ?? 5;
  const warmup = opts.warmup ?? 1;
  const out: LayerTiming[] = [];
  for (const c of LAYER_CASES) {
    if (opts.only && !opts.only.test(c.name)) continue;
    const batch = c.batch ?? 32;
    const layer = c.make();
    const x = tf.variable(tf.randomNormal([batch, ...c.input], 0, 1, 'float32', 1));
    layer.apply(tf.zeros([1, ...c.input])); // builds the weights
    const forwardMs = await timeIt(() => tf.tidy(() => layer.apply(x, { training: true }) as tf.Tensor), steps, warmup);
    const vars = [x, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
    // The gradient arriving from the layer above, fixed: backpropagating a loss such as sum() would
    // also time the loss's own gradient (tfjs broadcasts it into a full-size tensor).
    const dy = tf.tidy(() => tf.randomNormal((layer.apply(x, { training: true }) as tf.Tensor).shape, 0, 1, 'float32', 2));
    const trainMs = await timeIt(
      () => {
        const { value, grads } = tf.engine().gradients(() => layer.apply(x, { training: true }) as tf.Tensor, vars, dy);
        return [value, ...grads];
      },
      steps,
      warmup,
    );
    dy.dispose();
    out.push({ name: c.name, forwardMs, trainMs });
    x.dispose();
    layer.dispose();
  }
  return out;
}

export function formatLayers(
  rows: LayerTiming[],
  backend: BackendInfo,
  reference?: Map<string, { forwardMs: number; trainMs: number }>,
): string {
  const ref = reference && reference.size > 0;
  const head = ref
    ? '| layer | fwd ms | fwd+bwd ms | PyTorch fwd ms | PyTorch fwd+bwd ms | fwd+bwd ratio |\n|---|---|---|---|---|---|'
    : '| layer | fwd ms | fwd+bwd ms |\n|---|---|---|';
  const lines = rows.map((r) => {
    const base = `| ${r.name} | ${r.forwardMs.toFixed(1)} | ${r.trainMs.toFixed(1)} |`;
    const p = reference?.get(r.name);
    if (!ref) return base;
    return p
      ? `${base} ${p.forwardMs.toFixed(1)} | ${p.trainMs.toFixed(1)} | ${(p.trainMs / r.trainMs).toFixed(2)}x |`
      : `${base} - | - | - |`;
  });
  return [
    `per layer, batch 32 (b64: batch 64), ${backend.name}${backend.simd ? ' (SIMD)' : ''}${backend.emocKernels ? `, emoc kernels ${backend.emocKernels}` : ''}, ${backend.threads} thread(s); median ms (ratio = PyTorch time / emoc time, above 1 is faster)`,
    head,
    ...lines,
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, fallback: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1]! : fallback;
  };
  const info = await selectBackend({ prefer: arg('--backend', 'wasm') as BackendPreference, threads: Number(arg('--threads', '1')) });
  const only = arg('--only', '');
  const rows = await benchLayers({ steps: Number(arg('--steps', '5')), only: only ? new RegExp(only) : undefined });
  if (argv.includes('--json')) console.log(JSON.stringify({ backend: info, layers: rows }));
  else console.log(formatLayers(rows, info));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
  // The wasm backend's pthread workers keep the event loop alive: leave once the output is written.
  process.stdout.write('', () => process.exit(0));
}
