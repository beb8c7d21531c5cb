// Residual layers in the runtime: what the functional model computes, its gradients on the wasm backend
// against the cpu backend and against finite differences, and a residual run's save, load, predict
// and resume.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { compile } from '../compiler/compile.ts';
import type { ExperimentIR, LayerIR } from '../compiler/ir.ts';
import { loadModel, saveModel } from '../runtime/artifacts/model-io.ts';
import { selectBackend } from '../runtime/backend/select.ts';
import type { EpochEvent, RunEvent } from '../runtime/events.ts';
import { buildModel } from '../runtime/model.ts';
import { predict } from '../runtime/predict.ts';
import { runExperiment } from '../runtime/run.ts';
import { TrainStep } from '../runtime/train-step.ts';
import { rand, relErr } from './numeric-helpers.ts';

const conv = (filters: number, stride: number, activation: 'relu' | 'linear', bias = false): LayerIR => ({
  kind: 'conv',
  filters,
  kernel: [3, 3],
  stride: [stride, stride],
  padding: 'same',
  activation,
  bias,
});
const bn: LayerIR = { kind: 'bn', momentum: 0.9, epsilon: 1e-3 };

const relu: LayerIR = { kind: 'activation', fn: 'relu' };

/** A ResNet basic block that halves the size and changes the filter count: projection shortcut. */
const downBlock = (filters: number): LayerIR => ({
  kind: 'residual',
  body: [conv(filters, 2, 'linear'), bn, relu, conv(filters, 1, 'linear'), bn],
  shortcut: { kind: 'projection', filters, stride: [2, 2] },
  activation: 'relu',
});
/** Same shape in and out: identity shortcut. */
const sameBlock = (filters: number): LayerIR => ({
  kind: 'residual',
  body: [conv(filters, 1, 'relu'), bn, conv(filters, 1, 'linear'), bn],
  shortcut: { kind: 'identity' },
  activation: 'relu',
});

/** Only the fields buildModel reads. */
function irOf(layers: LayerIR[], input: number[], seed = 3): ExperimentIR {
  return {
    name: 'residual-test',
    backbone: null,
    layers,
    train: { seed },
    shapes: { input, layers: [], totalParams: 0, trainableParams: 0 },
  } as unknown as ExperimentIR;
}

const SMALL_NET: LayerIR[] = [
  conv(4, 1, 'relu', true),
  downBlock(8),
  sameBlock(8),
  { kind: 'globalavgpool' },
  { kind: 'fc', units: 7, activation: 'linear', bias: true },
];

