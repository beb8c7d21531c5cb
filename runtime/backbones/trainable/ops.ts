// The op table of the trainable graph runtime: one differentiable tfjs-core function per op of
// compiler/graph-ops.ts TRAINABLE_GRAPH_OPS (a test keeps the keys equal to that list).
//
// Attributes are read as TensorFlow defines them (see attrs.ts); tfjs-converter's executors
// (tfjs-converter/dist/operations/executors) were the reference for which tfjs op each TF op maps to.
// Differences from the converter, on purpose:
// - EXPLICIT padding of a convolution becomes tf.pad + VALID, whose gradient every backend has;
// - fused_ops is parsed by name (BiasAdd, then one activation) instead of by position, and a fused
//   FusedBatchNorm, which tfjs cannot run either, is refused with a typed error;
// - only NHWC is run: NCHW graphs are refused (UntrainableGraphError) instead of computed wrongly.
// Fused convolutions and matmuls go through tf.fused.*, which computes the fused kernel outside of
// gradient recording and falls back to separate differentiable ops under tf.grads/variableGrads.

import * as tf from '@tensorflow/tfjs-core';
import type { TrainableGraphOp } from '../../../compiler/graph-ops.ts';
import { attrBool, attrFloat, attrInts, attrString, attrStrings, type Attrs } from './attrs.ts';
import { UntrainableGraphError } from './errors.ts';

/** One node of the graph, inputs reduced to the names of the nodes whose (first) output they read. */
export interface GraphNode {
  name: string;
  op: string;
  inputs: string[];
  attr: Attrs;
}

/** What an op function can ask of the executor besides its inputs. */
export interface OpEnv {
  /** The model.json path, for error messages. */
  where: string;
  /** The graph's input tensor, for a Placeholder node. */
  feed(node: GraphNode): tf.Tensor;
  /** A Const node's value: the caller's override (a tf.Variable) when it gave one, else the stored constant. */
  constant(node: GraphNode): tf.Tensor;
}

/** Computes one node's (first) output from its input values. Must only use differentiable tfjs ops. */
export type OpFn = (inputs: tf.Tensor[], node: GraphNode, env: OpEnv) => tf.Tensor;

type Activation = 'linear' | 'relu' | 'relu6' | 'elu' | 'leakyrelu' | 'prelu' | 'sigmoid';

const FUSED_ACTIVATIONS: Record<string, Activation> = {
  Relu: 'relu',
  Relu6: 'relu6',
  Elu: 'elu',
  LeakyRelu: 'leakyrelu',
  Prelu: 'prelu',
  Sigmoid: 'sigmoid',
};

function refuse(node: GraphNode, env: OpEnv, what: string): never {
  throw new UntrainableGraphError(
    `node '${node.name}' (${node.op}): ${what}`,
    env.where,
    'emoc can fine-tune NHWC graphs built from the ops in compiler/graph-ops.ts; keep this backbone frozen',
    node.op,
    node.name,
  );
}

function nhwcOnly(node: GraphNode, env: OpEnv): void {
  const fmt = attrString(node.attr, 'data_format', 'NHWC');
  if (fmt !== 'NHWC') refuse(node, env, `data_format ${fmt} is not supported (NHWC only)`);
}

/** Values of a small integer tensor (axes, shapes, paddings); these are constants of the graph. */
const ints = (t: tf.Tensor): number[] => Array.from(t.dataSync());

/** [stride, stride] from a 4-element NHWC attribute list. */
const spatial = (v: number[]): [number, number] => [v[1]!, v[2]!];

/** The convolution's input, padded when the graph says EXPLICIT, and the tfjs padding to use. */
function convPadding(x: tf.Tensor4D, node: GraphNode, env: OpEnv): { x: tf.Tensor4D; pad: 'same' | 'valid' } {
  const padding = attrString(node.attr, 'padding', 'VALID');
  if (padding === 'SAME') return { x, pad: 'same' };
  if (padding === 'VALID') return { x, pad: 'valid' };
  if (padding !== 'EXPLICIT') refuse(node, env, `padding ${padding} is not supported`);
  const p = attrInts(node.attr, 'explicit_paddings', [0, 0, 0, 0, 0, 0, 0, 0]);
  if (p.length !== 8) refuse(node, env, `explicit_paddings has ${p.length} values, expected 8`);
  const pairs = [0, 1, 2, 3].map((d) => [p[2 * d]!, p[2 * d + 1]!] as [number, number]);
  return { x: tf.pad(x, pairs), pad: 'valid' };
}

