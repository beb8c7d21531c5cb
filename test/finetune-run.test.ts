// Fine-tuning a graph backbone end to end, on a small hand-made graph of three blocks (stem, mid, top: each
// a conv with its batch norm) and the built-in faces: `finetune 1` trains only the last block, the frozen
// blocks keep their weights and batch-norm statistics bit for bit, the tuned blocks' statistics never
// train either, the run folder holds only the tuned weights, the backbone's rate multiplier scales its
// updates exactly, and an interrupted run resumes to the uninterrupted numbers.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import type { ExperimentIR } from '../compiler/ir.ts';
import { loadModel } from '../runtime/artifacts/model-io.ts';
import { GraphBackbone } from '../runtime/finetune/graph-backbone-layer.ts';
import { TrainableGraph } from '../runtime/backbones/trainable/graph.ts';
import type { EpochEvent, RunEvent } from '../runtime/events.ts';
import { evalRun } from '../runtime/evaluate/eval.ts';
import { predict } from '../runtime/predict.ts';
import { runExperiment } from '../runtime/run.ts';
import { convAttr, placeholder, str, writeGraphModel, type GraphNodeDef, type GraphWeight } from './graph-model-fixture.ts';
import { rand } from './numeric-helpers.ts';

let tmp: string;

/** stem (3x3 conv 1->4, bn, relu), mid (3x3 conv s2 4->6, bn, relu), top (1x1 conv 6->8 + bias, relu), mean. */
function threeBlocks(dir: string): string {
  const f = (name: string, shape: number[], seed: number, scale: number, offset = 0): GraphWeight => ({
    name,
    shape,
    values: rand(tf.util.sizeFromShape(shape), seed).map((v) => v * scale + offset),
  });
  const bn = (scope: string, c: number, seed: number) => [
    f(`${scope}/bn/gamma`, [c], seed, 0.2, 1),
    f(`${scope}/bn/beta`, [c], seed + 1, 0.2),
    f(`${scope}/bn/mean`, [c], seed + 2, 0.3),
    f(`${scope}/bn/variance`, [c], seed + 3, 0.3, 1.5),
  ];
  const weights: GraphWeight[] = [
    f('stem/conv/kernel', [3, 3, 1, 4], 1, 0.02),
    ...bn('stem', 4, 10),
    f('mid/conv/kernel', [3, 3, 4, 6], 2, 0.3),
    ...bn('mid', 6, 20),
    f('top/conv/kernel', [1, 1, 6, 8], 3, 0.5),
    f('top/conv/bias', [8], 4, 0.1),
    { name: 'pool/axes', shape: [2], values: new Int32Array([1, 2]) },
  ];
  const batchNorm = (scope: string, input: string): GraphNodeDef => ({
    name: `${scope}/bn/FusedBatchNormV3`,
    op: 'FusedBatchNormV3',
    input: [input, `${scope}/bn/gamma`, `${scope}/bn/beta`, `${scope}/bn/mean`, `${scope}/bn/variance`],
    attr: { epsilon: { f: 0.001 }, data_format: str('NHWC'), is_training: { b: false } },
  });
  const nodes: GraphNodeDef[] = [
    placeholder('image', [-1, 32, 32, 1]),
    { name: 'stem/conv/Conv2D', op: 'Conv2D', input: ['image', 'stem/conv/kernel'], attr: convAttr(1, 'SAME') },
    batchNorm('stem', 'stem/conv/Conv2D'),
    { name: 'stem/Relu', op: 'Relu', input: ['stem/bn/FusedBatchNormV3'] },
    { name: 'mid/conv/Conv2D', op: 'Conv2D', input: ['stem/Relu', 'mid/conv/kernel'], attr: convAttr(2, 'SAME') },
    batchNorm('mid', 'mid/conv/Conv2D'),
    { name: 'mid/Relu', op: 'Relu', input: ['mid/bn/FusedBatchNormV3'] },
    { name: 'top/conv/Conv2D', op: 'Conv2D', input: ['mid/Relu', 'top/conv/kernel'], attr: convAttr(1, 'VALID') },
    { name: 'top/conv/BiasAdd', op: 'BiasAdd', input: ['top/conv/Conv2D', 'top/conv/bias'], attr: { data_format: str('NHWC') } },
    { name: 'top/Relu', op: 'Relu', input: ['top/conv/BiasAdd'] },
    { name: 'pool/Mean', op: 'Mean', input: ['top/Relu', 'pool/axes'], attr: { keep_dims: { b: false } } },
  ];
  return writeGraphModel(dir, nodes, weights);
}

const spec = (backbone: string, train = 'epochs 2; batch 8; seed 5') => `experiment tune {
  data { source builtin:faces; images 56; input 32x32x1 }
  backbone mine {
    weights "graph/model.json"
    input 32x32x1
    preprocess unit
    tap "pool/Mean"
${backbone}
  }
  head { fc 7 | softmax }
  train { ${train} }
}
`;

