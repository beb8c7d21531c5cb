// Benchmark: one fine-tuning step of the faceres backbone run as a trainable graph
// (runtime/backbones/trainable): forward through the network to its global pooling, a 7-way dense
// head, softmax cross-entropy, backward, and an Adam step. Random inputs: speed does not depend on
// the values. Three ways to train:
//   all          every backbone weight is a tf.Variable;
//   last2        only the last two separable blocks (conv_dw/pw_12, conv_dw/pw_13), the whole network
//                run under the gradient tape;
//   last2-split  the same weights, the frozen prefix run outside the tape (TrainableGraph.run from
//                the input of conv_dw_12), so the tape holds the two blocks alone.
// Also times loading the model (TrainableGraph.load beside tfjs-converter's loadGraphModel).
//
//   npx tsx bench/finetune-step.ts [--threads 2] [--batch 16] [--sizes 96,112] [--steps 4] [--json]

import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { selectBackend } from '../runtime/backend/select.ts';
import { fileModelHandler } from '../runtime/backbones/io.ts';
import { resolveBackboneFile } from '../runtime/backbones/resolve.ts';
import { TrainableGraph } from '../runtime/backbones/trainable/graph.ts';
import { median } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '16' },
    sizes: { type: 'string', default: '96,112' },
    steps: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});
const threads = Number(args.threads);
const batch = Number(args.batch);
const sizes = args.sizes!.split(',').map(Number);
const steps = Number(args.steps);

const TAP = 'global_pooling/Mean';
const LAST2 = /^conv_(dw|pw)_1[23][_/]/;
type Mode = 'all' | 'last2' | 'last2-split';

const info = await selectBackend({ prefer: 'wasm', threads });
const found = resolveBackboneFile('faceres', null, '.');
if ('error' in found) throw new Error(found.error);

let t0 = performance.now();
const graph = await TrainableGraph.load(found.path);
const loadMs = performance.now() - t0;
t0 = performance.now();
const gm = await loadGraphModel(fileModelHandler(found.path));
const graphModelLoadMs = performance.now() - t0;
gm.dispose();

const backboneWeights = graph.weightNames([TAP]);
// The frozen prefix of last2-split ends where conv_dw_12's depthwise conv reads its input.
const boundary = graph.nodeInputs(graph.weightUsers(backboneWeights.find((w) => w.startsWith('conv_dw_12/'))!)[0]!)[0]!;

function stepTimes(size: number, mode: Mode): { msPerStep: number; peakMB: number; trainable: number } {
  const names = mode === 'all' ? backboneWeights : backboneWeights.filter((w) => LAST2.test(w));
  const vars = new Map(names.map((w) => [w, tf.variable(graph.weight(w).clone(), true)]));
  const head = tf.variable(tf.randomNormal([1024, 7], 0, 0.03, 'float32', 1));
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([batch, size, size, 3], -120, 120, 'float32', 2) as tf.Tensor4D;
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 7),
      'int32',
    ),
    7,
  );
  const times: number[] = [];
  let peakBytes = 0;
  for (let s = 0; s < steps + 1; s++) {
    const start = performance.now();
    const prefix = mode === 'last2-split' ? graph.execute(x, [boundary])[0]! : null;
    const { value, grads } = tf.variableGrads(() => {
      const [feat] = prefix ? graph.run(new Map([[boundary, prefix]]), [TAP], vars) : graph.execute(x, [TAP], vars);
      const loss = tf.losses.softmaxCrossEntropy(labels, tf.matMul(feat!, head)) as tf.Scalar;
      // After the forward pass everything the backward pass needs is alive: close to the step's peak.
      peakBytes = Math.max(peakBytes, tf.memory().numBytes);
      return loss;
    }, [...vars.values(), head]);
    opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    if (prefix) prefix.dispose();
    if (s > 0) times.push(performance.now() - start);
  }
  tf.dispose([x, labels, head]);
  vars.forEach((v) => v.dispose());
  opt.dispose();
  return { msPerStep: median(times), peakMB: peakBytes / 2 ** 20, trainable: names.reduce((n, w) => n + graph.weight(w).size, 0) };
}

const rows: Array<{ size: number; mode: Mode; trainable: number; msPerStep: number; peakMB: number; imagesPerSec: number }> = [];
for (const size of sizes) {
  for (const mode of ['all', 'last2', 'last2-split'] as const) {
    const r = stepTimes(size, mode);
    rows.push({ size, mode, ...r, imagesPerSec: (batch / r.msPerStep) * 1000 });
  }
}

if (args.json) {
  console.log(JSON.stringify({ backend: info.name, threads: info.threads, simd: info.simd, batch, loadMs, graphModelLoadMs, rows }));
} else {
  console.log(
    `faceres fine-tuning step, ${info.name} x${info.threads}${info.simd ? ' simd' : ''}, batch ${batch}, median of ${steps} steps`,
  );
  console.log(`load: TrainableGraph ${loadMs.toFixed(0)} ms, loadGraphModel ${graphModelLoadMs.toFixed(0)} ms`);
  for (const r of rows) {
    console.log(
      `${r.size}x${r.size} ${r.mode.padEnd(11)} ${(r.trainable / 1e6).toFixed(2)}M trainable: ${r.msPerStep.toFixed(0)} ms/step, ${r.imagesPerSec.toFixed(1)} images/s, tensors ${r.peakMB.toFixed(0)} MB after forward`,
    );
  }
}
process.exit(0);
