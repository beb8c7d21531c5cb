// The trainable form of a tfjs graph model (runtime/backbones/trainable): its forward pass equals
// tfjs-converter's GraphModel on the shipped backbones, its gradients match central finite
// differences and the cpu backend on a small hand-made graph, gradients reach only the weights the
// caller overrides, and graphs with ops it cannot run are refused with the op and node named.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { BACKBONES } from '../compiler/backbones.ts';
import { TRAINABLE_GRAPH_OPS } from '../compiler/graph-ops.ts';
import { selectBackend } from '../runtime/backend/select.ts';
import { fileModelHandler } from '../runtime/backbones/io.ts';
import { resolveBackboneFile } from '../runtime/backbones/resolve.ts';
import { ModelFileError } from '../runtime/errors.ts';
import { UntrainableGraphError } from '../runtime/backbones/trainable/errors.ts';
import { TrainableGraph } from '../runtime/backbones/trainable/graph.ts';
import { TRAINABLE_OPS } from '../runtime/backbones/trainable/ops.ts';
import { ints, placeholder, str, strs, writeGraphModel, type GraphNodeDef, type GraphWeight } from './graph-model-fixture.ts';
import { rand, relErr } from './numeric-helpers.ts';

// ---------------------------------------------------------------------------------------------------
// Hand-made graph models, written the way tensorflowjs_converter writes them.

type Weight = GraphWeight;
type Node = GraphNodeDef;
const writeModel = writeGraphModel;

/** conv -> bias -> relu6 -> depthwise (stride 2, explicit padding) -> batch norm -> fused 1x1 conv
 * (bias, elu) -> global mean -> fused dense (bias, leaky relu 0.1). Input [n, 6, 6, 2], output [n, 3]. */
function smallGraph(dir: string): { path: string; weights: Weight[] } {
  const f = (name: string, shape: number[], seed: number, scale = 1, offset = 0): Weight => ({
    name,
    shape,
    values: rand(tf.util.sizeFromShape(shape), seed).map((v) => v * scale + offset),
  });
  const weights: Weight[] = [
    f('conv/w', [3, 3, 2, 4], 1, 0.6),
    f('conv/b', [4], 2, 0.5),
    f('dw/w', [3, 3, 4, 1], 3, 0.8),
    f('bn/scale', [4], 4, 0.3, 1),
    f('bn/offset', [4], 5, 0.2),
    f('bn/mean', [4], 6, 0.2),
    f('bn/var', [4], 7, 0.2, 1),
    f('pw/w', [1, 1, 4, 5], 8, 0.7),
    f('pw/b', [5], 9, 0.1),
    f('dense/w', [5, 3], 10, 0.8),
    f('dense/b', [3], 11, 0.1),
    { name: 'mean/axes', shape: [2], values: new Int32Array([1, 2]) },
  ];
  const conv = { strides: ints(1, 1, 1, 1), dilations: ints(1, 1, 1, 1), data_format: str('NHWC'), T: { type: 'DT_FLOAT' } };
  const nodes: Node[] = [
    placeholder('x', [-1, 6, 6, 2]),
    { name: 'conv/Conv2D', op: 'Conv2D', input: ['x', 'conv/w'], attr: { ...conv, padding: str('SAME') } },
    { name: 'conv/BiasAdd', op: 'BiasAdd', input: ['conv/Conv2D', 'conv/b'], attr: { data_format: str('NHWC') } },
    { name: 'conv/Relu6', op: 'Relu6', input: ['conv/BiasAdd'] },
    {
      name: 'dw/depthwise',
      op: 'DepthwiseConv2dNative',
      input: ['conv/Relu6', 'dw/w'],
      attr: { ...conv, strides: ints(1, 2, 2, 1), padding: str('EXPLICIT'), explicit_paddings: ints(0, 0, 1, 1, 1, 1, 0, 0) },
    },
    {
      name: 'bn/FusedBatchNormV3',
      op: 'FusedBatchNormV3',
      input: ['dw/depthwise', 'bn/scale', 'bn/offset', 'bn/mean', 'bn/var'],
      attr: { epsilon: { f: 0.001 }, data_format: str('NHWC'), is_training: { b: false } },
    },
    {
      name: 'pw/Elu',
      op: '_FusedConv2D',
      input: ['bn/FusedBatchNormV3', 'pw/w', 'pw/b'],
      attr: { ...conv, padding: str('VALID'), fused_ops: strs('BiasAdd', 'Elu'), num_args: { i: '1' }, explicit_paddings: { list: {} } },
    },
    { name: 'pool/Mean', op: 'Mean', input: ['pw/Elu', 'mean/axes'], attr: { keep_dims: { b: false } } },
    {
      name: 'out',
      op: '_FusedMatMul',
      input: ['pool/Mean', 'dense/w', 'dense/b'],
      attr: {
        transpose_a: { b: false },
        transpose_b: { b: false },
        fused_ops: strs('BiasAdd', 'LeakyRelu'),
        num_args: { i: '1' },
        leakyrelu_alpha: { f: 0.1 },
      },
    },
  ];
  return { path: writeModel(dir, nodes, weights), weights };
}

