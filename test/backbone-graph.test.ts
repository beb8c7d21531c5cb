// The compiler's tensor-free analysis of graph backbones for fine-tuning (compiler/backbone-graph.ts):
// blocks, unknown ops, shapes and cost at other input sizes, trainable vs frozen parameters.
// Expected numbers come from the published MobileNetV1 architecture (faceres is a width-1.0 MobileNetV1
// with folded batch norms), from hand-worked conv arithmetic, or from the weights manifest read here
// independently; none is copied from the code under test.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  analyseGraph,
  FACERES_BLOCK_RULE,
  GraphModelError,
  paramsFor,
  readGraphConsts,
  stripBlockSuffix,
} from '../compiler/backbone-graph.ts';
import { compile } from '../compiler/compile.ts';
import { explain } from '../compiler/explain.ts';
import { BACKBONES } from '../compiler/backbones.ts';
import { findPackageDir } from '../runtime/backbones/resolve.ts';

const humanDir = findPackageDir('@vladmandic/human', [import.meta.url])!;
const FACERES_PATH = join(humanDir, BACKBONES.faceres.file);
const EMOTION_PATH = join(humanDir, BACKBONES.expression.file);
const FACERES = readFileSync(FACERES_PATH, 'utf8');
const EMOTION = readFileSync(EMOTION_PATH, 'utf8');
const AVGPOOL = BACKBONES.faceres.taps.avgpool.node; // global_pooling/Mean
const BOTTLENECK = BACKBONES.faceres.taps.bottleneck.node; // feats/Relu
const E_ADD2 = BACKBONES.expression.taps.avgpool.node; // .../add_2/add
const E_LOGITS = BACKBONES.expression.taps.logits.node; // .../global_average_pooling2d_1/Mean

// MobileNetV1 (Howard et al. 2017, table 1), width 1.0: a 3x3 stride-2 conv to 32 channels, then 13
// depthwise-separable layers (3x3 depthwise with the given stride, then 1x1 pointwise to `out` channels).
const MOBILENET = [
  { stride: 1, out: 64 },
  { stride: 2, out: 128 },
  { stride: 1, out: 128 },
  { stride: 2, out: 256 },
  { stride: 1, out: 256 },
  { stride: 2, out: 512 },
  { stride: 1, out: 512 },
  { stride: 1, out: 512 },
  { stride: 1, out: 512 },
  { stride: 1, out: 512 },
  { stride: 1, out: 512 },
  { stride: 2, out: 1024 },
  { stride: 1, out: 1024 },
];

/** Multiply-adds of MobileNetV1's convolutions at side x side, SAME padding (out = ceil(in / stride)). */
function mobilenetMacs(side: number): number {
  let s = Math.ceil(side / 2);
  let c = 32;
  let macs = s * s * 3 * 3 * 3 * 32;
  for (const { stride, out } of MOBILENET) {
    s = Math.ceil(s / stride);
    macs += s * s * 9 * c; // depthwise
    macs += s * s * c * out; // pointwise
    c = out;
  }
  return macs;
}

/**
 * Parameters per block of faceres as converted: batch norm folded, so conv1 and each pointwise conv carry a
 * bias (`_bn/batchnorm_1/sub`), each depthwise conv a scale and a bias (`mul`, `sub`).
 */