function weightValues(model: tfl.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

beforeAll(async () => {
  const info = await selectBackend({ prefer: 'wasm', threads: 1 });
  expect(info.name).toBe('wasm');
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
});

describe('residual layers in the tfjs model', () => {
  it('an identity residual computes activation(body(x) + x)', () => {
    const model = buildModel(
      irOf([{ kind: 'residual', body: [conv(3, 1, 'linear', true)], shortcut: { kind: 'identity' }, activation: 'relu' }], [5, 6, 3]),
    );
    const x = tf.tensor(rand(2 * 5 * 6 * 3, 11), [2, 5, 6, 3]);
    const [kernel, bias] = model.getWeights();
    const expected = tf.relu(tf.add(tf.add(tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'same'), bias!), x));
    expect(relErr((model.predict(x) as tf.Tensor).dataSync(), expected.dataSync())).toBeLessThan(1e-6);
    model.dispose();
  });

  it('a projection residual adds bn(conv 1x1 with the stride) of the input: shape, weights and values', () => {
    const model = buildModel(irOf([downBlock(6)], [7, 9, 2]));
    expect(model.outputs[0]!.shape).toEqual([null, 4, 5, 6]);
    // Inference-mode bn with non-trivial statistics, so each bn's part of the sum is checked.
    const shapes = model.getWeights().map((w) => w.shape);
    model.setWeights(shapes.map((s, i) => tf.add(tf.tensor(rand(tf.util.sizeFromShape(s), 40 + i), s), s.length === 1 ? 1.5 : 0)));
    const byName = new Map(model.weights.map((w, i) => [w.originalName, model.getWeights()[i]!]));
    const weightsOf = (layer: string) => [...byName.entries()].filter(([n]) => n.startsWith(`${layer}/`)).map(([, t]) => t);
    const bnOf = (layer: string, y: tf.Tensor) => {
      const find = (suffix: string) => byName.get(`${layer}/${suffix}`) as tf.Tensor1D;
      return tf.batchNorm(y, find('moving_mean'), find('moving_variance'), find('beta'), find('gamma'), 1e-3);
    };
    // The projection: a 1x1 kernel, no bias, and a bn of its own.
    const proj = model.layers.find((l) => l.getClassName() === 'Conv2D' && (l.getConfig().kernelSize as number[])[0] === 1)!;
    expect(proj).toBeDefined();
    expect(proj.getConfig().useBias).toBe(false);
    expect(proj.getConfig().strides).toEqual([2, 2]);
    expect(weightsOf(proj.name).map((w) => w.shape)).toEqual([[1, 1, 2, 6]]);

    const x = tf.tensor(rand(3 * 7 * 9 * 2, 12), [3, 7, 9, 2]);
    const bodyConvs = model.layers.filter((l) => l.getClassName() === 'Conv2D' && l !== proj);
    const bns = model.layers.filter((l) => l.getClassName() === 'EmocBatchNormalization');
    expect(bodyConvs).toHaveLength(2);
    expect(bns).toHaveLength(3);
    // bns in build order: body, body, projection (the projection's is applied to the projection conv).
    const projBn = bns.find((b) => (b.inboundNodes[0]!.inboundLayers[0] as tfl.layers.Layer) === proj)!;
    const [b1, b2] = bns.filter((b) => b !== projBn);
    let h = tf.relu(bnOf(b1!.name, tf.conv2d(x as tf.Tensor4D, weightsOf(bodyConvs[0]!.name)[0] as tf.Tensor4D, 2, 'same')));
    h = bnOf(b2!.name, tf.conv2d(h as tf.Tensor4D, weightsOf(bodyConvs[1]!.name)[0] as tf.Tensor4D, 1, 'same'));
    const shortcut = bnOf(projBn.name, tf.conv2d(x as tf.Tensor4D, weightsOf(proj.name)[0] as tf.Tensor4D, 2, 'same'));
    const expected = tf.relu(tf.add(h, shortcut));
    expect(relErr((model.predict(x) as tf.Tensor).dataSync(), expected.dataSync())).toBeLessThan(1e-5);
    model.dispose();
  });

  it('nested residuals build; every kernel has its own initial values; the same IR gives the same names and weights', () => {
    const nested: LayerIR = { kind: 'residual', body: [sameBlock(4), sameBlock(4)], shortcut: { kind: 'identity' }, activation: 'linear' };
    const layers = [conv(4, 1, 'relu'), nested, downBlock(8), { kind: 'flatten' } as LayerIR];
    const a = buildModel(irOf(layers, [8, 8, 1]));
    const b = buildModel(irOf(layers, [8, 8, 1]));
    expect(a.outputs[0]!.shape).toEqual([null, 4 * 4 * 8]);
    expect(a.layers.map((l) => l.name)).toEqual(b.layers.map((l) => l.name));
    expect(new Set(a.layers.map((l) => l.name)).size).toBe(a.layers.length);
    expect(a.weights.map((w) => w.originalName)).toEqual(b.weights.map((w) => w.originalName));
    const wa = weightValues(a);
    weightValues(b).forEach((w, i) => expect(w).toEqual(wa[i]));
    // 1 + 2 * 2 + 2 + 1 (projection) convolution kernels, all different.
    const kernels = a.weights.map((w, i) => ({ name: w.originalName, v: wa[i]! })).filter((w) => w.name.endsWith('/kernel'));
    expect(kernels).toHaveLength(8);
    const distinct = new Set(kernels.map((k) => Array.from(k.v.subarray(0, 8)).join(',')));
    expect(distinct.size).toBe(kernels.length);
    a.dispose();
    b.dispose();
  });
});