const SMALL_PARAMS = ['conv/w', 'conv/b', 'dw/w', 'bn/scale', 'bn/offset', 'pw/w', 'pw/b', 'dense/w', 'dense/b'];

// ---------------------------------------------------------------------------------------------------

let dir: string;
let wasm = false;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'emoc-trainable-'));
  const info = await selectBackend({ prefer: 'wasm', threads: 1 }).catch(() => null);
  wasm = info?.name === 'wasm';
  if (!wasm) await tf.setBackend('cpu');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The registry's model file of a shipped backbone. */
function modelPath(name: string): string {
  const found = resolveBackboneFile(name, null, '.');
  if ('error' in found) throw new Error(found.error);
  return found.path;
}

/** A GraphModel of `path` whose input accepts any height and width (the stock one insists on the
 * converted size; the network itself is fully convolutional up to its global pooling). */
async function anySizeGraphModel(path: string): Promise<GraphModel> {
  const artifacts = await fileModelHandler(path).load!();
  const topology = artifacts.modelTopology as { node: Node[] };
  for (const n of topology.node) {
    const dims = (n.attr as { shape?: { shape?: { dim?: { size: string }[] } } } | undefined)?.shape?.shape?.dim;
    if (n.op === 'Placeholder' && dims) dims.forEach((d, i) => (d.size = i === 1 || i === 2 ? '-1' : d.size));
  }
  delete artifacts.signature;
  return loadGraphModel({ load: async () => artifacts });
}

describe('op table', () => {
  it('has one function for every op of compiler/graph-ops.ts, and no other', () => {
    expect(Object.keys(TRAINABLE_OPS).sort()).toEqual([...TRAINABLE_GRAPH_OPS].sort());
  });
});