let modelJson: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-finetune-'));
  fs.mkdirSync(path.join(tmp, 'graph'));
  modelJson = threeBlocks(path.join(tmp, 'graph'));
});

function compileText(text: string): ExperimentIR {
  const file = path.join(tmp, `spec-${Math.random().toString(36).slice(2)}.emo`);
  fs.writeFileSync(file, text);
  const r = compile(file, { validate: true });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.experiments[0];
}

async function run(ir: ExperimentIR, extra: Partial<Parameters<typeof runExperiment>[0]> = {}, stopAfterBatch?: number) {
  const events: RunEvent[] = [];
  let batches = 0;
  const outcome = await runExperiment({
    ir,
    specText: fs.readFileSync(ir.file, 'utf8'),
    runsDir: path.join(tmp, 'runs'),
    cacheDir: path.join(tmp, 'cache'),
    backend: 'wasm',
    threads: 1,
    sink: (e) => {
      events.push(e);
      if (e.type === 'batch') batches++;
    },
    shouldStop: () => stopAfterBatch !== undefined && batches >= stopAfterBatch,
    ...extra,
  });
  return { outcome, events };
}

/** The saved model's (or an interrupted run's checkpoint's: `from` 'checkpoint/model') backbone weights,
 * by graph weight name. */
async function savedBackboneWeights(runDir: string, from = 'model'): Promise<Map<string, Float32Array>> {
  const model = await loadModel(path.join(runDir, from));
  const layer = model.layers.find((l) => l.name === 'backbone') as GraphBackbone;
  const out = new Map<string, Float32Array>();
  expect(layer.weights.length).toBe(layer.tunedWeights().size);
  for (const [graphName, w] of layer.tunedWeights()) out.set(graphName, w.read().dataSync() as Float32Array);
  model.dispose();
  return out;
}