describe('gradients of a residual block with a projection (stride 2, 4 -> 8 filters)', () => {
  const x = { shape: [4, 8, 8, 3], values: rand(4 * 8 * 8 * 3, 21) };
  const labels = [0, 3, 6, 2];

  /** A fresh model on `backend` with fixed random weights (bn scales near 1). */
  function modelOn(backend: string): tfl.LayersModel {
    tf.setBackend(backend);
    const model = buildModel(irOf(SMALL_NET, x.shape.slice(1)));
    const shapes = model.getWeights().map((w) => w.shape);
    model.setWeights(
      shapes.map((s, i) =>
        tf.tidy(() => tf.add(tf.mul(tf.tensor(rand(tf.util.sizeFromShape(s), 60 + i), s), 0.5), s.length === 1 ? 1 : 0)),
      ),
    );
    return model;
  }

  /** Training-mode loss (batch statistics, as in a training step): mean softmax cross-entropy. */
  function lossOf(model: tfl.LayersModel): tf.Scalar {
    const logits = model.apply(tf.tensor(x.values, x.shape), { training: true }) as tf.Tensor2D;
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 7), logits) as tf.Scalar;
  }

  function gradients(backend: string): { names: string[]; loss: number; grads: Float32Array[] } {
    const model = modelOn(backend);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const out = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => lossOf(model), vars);
      return { loss: value.dataSync()[0]!, grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array) };
    });
    const names = model.trainableWeights.map((w) => w.originalName);
    model.dispose();
    return { names, ...out };
  }

  it('wasm (emoc kernels, fused bn) matches cpu for every weight', () => {
    const cpu = gradients('cpu');
    const wasm = gradients('wasm');
    tf.setBackend('wasm');
    expect(wasm.names).toEqual(cpu.names);
    // Body convs, bns, the projection's conv and bn, the identity block, the head.
    expect(cpu.names.filter((n) => n.endsWith('/kernel'))).toHaveLength(7);
    expect(cpu.names.filter((n) => n.endsWith('/gamma'))).toHaveLength(5);
    expect(Math.abs(wasm.loss - cpu.loss) / cpu.loss).toBeLessThan(1e-5);
    cpu.grads.forEach((g, i) => {
      expect(Math.max(...g.map(Math.abs)), `${cpu.names[i]} has a gradient`).toBeGreaterThan(0);
      expect(relErr(wasm.grads[i]!, g), cpu.names[i]).toBeLessThan(1e-4);
    });
  });

  it('cpu gradients match central differences of the loss for the largest-gradient weight of each kind', () => {
    const { names, grads } = gradients('cpu');
    const model = modelOn('cpu');
    const h = 1e-3;
    const picked = names
      .map((n, i) => ({ n, i }))
      .filter(({ n }) => /proj_conv\/kernel|proj_bn\/gamma|proj_bn\/beta|conv\/kernel|fc\/kernel/.test(n));
    expect(picked.some(({ n }) => n.includes('proj_conv'))).toBe(true);
    for (const { n, i } of picked) {
      const g = grads[i]!;
      let k = 0;
      for (let j = 1; j < g.length; j++) if (Math.abs(g[j]!) > Math.abs(g[k]!)) k = j;
      const v = model.trainableWeights[i]!.read() as tf.Variable;
      const base = v.dataSync().slice() as Float32Array;
      const lossWith = (delta: number) => {
        const changed = base.slice();
        changed[k] = changed[k]! + delta;
        v.assign(tf.tensor(changed, v.shape));
        return tf.tidy(() => lossOf(model).dataSync()[0]!);
      };
      const fd = (lossWith(h) - lossWith(-h)) / (2 * h);
      v.assign(tf.tensor(base, v.shape));
      expect(Math.abs(fd - g[k]!), `${n}[${k}]: analytic ${g[k]}, finite difference ${fd}`).toBeLessThan(1e-2 * Math.abs(g[k]!) + 1e-4);
    }
    model.dispose();
    tf.setBackend('wasm');
  });
});