describe('forward pass equals the GraphModel', () => {
  const cases: Array<[string, number]> = [
    ['expression', 64],
    ['faceres', 224],
    ['faceres', 96],
  ];
  it.each(cases)('%s at %i pixels square, at the registry tap nodes', async (name, size) => {
    const spec = BACKBONES[name]!;
    const path = modelPath(name);
    const graph = await TrainableGraph.load(path);
    const model = size === spec.input[0] ? await loadGraphModel(fileModelHandler(path)) : await anySizeGraphModel(path);
    expect(graph.unknownOps()).toEqual([]);
    const nodes = [...new Set(Object.values(spec.taps).map((t) => t.node))];
    const c = spec.input[2];
    const x = tf.tensor4d(
      rand(2 * size * size * c, 7).map((v) => (v + 1) * 100),
      [2, size, size, c],
    );
    const ours = graph.execute(x, nodes);
    const theirs = model.execute(x, nodes) as tf.Tensor[];
    nodes.forEach((node, i) => {
      expect(ours[i]!.shape, node).toEqual(theirs[i]!.shape);
      expect(relErr(ours[i]!.dataSync(), theirs[i]!.dataSync()), node).toBeLessThan(1e-5);
      // Something other than zeros came out (a dead network would compare equal too).
      expect(tf.max(tf.abs(theirs[i]!)).dataSync()[0]).toBeGreaterThan(0);
    });
    tf.dispose([x, ...ours, ...theirs]);
    model.dispose();
    graph.dispose();
  });

  it('the hand-made graph (explicit padding, fused ops, batch norm) equals the GraphModel too', async () => {
    const { path } = smallGraph(mkdtempSync(join(dir, 'fwd-')));
    const graph = await TrainableGraph.load(path);
    const model = await loadGraphModel(fileModelHandler(path));
    const x = tf.tensor4d(
      rand(3 * 6 * 6 * 2, 3).map((v) => v * 3),
      [3, 6, 6, 2],
    );
    const [ours] = graph.execute(x, ['out']);
    const theirs = model.execute(x, 'out') as tf.Tensor;
    expect(ours!.shape).toEqual([3, 3]);
    expect(relErr(ours!.dataSync(), theirs.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, ours!, theirs]);
    model.dispose();
    graph.dispose();
  });

  it('frees every intermediate value: only the outputs outlive execute', async () => {
    const graph = await TrainableGraph.load(modelPath('expression'));
    const x = tf.zeros([1, 64, 64, 1]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const out = graph.execute(x, ['StatefulPartitionedCall/model_1/add_2/add', 'input_1']);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose(out);
    // The input asked for as an output came back as its own handle: disposing it left x alive.
    expect(x.isDisposed).toBe(false);
    tf.dispose(x);
    graph.dispose();
  });
});

describe('parameters', () => {
  it('are the float weights in the order the network uses them; shapes, axes and running statistics are not', async () => {
    const { path } = smallGraph(mkdtempSync(join(dir, 'params-')));
    const graph = await TrainableGraph.load(path);
    expect(graph.weightNames()).toEqual(SMALL_PARAMS);
    expect(graph.weight('bn/mean').shape).toEqual([4]);
    graph.dispose();
  });

  it("faceres: each conv's kernel and its folded batch norm count, relu6's clip bounds do not; trunk first, heads last", async () => {
    const graph = await TrainableGraph.load(modelPath('faceres'));
    const names = graph.weightNames();
    // faceres.json: 14 Conv2D and 13 depthwise kernels, an Add offset after each of the 27 (the
    // converter folded the pointwise convs' batch-norm scale into the kernel, and kept a Mul scale for
    // the 13 depthwise ones), and 3 dense layers (feats, gender, age) with kernel and bias.
    expect(names.length).toBe(27 + 27 + 13 + 3 * 2);
    // relu6's bounds are scalar Consts (conv1_relu/Cast = 6, conv1_relu/Const_1 = 0): none of them.
    expect(names.filter((n) => n.includes('_relu/'))).toEqual([]);
    for (const n of names) expect(graph.weight(n).rank, n).toBeGreaterThan(0);
    expect(names[0]).toBe('conv1/convolution/merged_input');
    expect(names.indexOf('conv_pw_13/convolution/merged_input')).toBeLessThan(names.indexOf('feats/kernel'));
    expect(graph.weightUsers('conv_dw_1/depthwise_kernel')).toEqual(['conv_dw_1/depthwise']);
    // The avgpool tap needs the trunk alone; feats/Relu adds its own dense layer.
    const trunk = graph.weightNames(['global_pooling/Mean']);
    expect(trunk).toEqual(names.slice(0, 27 + 27 + 13));
    expect(graph.weightNames(['feats/Relu'])).toEqual([...trunk, 'feats/kernel', 'feats/bias']);
    graph.dispose();
  });
});

// ---------------------------------------------------------------------------------------------------
// Gradients on the small graph.

describe('gradients', () => {
  /** loss = sum(out * probe): every output element matters. */
  function lossOf(graph: TrainableGraph, x: tf.Tensor4D, probe: tf.Tensor, overrides: Map<string, tf.Tensor>): tf.Scalar {
    const [out] = graph.execute(x, ['out'], overrides);
    return tf.sum(tf.mul(out!, probe)) as tf.Scalar;
  }

  /** Gradients of the loss w.r.t. every parameter, given as tf.Variable overrides, on the current backend. */
  function variableGradients(graph: TrainableGraph, xv: Float32Array, n: number): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    tf.tidy(() => {
      const x = tf.tensor4d(xv, [n, 6, 6, 2]);
      const probe = tf.tensor2d(rand(n * 3, 99), [n, 3]);
      const vars = new Map(graph.weightNames().map((w) => [w, tf.variable(graph.weight(w).clone(), true, `grad-${w}-${Math.random()}`)]));
      const { grads } = tf.variableGrads(() => lossOf(graph, x, probe, vars), [...vars.values()]);
      vars.forEach((v, w) => out.set(w, grads[v.name]!.dataSync() as Float32Array));
      tf.dispose(Object.values(grads));
      vars.forEach((v) => v.dispose());
    });
    return out;
  }

  it('match central finite differences for every parameter (cpu backend)', async () => {
    const { path } = smallGraph(mkdtempSync(join(dir, 'fd-')));
    const graph = await TrainableGraph.load(path);
    const back = tf.getBackend();
    await tf.setBackend('cpu');
    try {
      const n = 2;
      const xv = rand(n * 6 * 6 * 2, 5).map((v) => v * 3);
      const grads = variableGradients(graph, xv, n);
      const x = tf.tensor4d(xv, [n, 6, 6, 2]);
      const probe = tf.tensor2d(rand(n * 3, 99), [n, 3]);
      // Small steps: the graph is piecewise smooth (relu6, leaky relu), and a step across a kink spoils the difference.
      const eps = 1e-3;
      for (const name of SMALL_PARAMS) {
        const w = graph.weight(name);
        const base = w.dataSync() as Float32Array;
        const g = grads.get(name)!;
        expect(
          g.some((v) => v !== 0),
          name,
        ).toBe(true);
        const scale = Math.max(...g.map(Math.abs));
        for (const i of [0, Math.floor(base.length / 2), base.length - 1]) {
          const at = (d: number): number =>
            tf.tidy(() => {
              const moved = base.slice();
              moved[i]! += d;
              return lossOf(graph, x, probe, new Map([[name, tf.tensor(moved, w.shape)]])).dataSync()[0]!;
            });
          const fd = (at(eps) - at(-eps)) / (2 * eps);
          expect(Math.abs(fd - g[i]!), `${name}[${i}]: analytic ${g[i]}, finite difference ${fd}`).toBeLessThan(1e-2 * scale + 1e-4);
        }
      }
      tf.dispose([x, probe]);
    } finally {
      await tf.setBackend(back);
      graph.dispose();
    }
  });

  it('are the same on the wasm backend as on the cpu backend', async () => {
    expect(wasm, 'the wasm backend starts in tests (runtime/backend/select.ts)').toBe(true);
    const { path } = smallGraph(mkdtempSync(join(dir, 'backends-')));
    const graph = await TrainableGraph.load(path);
    const n = 3;
    const xv = rand(n * 6 * 6 * 2, 11).map((v) => v * 3);
    await tf.setBackend('cpu');
    const cpu = variableGradients(graph, xv, n);
    await tf.setBackend('wasm');
    // The graph's constants were made on the cpu backend; tfjs moves them across on first use.
    const onWasm = variableGradients(graph, xv, n);
    for (const name of SMALL_PARAMS) expect(relErr(onWasm.get(name)!, cpu.get(name)!), name).toBeLessThan(1e-4);
    graph.dispose();
  });

  it('run() from a frozen prefix computed outside the tape gives the same output and tail gradients as execute()', async () => {
    const { path } = smallGraph(mkdtempSync(join(dir, 'run-')));
    const graph = await TrainableGraph.load(path);
    const x = tf.tensor4d(
      rand(2 * 6 * 6 * 2, 17).map((v) => v * 3),
      [2, 6, 6, 2],
    );
    const probe = tf.tensor2d(rand(2 * 3, 99), [2, 3]);
    const tail = ['pw/w', 'pw/b', 'dense/w', 'dense/b'];
    const vars = new Map(tail.map((w) => [w, tf.variable(graph.weight(w).clone(), true, `run-${w}`)]));
    const full = tf.variableGrads(() => lossOf(graph, x, probe, vars), [...vars.values()]);
    const [mid] = graph.execute(x, ['bn/FusedBatchNormV3']);
    const fromMid = tf.variableGrads(() => {
      const [out] = graph.run(new Map([['bn/FusedBatchNormV3', mid!]]), ['out'], vars);
      return tf.sum(tf.mul(out!, probe)) as tf.Scalar;
    }, [...vars.values()]);
    expect(fromMid.value.dataSync()[0]).toBeCloseTo(full.value.dataSync()[0]!, 5);
    for (const w of tail) expect(relErr(fromMid.grads[`run-${w}`]!.dataSync(), full.grads[`run-${w}`]!.dataSync()), w).toBeLessThan(1e-6);
    tf.dispose([x, probe, mid!, full.value, fromMid.value, ...Object.values(full.grads), ...Object.values(fromMid.grads)]);
    vars.forEach((v) => v.dispose());
    graph.dispose();
  });

  it('reach only the overridden weights: an optimizer step over the last layers changes nothing upstream', async () => {
    const { path } = smallGraph(mkdtempSync(join(dir, 'only-')));
    const graph = await TrainableGraph.load(path);
    const before = new Map(graph.weightNames().map((w) => [w, (graph.weight(w).dataSync() as Float32Array).slice()]));
    const vars = new Map(graph.weightNames().map((w) => [w, tf.variable(graph.weight(w).clone(), true, `only-${w}`)]));
    const last = ['pw/w', 'pw/b', 'dense/w', 'dense/b'];
    const x = tf.tensor4d(
      rand(2 * 6 * 6 * 2, 13).map((v) => v * 3),
      [2, 6, 6, 2],
    );
    const probe = tf.tensor2d(rand(2 * 3, 99), [2, 3]);
    const opt = tf.train.sgd(0.5);
    const { value, grads } = tf.variableGrads(
      () => lossOf(graph, x, probe, vars),
      last.map((w) => vars.get(w)!),
    );
    expect(Object.keys(grads).sort()).toEqual(last.map((w) => `only-${w}`).sort());
    opt.applyGradients(grads);
    for (const [w, v] of vars) {
      const now = v.dataSync() as Float32Array;
      if (last.includes(w)) expect(now, w).not.toEqual(before.get(w));
      else expect(now, w).toEqual(before.get(w));
      // The graph's own constants are never written: bit-identical after the step.
      expect(graph.weight(w).dataSync(), w).toEqual(before.get(w));
    }
    // Overriding only the last conv: a gradient exists for it alone; the constants upstream are not variables.
    const only = new Map([['pw/w', vars.get('pw/w')!]]);
    const g2 = tf.variableGrads(() => lossOf(graph, x, probe, only), [vars.get('pw/w')!]);
    expect(Object.keys(g2.grads)).toEqual(['only-pw/w']);
    tf.dispose([x, probe, value, g2.value, ...Object.values(grads), ...Object.values(g2.grads)]);
    vars.forEach((v) => v.dispose());
    opt.dispose();
    graph.dispose();
  });
});

