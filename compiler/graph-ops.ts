// The TensorFlow graph ops emoc can run as a *trainable* network (fine-tuning a graph backbone): one list,
// from which the compiler's E034 check (an op outside it makes a graph frozen-only, named in the message)
// and the runtime's op table (runtime/backbones/trainable/ops.ts, one differentiable tfjs op per name; a
// test keeps the two equal) derive.
//
// This module imports nothing: the compiler reads it without TensorFlow.

export const TRAINABLE_GRAPH_OPS = [
  // structure
  'Placeholder',
  'Const',
  'Identity',
  // convolutions and dense layers (the _Fused* forms carry BiasAdd and an activation in `fused_ops`)
  'Conv2D',
  '_FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2dNative',
  'MatMul',
  '_FusedMatMul',
  'BiasAdd',
  // batch norm in inference mode (running statistics are constants: fine-tuning never updates them)
  'FusedBatchNorm',
  'FusedBatchNormV3',
  // element-wise arithmetic
  'Add',
  'AddV2',
  'Sub',
  'Mul',
  'RealDiv',
  'Maximum',
  'Minimum',
  'Neg',
  // mobilefacenet builds PReLU as relu(x) + alpha * (x - |x|)
  'Abs',
  'Square',
  'Sqrt',
  'Rsqrt',
  // activations
  'Relu',
  'Relu6',
  'Elu',
  'LeakyRelu',
  'Prelu',
  'Sigmoid',
  'Tanh',
  'Softmax',
  // pooling and shape
  'MaxPool',
  'AvgPool',
  'Mean',
  'Sum',
  'Reshape',
  'Squeeze',
  'ConcatV2',
  'Pad',
] as const;

export type TrainableGraphOp = (typeof TRAINABLE_GRAPH_OPS)[number];

const KNOWN: ReadonlySet<string> = new Set(TRAINABLE_GRAPH_OPS);

export function isTrainableGraphOp(op: string): op is TrainableGraphOp {
  return KNOWN.has(op);
}