// A small residual network on the built-in faces: the IR is the compiled base spec's with its layers
// replaced by residual ones.
const BASE_SPEC = `experiment tiny-res {
  data {
    source builtin:faces
    images 56
    input 32x32x3
    split 0.25
  }
  model {
    conv 8 k3 | flatten | fc 7 | softmax
  }
  train {
    epochs 2
    batch 8
    optimizer adam lr=3e-3
    seed 7
  }
}
`;

describe('a residual run: save, load, predict, resume', () => {
  let tmp: string;
  let ir: ExperimentIR;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-residual-'));
    const file = path.join(tmp, 'tiny-res.emo');
    fs.writeFileSync(file, BASE_SPEC);
    const r = compile(file, { validate: true });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const layers: LayerIR[] = [
      conv(8, 2, 'relu'),
      bn,
      downBlock(16),
      sameBlock(16),
      { kind: 'globalavgpool' },
      { kind: 'dropout', rate: 0.25 },
      { kind: 'fc', units: 7, activation: 'softmax', bias: true },
    ];
    ir = { ...r.experiments[0]!, layers };
  });

  async function run(extra: Partial<Parameters<typeof runExperiment>[0]> = {}) {
    const events: RunEvent[] = [];
    const outcome = await runExperiment({
      ir,
      specText: BASE_SPEC,
      runsDir: path.join(tmp, 'runs'),
      backend: 'wasm',
      threads: 1,
      sink: (e) => events.push(e),
      shouldStop: () => false,
      ...extra,
    });
    return { outcome, events: events.filter((e): e is EpochEvent => e.type === 'epoch') };
  }

  it('a trained model saves and loads with the same layers, weights and outputs', async () => {
    const model = buildModel(ir);
    const optimizer = tf.train.adam(3e-3);
    const step = new TrainStep(model, optimizer, [1, 1, 1, 1, 1, 1, 1], true, [32, 32, 3]);
    const n = 6;
    const xs = rand(n * 32 * 32 * 3, 5);
    for (let i = 0; i < 3; i++) step.run(xs, Int32Array.from([0, 1, 2, 3, 4, 5]), n);
    step.dispose();
    const dir = path.join(tmp, 'saved');
    fs.mkdirSync(dir);
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(loaded.weights.map((w) => w.originalName)).toEqual(model.weights.map((w) => w.originalName));
    // Moving averages included: the training steps moved them away from their initial values.
    const before = weightValues(model);
    weightValues(loaded).forEach((w, i) => expect(w).toEqual(before[i]));
    const x = tf.tensor(rand(4 * 32 * 32 * 3, 6), [4, 32, 32, 3]);
    expect((loaded.predict(x) as tf.Tensor).dataSync()).toEqual((model.predict(x) as tf.Tensor).dataSync());
    model.dispose();
    loaded.dispose();
    optimizer.dispose();
  });

  it('trains one epoch, and predict on image files gives the same answers as the saved model', async () => {
    const { outcome, events } = await run({ ir: { ...ir, train: { ...ir.train, epochs: 1 } } });
    expect(outcome.status).toBe('finished');
    expect(events).toHaveLength(1);
    expect(Number.isFinite(events[0]!.train.loss)).toBe(true);
    const folder = path.resolve('../shared/data/fer2013-sample/val/happy');
    const images = fs
      .readdirSync(folder)
      .slice(0, 5)
      .map((f) => path.join(folder, f));
    const first = await predict(outcome.runDir, images, { backend: 'wasm' });
    expect(first).toHaveLength(5);
    for (const p of first) {
      expect(p.error).toBeUndefined();
      expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(p.label).toBe(Object.entries(p.probabilities).sort((a, b) => b[1] - a[1])[0]![0]);
    }
    // A second load of the same run folder answers the same.
    expect(await predict(outcome.runDir, images, { backend: 'wasm' })).toEqual(first);
  });

  it('stops after a batch with a checkpoint, and --resume continues to the same result', async () => {
    const ref = await run();
    const reference = ref.events;
    expect(reference).toHaveLength(2);
    let batches = 0;
    const first = await run({ shouldStop: () => ++batches >= 7 });
    expect(first.outcome.status).toBe('interrupted');
    const dir = first.outcome.runDir;
    expect(fs.existsSync(path.join(dir, 'checkpoint', 'state.json'))).toBe(true);
    const resumed = await run({ resume: dir });
    expect(resumed.outcome.status).toBe('finished');
    const lines = fs
      .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EpochEvent);
    expect(lines.map((e) => e.epoch)).toEqual([1, 2]);
    expect(lines.map((e) => [e.train.loss, e.val.loss, e.val.acc])).toEqual(reference.map((e) => [e.train.loss, e.val.loss, e.val.acc]));
    // The final metrics (the best epoch's model scored on validation) too.
    expect(resumed.outcome.summary.val).toEqual(ref.outcome.summary.val);
    expect(resumed.outcome.summary.bestEpoch).toBe(ref.outcome.summary.bestEpoch);
  });
});