describe('relu6 written as Relu, Minimum(6), Maximum(0) (as faceres has it)', () => {
  function relu6Graph(): string {
    const conv = { strides: ints(1, 1, 1, 1), padding: str('SAME'), data_format: str('NHWC') };
    return writeModel(
      mkdtempSync(join(dir, 'relu6-')),
      [
        placeholder('x', [-1, 5, 5, 2]),
        { name: 'conv', op: 'Conv2D', input: ['x', 'w'], attr: conv },
        { name: 'relu', op: 'Relu', input: ['conv'] },
        { name: 'min', op: 'Minimum', input: ['relu', 'six'] },
        { name: 'act', op: 'Maximum', input: ['min', 'zero'] },
      ],
      [
        { name: 'w', shape: [3, 3, 2, 3], values: rand(54, 21).map((v) => v * 4) },
        { name: 'six', shape: [], values: new Float32Array([6]) },
        { name: 'zero', shape: [], values: new Float32Array([0]) },
      ],
    );
  }

  it('computes relu6 of its input, with the same gradient, whether or not an intermediate node is asked for', async () => {
    const graph = await TrainableGraph.load(relu6Graph());
    const x = tf.tensor4d(rand(2 * 5 * 5 * 2, 22), [2, 5, 5, 2]);
    const w = tf.variable(graph.weight('w').clone(), true, 'relu6-w');
    const probe = tf.tensor(rand(2 * 5 * 5 * 3, 23), [2, 5, 5, 3]);
    const direct = tf.variableGrads(() => tf.sum(tf.mul(tf.relu6(tf.conv2d(x, w as tf.Tensor4D, 1, 'same')), probe)) as tf.Scalar, [w]);
    const graphGrad = (outputs: string[]) =>
      tf.variableGrads(() => tf.sum(tf.mul(graph.execute(x, outputs, new Map([['w', w]]))[0]!, probe)) as tf.Scalar, [w]);
    const fused = graphGrad(['act']);
    const written = graphGrad(['act', 'relu']);
    // Both paths really clip: some pre-activations lie above 6 and some below 0.
    const pre = tf.conv2d(x, w as tf.Tensor4D, 1, 'same');
    expect(tf.max(pre).dataSync()[0]).toBeGreaterThan(6);
    expect(tf.min(pre).dataSync()[0]).toBeLessThan(0);
    for (const g of [fused, written]) {
      expect(g.value.dataSync()[0]).toBeCloseTo(direct.value.dataSync()[0]!, 4);
      expect(relErr(g.grads['relu6-w']!.dataSync(), direct.grads['relu6-w']!.dataSync())).toBeLessThan(1e-5);
    }
    // Asked for its end alone, the chain runs as one Relu6 kernel (the speed rewrite of rewrite.ts).
    const kernels = async (outputs: string[]) => (await tf.profile(() => tf.dispose(graph.execute(x, outputs)))).kernels.map((k) => k.name);
    expect(await kernels(['act'])).toEqual(expect.arrayContaining(['Relu6']));
    expect(await kernels(['act'])).not.toEqual(expect.arrayContaining(['Minimum']));
    expect(await kernels(['act', 'relu'])).toEqual(expect.arrayContaining(['Relu', 'Minimum', 'Maximum']));
    tf.dispose([x, w, probe, pre, ...[direct, fused, written].flatMap((g) => [g.value, ...Object.values(g.grads)])]);
    graph.dispose();
  });
});