function mobilenetBlockParams(): number[] {
  const out = [3 * 3 * 3 * 32 + 32];
  let c = 32;
  for (const { out: o } of MOBILENET) {
    out.push(9 * c + 2 * c + c * o + o);
    c = o;
  }
  return out;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function faceres(side: number, outputs = [AVGPOOL], withConsts = true) {
  return analyseGraph(FACERES, {
    input: [side, side, 3],
    outputs,
    blockRule: FACERES_BLOCK_RULE,
    consts: withConsts ? readGraphConsts(FACERES_PATH, FACERES) : undefined,
  });
}

// ---- a tiny hand-made model.json ----

type Attr = Record<string, unknown>;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const ints = (xs: number[]): Attr => ({ list: { i: xs.map(String) } });
const conv = (strides: number, padding: string): Attr => ({
  strides: ints([1, strides, strides, 1]),
  padding: { s: b64(padding) },
  dilations: ints([1, 1, 1, 1]),
  data_format: { s: b64('NHWC') },
});

function tinyModel(
  nodes: Array<{ name: string; op: string; input?: string[]; attr?: Attr }>,
  weights: Array<{ name: string; shape: number[]; dtype?: string }>,
  input: [number, number, number] = [8, 8, 2],
): string {
  const placeholder = {
    name: 'x',
    op: 'Placeholder',
    attr: { shape: { shape: { dim: [-1, ...input].map((size) => ({ size: String(size) })) } }, dtype: { type: 'DT_FLOAT' } },
  };
  const consts = weights.map((w) => ({ name: w.name, op: 'Const', attr: {} }));
  return JSON.stringify({
    format: 'graph-model',
    modelTopology: { node: [...consts, placeholder, ...nodes] },
    weightsManifest: [{ paths: ['tiny.bin'], weights: weights.map((w) => ({ dtype: 'float32', ...w })) }],
  });
}

describe('faceres blocks', () => {
  it('are conv1 and the 13 depthwise-separable layers below the global pooling, with MobileNetV1 sizes', () => {
    const a = faceres(224);
    expect(a.blocks.map((b) => b.name)).toEqual(['conv1', ...MOBILENET.map((_, k) => `block_${k + 1}`)]);
    expect(a.blocks.map((b) => b.params)).toEqual(mobilenetBlockParams());
    expect(
      a.blocks
        .at(-1)!
        .weights.map((w) => w.name)
        .sort(),
    ).toEqual(
      [
        'conv_dw_13/depthwise_kernel',
        'conv_dw_13_bn/batchnorm_1/mul',
        'conv_dw_13_bn/batchnorm_1/sub',
        'conv_pw_13/convolution/merged_input',
        'conv_pw_13_bn/batchnorm_1/sub',
      ].sort(),
    );
  });

  it('count every float weight of the manifest below the tap, and nothing after it', () => {
    // Independently: the manifest's float weights of rank >= 1, less the heads that read global_pooling/Mean.
    const manifest = JSON.parse(FACERES).weightsManifest[0].weights as Array<{ name: string; shape: number[]; dtype: string }>;
    const heads = /^(feats|age_pred|gender_pred)\//;
    const below = manifest.filter((w) => w.dtype === 'float32' && w.shape.length > 0 && !heads.test(w.name));
    const a = faceres(224);
    expect(a.params).toBe(sum(below.map((w) => w.shape.reduce((x, y) => x * y, 1))));
    expect(a.params).toBe(sum(mobilenetBlockParams()));
    const names = a.blocks.flatMap((b) => b.weights.map((w) => w.name));
    expect(names.some((n) => heads.test(n))).toBe(false);
    // ReLU6's scalar clip bounds are structure, not weights.
    expect(names.some((n) => n.endsWith('/Cast') || n.endsWith('/Const_1'))).toBe(false);
  });

  it('add the bottleneck dense layer for the feats tap, but never the gender and age heads after it', () => {
    const a = faceres(224, [BOTTLENECK]);
    expect(a.blocks.length).toBe(15);
    expect(a.blocks.at(-1)!.name).toBe('feats');
    expect(a.blocks.at(-1)!.params).toBe(1024 * 256 + 256);
    expect(a.params).toBe(sum(mobilenetBlockParams()) + 1024 * 256 + 256);
    expect(a.blocks.flatMap((b) => b.weights.map((w) => w.name)).some((n) => /age_pred|gender_pred/.test(n))).toBe(false);
  });

  it('without the registry rule fall back to one block per scope, a conv and its batch norm together', () => {
    const a = analyseGraph(FACERES, { input: [224, 224, 3], outputs: [AVGPOOL] });
    expect(a.blocks.length).toBe(1 + 2 * 13);
    expect(a.blocks.slice(0, 3).map((b) => b.name)).toEqual(['conv1', 'conv_dw_1', 'conv_pw_1']);
    expect(a.blocks[1].weights.map((w) => w.name)).toEqual([
      'conv_dw_1/depthwise_kernel',
      'conv_dw_1_bn/batchnorm_1/mul',
      'conv_dw_1_bn/batchnorm_1/sub',
    ]);
  });
});

describe('faceres shapes and cost', () => {
  it('gives the taps 1024 and 256 wide at 224, 112 and 96', () => {
    for (const side of [224, 112, 96]) {
      const a = faceres(side, [AVGPOOL, BOTTLENECK]);
      expect(a.inputOk).toBe(true);
      expect(a.outputShapes).toEqual({ [AVGPOOL]: [1024], [BOTTLENECK]: [256] });
      expect(a.unknownOps).toEqual([]);
    }
  });

  it("counts MobileNetV1's multiply-adds (about 568M at 224, width 1.0, without the classifier)", () => {
    for (const side of [224, 112, 96]) {
      const a = faceres(side);
      expect(a.macsPerImage).toBe(mobilenetMacs(side));
      // FLOPs: 2 per multiply-add plus a few per activation element (batch norm, ReLU6): a few percent more.
      expect(a.flopsPerImage!).toBeGreaterThan(2 * mobilenetMacs(side));
      expect(a.flopsPerImage!).toBeLessThan(2 * mobilenetMacs(side) * 1.05);
    }
    expect(mobilenetMacs(224)).toBeGreaterThan(565e6);
    expect(mobilenetMacs(224)).toBeLessThan(570e6);
  });

  it('scales the cost with the pixel count', () => {
    const full = faceres(224).flopsPerImage!;
    expect(faceres(96).flopsPerImage! / full).toBeCloseTo((96 / 224) ** 2, 2);
    expect(faceres(112).flopsPerImage! / full).toBeCloseTo((112 / 224) ** 2, 1);
  });

  it('reads the global pooling axes from the weight shard, and assumes the same without them', () => {
    expect(readGraphConsts(FACERES_PATH, FACERES).get('global_pooling/Mean/reduction_indices')).toEqual([1, 2]);
    const guessed = faceres(96, [AVGPOOL], false);
    expect(guessed.outputShapes[AVGPOOL]).toEqual([1024]);
    expect(guessed.assumptions.length).toBe(1);
    expect(faceres(96).assumptions).toEqual([]);
  });

  it('refuses a greyscale input for a colour network, naming the channels', () => {
    const a = analyseGraph(FACERES, { input: [96, 96, 1], outputs: [AVGPOOL] });
    expect(a.inputOk).toBe(false);
    expect(a.reason).toMatch(/3 channels/);
    expect(a.flopsPerImage).toBeNull();
  });

  it('reports the native input size from the placeholder', () => {
    expect(faceres(96).nativeInput).toEqual([224, 224, 3]);
  });
});

describe('expression network', () => {
  const consts = readGraphConsts(EMOTION_PATH, EMOTION);
  const expression = (side: number, outputs = [E_ADD2, E_LOGITS]) => analyseGraph(EMOTION, { input: [side, side, 1], outputs, consts });

  it('strips the common StatefulPartitionedCall/model_1 scope and names unscoped weights by their reader', () => {
    const a = expression(64, [E_ADD2]);
    expect(a.blocks.map((b) => b.name)).toEqual([
      'conv2d_1',
      'conv2d_2',
      'separable_conv2d_1',
      'conv2d_3',
      'separable_conv2d_2',
      'conv2d_4',
      'separable_conv2d_3',
      'separable_conv2d_4',
    ]);
    // separable_conv2d_1: 3x3 depthwise over 64 channels (stored as unknown_9), 1x1 64->128, bias 128.
    const sep1 = a.blocks[2];
    expect(sep1.weights.map((w) => w.name)).toContain('unknown_9');
    expect(sep1.params).toBe(9 * 64 + 64 * 128 + 128);
    // The 7-class conv after add_2 only counts for the logits tap.
    const b = expression(64, [E_LOGITS]);
    expect(b.blocks.at(-1)!.name).toBe('conv2d_5');
    expect(b.blocks.at(-1)!.params).toBe(3 * 3 * 256 * 7 + 7);
    const manifest = JSON.parse(EMOTION).weightsManifest[0].weights as Array<{ shape: number[]; dtype: string }>;
    const all = sum(manifest.filter((w) => w.dtype === 'float32').map((w) => w.shape.reduce((x, y) => x * y, 1)));
    expect(b.params).toBe(all);
    expect(a.params).toBe(all - (3 * 3 * 256 * 7 + 7));
  });

  it('gives the hand-worked shapes at 64 and 48', () => {
    // 64: 3x3/2 VALID -> 31, 3x3 VALID -> 29, then two stride-2 SAME stages -> 15 -> 8.
    expect(expression(64).outputShapes).toEqual({ [E_ADD2]: [8, 8, 256], [E_LOGITS]: [7] });
    // 48: -> 23 -> 21 -> 11 -> 6.
    expect(expression(48).outputShapes).toEqual({ [E_ADD2]: [6, 6, 256], [E_LOGITS]: [7] });
  });

  it('refuses an input too small for its VALID convolutions, naming the layer', () => {
    // 4: 3x3/2 VALID -> 1, then a 3x3 VALID conv has nothing left.
    const a = expression(4);
    expect(a.inputOk).toBe(false);
    expect(a.reason).toMatch(/too small/);
    expect(a.reasonNode).toBe('StatefulPartitionedCall/model_1/block1_conv2_act/Relu');
    expect(a.outputShapes[E_ADD2]).toBeNull();
    expect(expression(7).inputOk).toBe(true); // 7 -> 3 -> 1
    expect(expression(6).inputOk).toBe(false); // 6 -> 2 -> 0
  });
});

describe('hand-made graphs', () => {
  const convWeights = [
    { name: 'conv/kernel', shape: [1, 1, 2, 4] },
    { name: 'head/kernel', shape: [4, 3] },
  ];

  it('names an op emoc cannot train, in graph order, only on the way to the outputs', () => {
    const json = tinyModel(
      [
        { name: 'conv/Conv2D', op: 'Conv2D', input: ['x', 'conv/kernel'], attr: conv(1, 'SAME') },
        { name: 'conv/gelu/Erf', op: 'Erf', input: ['conv/Conv2D'] },
        { name: 'conv/Relu', op: 'Relu', input: ['conv/gelu/Erf'] },
        { name: 'late/Erfc', op: 'Erfc', input: ['conv/Relu'] },
      ],
      convWeights,
    );
    const a = analyseGraph(json, { input: [8, 8, 2], outputs: ['conv/Relu'] });
    expect(a.unknownOps).toEqual([{ node: 'conv/gelu/Erf', op: 'Erf' }]);
    expect(a.inputOk).toBe(false);
    expect(a.reason).toContain('Erf');
    expect(a.reasonNode).toBe('conv/gelu/Erf');
    const later = analyseGraph(json, { input: [8, 8, 2], outputs: ['late/Erfc'] });
    expect(later.unknownOps.map((u) => u.op)).toEqual(['Erf', 'Erfc']);
  });

  it('checks a fixed Reshape against the input size', () => {
    const json = tinyModel(
      [
        { name: 'flat/Reshape', op: 'Reshape', input: ['x', 'flat/shape'] },
        { name: 'flat2/Reshape', op: 'Reshape', input: ['x', 'flat2/shape'] },
        { name: 'head/MatMul', op: 'MatMul', input: ['flat/Reshape', 'head/kernel'] },
      ],
      [
        { name: 'flat/shape', shape: [2], dtype: 'int32' },
        { name: 'flat2/shape', shape: [2], dtype: 'int32' },
        { name: 'head/kernel', shape: [32, 3] },
      ],
      [4, 4, 2],
    );
    const consts = new Map([
      ['flat/shape', [1, 32]],
      ['flat2/shape', [-1, 32]],
    ]);
    const ok = analyseGraph(json, { input: [4, 4, 2], outputs: ['head/MatMul', 'flat2/Reshape'], consts });
    expect(ok.inputOk).toBe(true);
    expect(ok.outputShapes).toEqual({ 'head/MatMul': [3], 'flat2/Reshape': [32] });
    expect(ok.macsPerImage).toBe(32 * 3);
    const big = analyseGraph(json, { input: [8, 8, 2], outputs: ['head/MatMul'], consts });
    expect(big.inputOk).toBe(false);
    expect(big.reasonNode).toBe('flat/Reshape');
    // -1 in the batch place would take 4 rows per image at 8x8: refused, not silently batched.
    const folded = analyseGraph(json, { input: [8, 8, 2], outputs: ['flat2/Reshape'], consts });
    expect(folded.inputOk).toBe(false);
    expect(folded.reason).toMatch(/batch/);
    // Without the const values the Reshape cannot be checked at all.
    expect(analyseGraph(json, { input: [4, 4, 2], outputs: ['head/MatMul'] }).inputOk).toBe(false);
  });

  it('works out strides, padding, pooling, concat and squeeze', () => {
    const json = tinyModel(
      [
        { name: 'a/Conv2D', op: 'Conv2D', input: ['x', 'a/kernel'], attr: conv(2, 'VALID') },
        {
          name: 'b/Conv2D',
          op: 'Conv2D',
          input: ['x', 'b/kernel'],
          attr: { ...conv(2, 'EXPLICIT'), explicit_paddings: ints([0, 0, 1, 1, 1, 1, 0, 0]) },
        },
        { name: 'cat', op: 'ConcatV2', input: ['a/Conv2D', 'b/Conv2D', 'cat/axis'] },
        { name: 'pool', op: 'MaxPool', input: ['cat'], attr: { ...conv(2, 'SAME'), ksize: ints([1, 2, 2, 1]) } },
        { name: 'pad', op: 'Pad', input: ['pool', 'pad/paddings'] },
        { name: 'sum', op: 'Sum', input: ['pad', 'sum/axes'], attr: { keep_dims: { b: true } } },
        { name: 'sq', op: 'Squeeze', input: ['sum'], attr: { squeeze_dims: ints([1, 2]) } },
      ],
      [
        { name: 'a/kernel', shape: [3, 3, 2, 4] },
        { name: 'b/kernel', shape: [3, 3, 2, 6] },
        { name: 'cat/axis', shape: [], dtype: 'int32' },
        { name: 'pad/paddings', shape: [4, 2], dtype: 'int32' },
        { name: 'sum/axes', shape: [2], dtype: 'int32' },
      ],
      [9, 9, 2],
    );
    const consts = new Map([
      ['cat/axis', [-1]],
      ['pad/paddings', [0, 0, 1, 1, 1, 1, 0, 0]],
      ['sum/axes', [1, 2]],
    ]);
    const a = analyseGraph(json, { input: [9, 9, 2], outputs: ['pad', 'sq'], consts });
    // 9: a is VALID 3x3/2 -> floor(6/2)+1 = 4; b pads 1 on each side -> floor(8/2)+1 = 5: concat refused.
    expect(a.inputOk).toBe(false);
    expect(a.reasonNode).toBe('cat');
    expect(analyseGraph(json, { input: [9, 9, 2], outputs: ['b/Conv2D'], consts }).outputShapes).toEqual({ 'b/Conv2D': [5, 5, 6] });
    // With b VALID too, both give 4x4.
    const same = json.replace(b64('EXPLICIT'), b64('VALID'));
    const c = analyseGraph(same, { input: [9, 9, 2], outputs: ['pad', 'sq'], consts });
    expect(c.inputOk).toBe(true);
    // 9 -> 4x4x(4+6) -> SAME pool /2 -> 2x2x10 -> pad 1 -> 4x4x10 -> Sum over 1,2 keeping dims -> squeeze.
    expect(c.outputShapes).toEqual({ pad: [4, 4, 10], sq: [10] });
    expect(c.macsPerImage).toBe(4 * 4 * 4 * 9 * 2 + 4 * 4 * 6 * 9 * 2);
  });

  it('puts blocks under a common scope by their next scope, and keeps batch-norm statistics frozen', () => {
    const json = tinyModel(
      [
        { name: 'net/stem/Conv2D', op: 'Conv2D', input: ['x', 'net/stem/kernel'], attr: conv(1, 'SAME') },
        {
          name: 'net/stem_bn/FusedBatchNormV3',
          op: 'FusedBatchNormV3',
          input: ['net/stem/Conv2D', 'net/stem_bn/gamma', 'net/stem_bn/beta', 'net/stem_bn/mean', 'net/stem_bn/var'],
        },
        { name: 'net/stem_relu/Relu', op: 'Relu', input: ['net/stem_bn/FusedBatchNormV3'] },
        { name: 'net/pool/Mean', op: 'Mean', input: ['net/stem_relu/Relu', 'net/pool/axes'] },
        { name: 'net/head/MatMul', op: 'MatMul', input: ['net/pool/Mean', 'unknown_1'] },
      ],
      [
        { name: 'unknown_1', shape: [4, 3] },
        { name: 'net/stem/kernel', shape: [3, 3, 2, 4] },
        { name: 'net/stem_bn/gamma', shape: [4] },
        { name: 'net/stem_bn/beta', shape: [4] },
        { name: 'net/stem_bn/mean', shape: [4] },
        { name: 'net/stem_bn/var', shape: [4] },
        { name: 'net/pool/axes', shape: [2], dtype: 'int32' },
      ],
    );
    const a = analyseGraph(json, { input: [8, 8, 2], outputs: ['net/head/MatMul'], consts: new Map([['net/pool/axes', [1, 2]]]) });
    expect(a.blocks.map((b) => [b.name, b.params])).toEqual([
      ['stem', 3 * 3 * 2 * 4 + 4 * 4],
      ['head', 12],
    ]);
    expect(a.outputShapes).toEqual({ 'net/head/MatMul': [3] });
    const all = paramsFor(a, 2);
    expect(all.trainableWeights).not.toContain('net/stem_bn/mean');
    expect(all.trainableWeights).not.toContain('net/stem_bn/var');
    expect(all.trainable).toBe(3 * 3 * 2 * 4 + 4 * 2 + 12);
    expect(all.frozen).toBe(4 * 2);
  });

  it('counts a scope repeated at once (TF-slim, as in MobileFaceNet) once', () => {
    const json = tinyModel(
      [
        {
          name: 'Net/Net/Conv2d_0/BatchNorm/FusedBatchNorm',
          op: '_FusedConv2D',
          input: ['x', 'Net/Net/Conv2d_0/Conv2D_weights', 'Net/Net/Conv2d_0/Conv2D_bn_offset'],
          attr: { ...conv(2, 'SAME'), fused_ops: { list: { s: [b64('BiasAdd')] } } },
        },
        { name: 'Net/Net/Conv2d_0/mul_1', op: 'Mul', input: ['Net/Net/Conv2d_0/BatchNorm/FusedBatchNorm', 'Net/Net/Conv2d_0/mul'] },
        {
          name: 'Net/Net/Block_0/Conv/Conv2D',
          op: 'Conv2D',
          input: ['Net/Net/Conv2d_0/mul_1', 'Net/Net/Block_0/Conv/Conv2D_weights'],
          attr: conv(1, 'SAME'),
        },
        {
          name: 'Net/Net/Block_0/SeparableConv2d/depthwise',
          op: 'DepthwiseConv2dNative',
          input: ['Net/Net/Block_0/Conv/Conv2D', 'Net/Net/Block_0/SeparableConv2d/depthwise_weights'],
          attr: conv(1, 'SAME'),
        },
        {
          name: 'Net/Net/Block_0/Conv_1/Conv2D',
          op: 'Conv2D',
          input: ['Net/Net/Block_0/SeparableConv2d/depthwise', 'Net/Net/Block_0/Conv_1/Conv2D_weights'],
          attr: conv(1, 'SAME'),
        },
        { name: 'Net/Net/Block_0/Add', op: 'Add', input: ['Net/Net/Block_0/Conv_1/Conv2D', 'Net/Net/Conv2d_0/mul_1'] },
        {
          name: 'Net/Logits/Conv/Conv2D',
          op: 'Conv2D',
          input: ['Net/Net/Block_0/Add', 'Net/Logits/Conv/Conv2D_weights'],
          attr: conv(1, 'VALID'),
        },
      ],
      [
        { name: 'Net/Net/Conv2d_0/mul', shape: [8] },
        { name: 'embeddings/Maximum/y', shape: [] },
        { name: 'Net/Net/Conv2d_0/Conv2D_weights', shape: [3, 3, 2, 8] },
        { name: 'Net/Net/Conv2d_0/Conv2D_bn_offset', shape: [8] },
        { name: 'Net/Net/Block_0/Conv/Conv2D_weights', shape: [1, 1, 8, 16] },
        { name: 'Net/Net/Block_0/SeparableConv2d/depthwise_weights', shape: [3, 3, 16, 1] },
        { name: 'Net/Net/Block_0/Conv_1/Conv2D_weights', shape: [1, 1, 16, 8] },
        { name: 'Net/Logits/Conv/Conv2D_weights', shape: [1, 1, 8, 4] },
      ],
    );
    const a = analyseGraph(json, { input: [8, 8, 2], outputs: ['Net/Logits/Conv/Conv2D'] });
    expect(a.blocks.map((b) => [b.name, b.params])).toEqual([
      ['Conv2d_0', 3 * 3 * 2 * 8 + 8 + 8],
      ['Block_0', 8 * 16 + 9 * 16 + 16 * 8],
      ['Logits', 8 * 4],
    ]);
    // 8 -> SAME /2 -> 4, then stride 1 throughout.
    expect(a.outputShapes).toEqual({ 'Net/Logits/Conv/Conv2D': [4, 4, 4] });
  });

  it('throws a GraphModelError for a file that is not a graph model', () => {
    expect(() => analyseGraph('{"modelTopology": {}}', { input: [8, 8, 2], outputs: ['x'] })).toThrow(GraphModelError);
    expect(() => analyseGraph('not json', { input: [8, 8, 2], outputs: ['x'] })).toThrow(GraphModelError);
  });

  it('reports a tap that names no node', () => {
    const a = analyseGraph(FACERES, { input: [224, 224, 3], outputs: ['global_pooling/Max'] });
    expect(a.missingOutputs).toEqual(['global_pooling/Max']);
    expect(a.inputOk).toBe(false);
    expect(a.reason).toContain('global_pooling/Max');
  });
});

describe('paramsFor', () => {
  it('trains the last N blocks of faceres and freezes the rest', () => {
    const a = faceres(224);
    const perBlock = mobilenetBlockParams();
    expect(paramsFor(a, 0)).toEqual({ trainedBlocks: [], trainableWeights: [], trainable: 0, frozen: sum(perBlock) });
    const one = paramsFor(a, 1);
    expect(one.trainedBlocks).toEqual(['block_13']);
    expect(one.trainable).toBe(9 * 1024 + 2 * 1024 + 1024 * 1024 + 1024);
    expect(one.frozen).toBe(sum(perBlock) - one.trainable);
    expect(one.trainableWeights.every((w) => /_13[/_]/.test(w))).toBe(true);
    const three = paramsFor(a, 3);
    expect(three.trainedBlocks).toEqual(['block_11', 'block_12', 'block_13']);
    expect(three.trainable).toBe(sum(perBlock.slice(-3)));
    expect(paramsFor(a, 14).frozen).toBe(0);
    expect(() => paramsFor(a, 15)).toThrow(RangeError);
  });
});

describe('explain with a backbone', () => {
  const spec = (mode: string) => `experiment f {\n  backbone faceres {\n    tap avgpool\n    ${mode}\n  }\n  head { fc 7 | softmax }\n}\n`;
  const table = (mode: string) => {
    const r = compile(join(process.cwd(), 'f.emo'), { text: spec(mode), checkPackages: false });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return explain(r.experiments);
  };
  const all = sum(mobilenetBlockParams());
  const head = 1024 * 7 + 7;
  const lastBlock = 9 * 1024 + 2 * 1024 + 1024 * 1024 + 1024;
  const n = (x: number) => x.toLocaleString('en-US');

  it('counts the backbone on its row and in the totals: what finetune trains is trainable, the rest is not', () => {
    const tuned = table('finetune 1');
    expect(tuned).toMatch(new RegExp(`^ {2}backbone faceres \\[avgpool\\] finetune 1 +1024 +${n(all)}$`, 'm'));
    expect(tuned).toContain(
      `total params: ${n(all + head)} (head ${n(head)})   trainable: ${n(head + lastBlock)}   non-trainable: ${n(all - lastBlock)}`,
    );
    expect(table('frozen')).toContain(`trainable: ${n(head)}   non-trainable: ${n(all)}`);
  });
});

describe('stripBlockSuffix', () => {
  it('joins a layer with its batch norm and activation scopes', () => {
    expect(stripBlockSuffix('conv_dw_3_bn')).toBe('conv_dw_3');
    expect(stripBlockSuffix('conv_pw_3_relu')).toBe('conv_pw_3');
    expect(stripBlockSuffix('block1_conv1_act')).toBe('block1_conv1');
    expect(stripBlockSuffix('conv2d_bn_2')).toBe('conv2d');
    expect(stripBlockSuffix('conv2d_2')).toBe('conv2d_2');
    expect(stripBlockSuffix('_bn')).toBe('_bn');
  });
});