// The language's blocks and residuals, compiled: the tfjs model the runtime builds has the shapes and
// parameter counts the compiler inferred (and explain shows), layer by layer and inside residual bodies.
const BLOCK_SPEC = `block down(f) residual relu {
  conv $f k3 s2 | bn | relu
  conv $f k3 | bn
}

block same(f) residual relu {
  conv $f k3 | bn | relu
  conv $f k3 | bn
}

experiment blocks {
  data {
    source builtin:faces
    images 28
    input 24x24x1
  }
  model {
    conv 8 k3 | bn | relu
    same 8
    down 16
    residual {
      same 16
      conv 16 k3 nobias | bn
    }
    avgpool 6
    flatten
    fc 7 | softmax
  }
}
`;

describe('a compiled spec with blocks and residuals', () => {
  it("builds a model with the compiler's shapes and parameter counts", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-blocks-'));
    fs.writeFileSync(path.join(dir, 'blocks.emo'), BLOCK_SPEC);
    const r = compile(path.join(dir, 'blocks.emo'), { validate: true });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const ir = r.experiments[0]!;
    expect(ir.layers.filter((l) => l.kind === 'residual').map((l) => (l.kind === 'residual' ? l.shortcut.kind : ''))).toEqual([
      'identity',
      'projection',
      'identity',
    ]);
    const model = buildModel(ir);
    expect(model.countParams()).toBe(ir.shapes.totalParams);
    const size = (ws: { shape: (number | null)[] }[]) => ws.reduce((a, w) => a + tf.util.sizeFromShape(w.shape as number[]), 0);
    expect(size(model.trainableWeights)).toBe(ir.shapes.trainableParams);
    // Each IR layer's output is that of the last tfjs layer made for it (layer order is topological).
    const outputOf = (prefix: string) => model.layers.filter((l) => l.name.startsWith(`${prefix}_`)).at(-1)!.outputShape as number[];
    const check = (layers: LayerIR[], shapes: typeof ir.shapes.layers, parent: string) => {
      layers.forEach((l, i) => {
        const prefix = `${parent}_${i}`.replace(/^_/, 'l');
        expect(outputOf(prefix).slice(1), prefix).toEqual(shapes[i]!.output);
        if (l.kind === 'residual') check(l.body, shapes[i]!.inner!, prefix);
      });
    };
    check(ir.layers, ir.shapes.layers, '');
    model.dispose();
  });
});