// ---------------------------------------------------------------------------------------------------

describe('graphs emoc cannot train', () => {
  it('an unknown op is refused, naming the op and its node', async () => {
    const path = writeModel(
      mkdtempSync(join(dir, 'erf-')),
      [placeholder('x', [-1, 4, 4, 1]), { name: 'gelu/Erf', op: 'Erf', input: ['x'] }, { name: 'out', op: 'Relu', input: ['gelu/Erf'] }],
      [],
    );
    const graph = await TrainableGraph.load(path);
    expect(graph.unknownOps()).toEqual([{ op: 'Erf', node: 'gelu/Erf' }]);
    let err: unknown;
    try {
      graph.assertRunnable();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UntrainableGraphError);
    expect((err as UntrainableGraphError).op).toBe('Erf');
    expect((err as UntrainableGraphError).node).toBe('gelu/Erf');
    expect((err as UntrainableGraphError).located).toContain(path);
    expect((err as Error).message).toMatch(/'Erf'.*'gelu\/Erf'/);
    const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
    expect(() => graph.execute(x, ['out'])).toThrow(UntrainableGraphError);
    // The part of the graph before the unknown op still runs.
    expect(graph.unknownOps(['x'])).toEqual([]);
    // ... and so does the part after it, fed with the unknown op's value.
    const erf = tf.fill([1, 4, 4, 1], -1);
    const [after] = graph.run(new Map([['gelu/Erf', erf]]), ['out']);
    expect(Array.from(after!.dataSync())).toEqual(new Array(16).fill(0));
    tf.dispose([after!, erf]);
    x.dispose();
    graph.dispose();
  });

  it('a weight file shorter than its manifest is a ModelFileError naming the model file', async () => {
    const d = mkdtempSync(join(dir, 'short-'));
    const { path } = smallGraph(d);
    writeFileSync(join(d, 'weights.bin'), Buffer.alloc(40));
    const err = await TrainableGraph.load(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect((err as ModelFileError).where).toBe(path);
    expect((err as Error).message).toMatch(/weight files hold 40 bytes/);
  });

  it('NCHW data is refused with the node named, not computed as NHWC', async () => {
    const path = writeModel(
      mkdtempSync(join(dir, 'nchw-')),
      [
        placeholder('x', [-1, 1, 4, 4]),
        { name: 'c', op: 'Conv2D', input: ['x', 'w'], attr: { strides: ints(1, 1, 1, 1), padding: str('SAME'), data_format: str('NCHW') } },
      ],
      [{ name: 'w', shape: [1, 1, 1, 1], values: new Float32Array([1]) }],
    );
    const graph = await TrainableGraph.load(path);
    const x = tf.zeros([1, 1, 4, 4]) as tf.Tensor4D;
    expect(() => graph.execute(x, ['c'])).toThrow(/node 'c' \(Conv2D\): data_format NCHW/);
    x.dispose();
    graph.dispose();
  });
});