/** The fused BiasAdd and activation of a _Fused* node, with their argument tensors. */
function fusedParts(args: tf.Tensor[], node: GraphNode, env: OpEnv) {
  const fused = attrStrings(node.attr, 'fused_ops');
  let next = 0;
  let bias: tf.Tensor | undefined;
  let activation: Activation = 'linear';
  let preluActivationWeights: tf.Tensor | undefined;
  for (const op of fused) {
    if (op === 'BiasAdd' && bias === undefined && activation === 'linear') {
      bias = args[next++];
    } else if (FUSED_ACTIVATIONS[op] && activation === 'linear') {
      activation = FUSED_ACTIVATIONS[op]!;
      if (activation === 'prelu') preluActivationWeights = args[next++];
    } else {
      refuse(
        node,
        env,
        `fused_ops [${fused.join(', ')}] is not supported (BiasAdd, then one of ${Object.keys(FUSED_ACTIVATIONS).join(', ')})`,
      );
    }
  }
  if (next !== args.length) refuse(node, env, `fused_ops [${fused.join(', ')}] takes ${next} extra inputs, the node has ${args.length}`);
  const leakyreluAlpha = attrFloat(node.attr, 'leakyrelu_alpha', 0.2);
  return { bias, activation, preluActivationWeights, leakyreluAlpha };
}

function pool(kind: 'max' | 'avg'): OpFn {
  return ([x], node, env) => {
    nhwcOnly(node, env);
    const k = attrInts(node.attr, 'ksize', [1, 1, 1, 1]);
    const s = attrInts(node.attr, 'strides', [1, 1, 1, 1]);
    if (k[0] !== 1 || k[3] !== 1 || s[0] !== 1 || s[3] !== 1) refuse(node, env, 'pooling over the batch or channel axis is not supported');
    const padding = attrString(node.attr, 'padding', 'VALID');
    if (padding !== 'SAME' && padding !== 'VALID') refuse(node, env, `padding ${padding} is not supported for pooling`);
    const pad = padding === 'SAME' ? 'same' : 'valid';
    const f = kind === 'max' ? tf.maxPool : tf.avgPool;
    return f(x as tf.Tensor4D, spatial(k), spatial(s), pad);
  };
}

function reduce(f: typeof tf.mean): OpFn {
  return ([x, axes], node) => f(x!, ints(axes!), attrBool(node.attr, 'keep_dims', false));
}

const conv2d: OpFn = ([x, filter], node, env) => {
  nhwcOnly(node, env);
  const p = convPadding(x as tf.Tensor4D, node, env);
  const strides = spatial(attrInts(node.attr, 'strides', [1, 1, 1, 1]));
  const dilations = spatial(attrInts(node.attr, 'dilations', [1, 1, 1, 1]));
  return tf.conv2d(p.x, filter as tf.Tensor4D, strides, p.pad, 'NHWC', dilations);
};

const depthwise: OpFn = ([x, filter], node, env) => {
  nhwcOnly(node, env);
  const p = convPadding(x as tf.Tensor4D, node, env);
  const strides = spatial(attrInts(node.attr, 'strides', [1, 1, 1, 1]));
  const dilations = spatial(attrInts(node.attr, 'dilations', [1, 1, 1, 1]));
  return tf.depthwiseConv2d(p.x, filter as tf.Tensor4D, strides, p.pad, 'NHWC', dilations);
};

function fusedConv(kind: 'conv' | 'depthwise'): OpFn {
  return ([x, filter, ...args], node, env) => {
    nhwcOnly(node, env);
    const p = convPadding(x as tf.Tensor4D, node, env);
    const f = kind === 'conv' ? tf.fused.conv2d : tf.fused.depthwiseConv2d;
    return f({
      x: p.x,
      filter: filter as tf.Tensor4D,
      strides: spatial(attrInts(node.attr, 'strides', [1, 1, 1, 1])),
      pad: p.pad,
      dataFormat: 'NHWC',
      dilations: spatial(attrInts(node.attr, 'dilations', [1, 1, 1, 1])),
      ...fusedParts(args, node, env),
    });
  };
}

const batchNorm: OpFn = ([x, scale, offset, mean, variance], node, env) => {
  nhwcOnly(node, env);
  // Inference mode always: the running statistics are constants (fine-tuning keeps them), and
  // is_training=true graphs (never produced by tensorflowjs_converter for inference) run the same way.
  const eps = attrFloat(node.attr, 'epsilon', 0.0001);
  return tf.batchNorm(x!, mean! as tf.Tensor1D, variance! as tf.Tensor1D, offset! as tf.Tensor1D, scale! as tf.Tensor1D, eps);
};