describe('fine-tuning a graph backbone', () => {
  it('finetune 1 trains only the last block; every other weight and every batch-norm statistic stays as in the file', async () => {
    const { outcome } = await run(compileText(spec('    finetune 1')));
    expect(outcome.status).toBe('finished');
    const saved = await savedBackboneWeights(outcome.runDir);
    expect([...saved.keys()].sort()).toEqual(['top/conv/bias', 'top/conv/kernel']);
    const file = await TrainableGraph.load(modelJson);
    for (const [name, tuned] of saved) expect(Array.from(tuned)).not.toEqual(Array.from(file.weight(name).dataSync()));

    // The saved model's output equals the file's graph with only the tuned weights replaced: the frozen
    // blocks (and their statistics) are the file's, bit for bit.
    const model = await loadModel(path.join(outcome.runDir, 'model'));
    const x = tf.tensor4d(
      rand(2 * 32 * 32, 9).map((v) => (v + 1) * 127.5),
      [2, 32, 32, 1],
    );
    const overrides = new Map([...saved].map(([n, v]) => [n, tf.tensor(v, file.weight(n).shape)] as [string, tf.Tensor]));
    const features = file.execute(tf.div(x, 255) as tf.Tensor4D, ['pool/Mean'], overrides)[0]!;
    const backbone = model.layers.find((l) => l.name === 'backbone')!;
    const viaModel = backbone.apply(x) as tf.Tensor;
    expect(Array.from(viaModel.dataSync())).toEqual(Array.from(features.dataSync()));
    model.dispose();
    file.dispose();
  }, 120_000);

  it('predict and eval run the tuned backbone from the run folder; changed pretrained files are refused by content hash', async () => {
    const graphDir = path.join(tmp, 'graph-copy');
    fs.mkdirSync(graphDir);
    threeBlocks(graphDir);
    const ir = compileText(spec('    finetune 1').replace('graph/model.json', 'graph-copy/model.json'));
    const { outcome } = await run(ir);
    const val = '../shared/data/fer2013-sample/val';
    const happy = path.join(val, 'happy', fs.readdirSync(path.join(val, 'happy')).sort()[0]!);
    const [p] = await predict(outcome.runDir, [happy], { backend: 'wasm' });
    expect(Object.values(p!.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const scored = await evalRun(outcome.runDir, val, { backend: 'wasm', limitPerClass: 2, cacheDir: path.join(tmp, 'cache') });
    expect(scored.images).toBe(14);
    expect(scored.confusion.flat().reduce((a, b) => a + b, 0)).toBe(14);

    // Same size, other bytes: the frozen blocks the tuned ones were trained on are gone.
    const bin = path.join(graphDir, 'weights.bin');
    const bytes = fs.readFileSync(bin);
    bytes[0] ^= 0xff;
    fs.writeFileSync(bin, bytes);
    await expect(loadModel(path.join(outcome.runDir, 'model'))).rejects.toThrow(/differ from the ones this run was tuned from/);
  }, 120_000);

  it("finetune 2 trains the mid block's conv and batch-norm scale and offset, never its running statistics", async () => {
    const { outcome } = await run(compileText(spec('    finetune 2')));
    const saved = await savedBackboneWeights(outcome.runDir);
    expect([...saved.keys()].sort()).toEqual(['mid/bn/beta', 'mid/bn/gamma', 'mid/conv/kernel', 'top/conv/bias', 'top/conv/kernel']);
  }, 120_000);

  it('a frozen backbone trains no backbone weight: the model is the head on cached features, extracted with progress lines', async () => {
    const ir = compileText(spec('    frozen'));
    const { outcome, events } = await run(ir);
    // Extraction reports progress per split until every image is done; a second run reads the cache, silently.
    const progress = (es: RunEvent[]) =>
      es
        .flatMap((e) =>
          e.type === 'log' ? [/^extracting mine features of (\w+) view 1\/1 \(orig\): (\d+)\/(\d+) images/.exec(e.message)] : [],
        )
        .filter((m) => m);
    const lines = progress(events);
    expect(lines.filter((m) => m![2] === m![3]).map((m) => m![1])).toEqual(['train', 'val']);
    expect(progress((await run(ir)).events)).toEqual([]);
    const model = await loadModel(path.join(outcome.runDir, 'model'));
    expect(model.layers.map((l) => l.name)).not.toContain('backbone');
    expect(model.inputs[0]!.shape).toEqual([null, 8]);
    model.dispose();
  }, 120_000);

  it("lr=0.25 moves the backbone's weights a quarter as far in a step as lr=1 (plain SGD), the head's the same", async () => {
    // 44 training images at batch 64: one step per epoch.
    const train = 'epochs 1; batch 64; seed 5; optimizer sgd lr=0.1';
    const start = await TrainableGraph.load(modelJson);
    const before = Array.from(start.weight('top/conv/kernel').dataSync());
    start.dispose();
    const delta = async (scale: string) => {
      const { outcome } = await run(compileText(spec(`    finetune 1 lr=${scale}`, train)));
      const after = (await savedBackboneWeights(outcome.runDir)).get('top/conv/kernel')!;
      return Array.from(after, (v, i) => v - before[i]!);
    };
    const full = await delta('1');
    const quarter = await delta('0.25');
    expect(full.some((d) => Math.abs(d) > 1e-4)).toBe(true);
    quarter.forEach((d, i) => expect(d).toBeCloseTo(full[i]! / 4, 5));
  }, 120_000);

  it('after=1 keeps the blocks as loaded for the first epoch (the head trains alone), then trains them', async () => {
    // 44 training images at batch 64: one step per epoch; the run stops after 1 or 2 steps, its checkpoint
    // holding the weights of that moment.
    const train = 'epochs 2; batch 64; seed 5; optimizer adamw lr=1e-2';
    const kernelAfter = async (finetune: string, steps: number) => {
      const { outcome } = await run(compileText(spec(`    ${finetune}`, train)), {}, steps);
      expect(outcome.status).toBe('interrupted');
      return Array.from((await savedBackboneWeights(outcome.runDir, 'checkpoint/model')).get('top/conv/kernel')!);
    };
    const oneStep = await kernelAfter('finetune 1', 1); // (the first run also starts the backend)
    const file = await TrainableGraph.load(modelJson);
    const loaded = Array.from(file.weight('top/conv/kernel').dataSync());
    file.dispose();
    expect(oneStep).not.toEqual(loaded);
    expect(await kernelAfter('finetune 1 after=1', 1)).toEqual(loaded);
    expect(await kernelAfter('finetune 1 after=1', 2)).not.toEqual(loaded);
  }, 120_000);

  it('an interrupted fine-tuning run resumes to the uninterrupted numbers', async () => {
    const ir = compileText(spec('    finetune 2', 'epochs 3; batch 8; seed 5; optimizer adamw lr=3e-3'));
    const reference = await run(ir);
    const first = await run(ir, {}, 8);
    expect(first.outcome.status).toBe('interrupted');
    const resumed = await run(ir, { resume: first.outcome.runDir });
    expect(resumed.outcome.status).toBe('finished');
    const numbers = (es: EpochEvent[]) => es.map((e) => [e.epoch, e.train.loss, e.train.acc, e.val.loss, e.val.acc]);
    const lines = fs
      .readFileSync(path.join(first.outcome.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EpochEvent);
    expect(numbers(lines)).toEqual(numbers(reference.events.filter((e): e is EpochEvent => e.type === 'epoch')));
    expect(resumed.outcome.summary.val).toEqual(reference.outcome.summary.val);
  }, 180_000);
});