export const TRAINABLE_OPS: Record<TrainableGraphOp, OpFn> = {
  Placeholder: (_, node, env) => env.feed(node),
  Const: (_, node, env) => env.constant(node),
  Identity: ([x]) => tf.clone(x!),

  Conv2D: conv2d,
  _FusedConv2D: fusedConv('conv'),
  DepthwiseConv2dNative: depthwise,
  FusedDepthwiseConv2dNative: fusedConv('depthwise'),
  MatMul: ([a, b], node) => tf.matMul(a!, b!, attrBool(node.attr, 'transpose_a', false), attrBool(node.attr, 'transpose_b', false)),
  _FusedMatMul: ([a, b, ...args], node, env) =>
    tf.fused.matMul({
      a: a as tf.Tensor2D,
      b: b as tf.Tensor2D,
      transposeA: attrBool(node.attr, 'transpose_a', false),
      transposeB: attrBool(node.attr, 'transpose_b', false),
      ...fusedParts(args, node, env),
    }),
  BiasAdd: ([x, bias], node, env) => {
    nhwcOnly(node, env);
    return tf.add(x!, bias!);
  },

  FusedBatchNorm: batchNorm,
  FusedBatchNormV3: batchNorm,

  Add: ([a, b]) => tf.add(a!, b!),
  AddV2: ([a, b]) => tf.add(a!, b!),
  Sub: ([a, b]) => tf.sub(a!, b!),
  Mul: ([a, b]) => tf.mul(a!, b!),
  RealDiv: ([a, b]) => tf.div(a!, b!),
  Maximum: ([a, b]) => tf.maximum(a!, b!),
  Minimum: ([a, b]) => tf.minimum(a!, b!),
  Neg: ([x]) => tf.neg(x!),
  Abs: ([x]) => tf.abs(x!),
  Square: ([x]) => tf.square(x!),
  Sqrt: ([x]) => tf.sqrt(x!),
  Rsqrt: ([x]) => tf.rsqrt(x!),

  Relu: ([x]) => tf.relu(x!),
  Relu6: ([x]) => tf.relu6(x!),
  Elu: ([x]) => tf.elu(x!),
  LeakyRelu: ([x], node) => tf.leakyRelu(x!, attrFloat(node.attr, 'alpha', 0.2)),
  Prelu: ([x, alpha]) => tf.prelu(x!, alpha!),
  Sigmoid: ([x]) => tf.sigmoid(x!),
  Tanh: ([x]) => tf.tanh(x!),
  Softmax: ([x]) => tf.softmax(x!),

  MaxPool: pool('max'),
  AvgPool: pool('avg'),
  Mean: reduce(tf.mean),
  Sum: reduce(tf.sum),
  Reshape: ([x, shape]) => tf.reshape(x!, ints(shape!)),
  Squeeze: ([x], node) => {
    // 'squeeze_dims' is the attribute's name in TF 1.x graphs, 'axis' in TF 2.x.
    const dims = attrInts(node.attr, 'squeeze_dims', attrInts(node.attr, 'axis', []));
    return tf.squeeze(x!, dims.length > 0 ? dims : undefined);
  },
  ConcatV2: (inputs) => tf.concat(inputs.slice(0, -1), ints(inputs[inputs.length - 1]!)[0]!),
  Pad: ([x, paddings]) => {
    const p = ints(paddings!);
    return tf.pad(
      x!,
      Array.from({ length: p.length / 2 }, (_, d) => [p[2 * d]!, p[2 * d + 1]!] as [number, number]),
    );
  },
};

/**
 * Which inputs of an op are the network's parameters when they are float Const nodes (the rest are
 * activations, running statistics, or fixed constants such as relu6's clip bounds).
 * Element-wise arithmetic with a per-channel constant (size > 1) is how converted graphs hold a
 * folded batch norm (faceres: Mul by the scale, Add the offset), so those count; scalar operands
 * (a 6 for relu6, a 1/255 for input scaling) do not.
 */
export const PARAMETER_INPUTS: Partial<Record<TrainableGraphOp, (index: number, value: tf.Tensor) => boolean>> = {
  Conv2D: (i) => i === 1,
  DepthwiseConv2dNative: (i) => i === 1,
  _FusedConv2D: (i) => i >= 1,
  FusedDepthwiseConv2dNative: (i) => i >= 1,
  MatMul: () => true,
  _FusedMatMul: () => true,
  BiasAdd: (i) => i === 1,
  FusedBatchNorm: (i) => i === 1 || i === 2,
  FusedBatchNormV3: (i) => i === 1 || i === 2,
  Prelu: (i) => i === 1,
  Add: (_, v) => v.size > 1,
  AddV2: (_, v) => v.size > 1,
  Sub: (_, v) => v.size > 1,
  Mul: (_, v) => v.size > 1,
  RealDiv: (_, v) => v.size > 1,
};
