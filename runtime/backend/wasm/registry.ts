// Every kernel emoc registers on the tfjs wasm backend, in one table: kernels the backend lacks for
// training, and faster versions of slow stock ones (each file of this folder says why and how).
//
// Missing on tfjs-backend-wasm 4.22 (found empirically with tf.grads / tfjs-layers fit on every layer kind):
//   Conv2DBackpropFilter                      conv layers (filter gradient)
//   DepthwiseConv2dNativeBackpropFilter/Input fine-tuning MobileNet-style graph models
//   UnsortedSegmentSum                        gradient of Gather (graph models, embeddings)
// Replaced for speed or correctness (same results, see test/backend-gradients.test.ts):
//   Conv2D, FusedConv2D   emoc's SIMD convolution where it covers the call
//   Conv2DBackpropInput   the stock kernel is a scalar loop
//   MaxPoolGrad           the stock kernel loses the gradient of some windows
//   AvgPoolGrad, Tile     scalar loops in the stock kernels
//   Sum, Mean             the stock kernels transpose then reduce on one thread
//   BatchMatMul, _FusedMatMul
//                         on emoc's convolution kernel (a 1x1 convolution); the stock kernel takes a
//                         transposed operand through a scalar loop
//   Identity              the stock kernel copies
//   FusedBatchNorm        one SIMD pass
//   Relu                  one SIMD pass on every thread (the stock kernel uses one)
//   Add (of a bias vector) one SIMD pass on every thread; other Adds are the stock kernel's
//   MaxPool (2x2, stride 2), DepthwiseConv2dNative, FusedDepthwiseConv2D
//                         on emoc's pool: the stock kernels use XNNPACK's thread pool, which select.ts
//                         keeps at one thread (its helpers spin after each call, taking the pool's cores)
// emoc's own (called by name from runtime/fused-batch-norm.ts and relu's gradient):
//   EmocBatchNormTrain, EmocBatchNormGrad, EmocReluGrad, EmocAdam (adam.ts: the optimizer step)
//
// Where emoc's SIMD kernel pool runs (simd-kernels.ts: it starts with the backend) the kernels use it;
// the composed forms stay as the fallback (EMOC_WASM_SIMD_KERNELS=0, no SIMD, shapes the SIMD kernels
// do not take). Kernels registered over stock ones keep the stock setupFunc (see replaceWasmKernel).

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { replaceWasmKernel } from './heap.ts';
import { setStockKernel } from './ops.ts';
import { ADAM, adamKernel } from './adam.ts';
import { add } from './add.ts';
import { avgPoolGrad } from './avg-pool-grad.ts';
import { batchMatMul, fusedMatMul } from './batch-mat-mul.ts';
import { BN_GRAD, BN_TRAIN, batchNormGrad, batchNormTrain, fusedBatchNorm } from './batch-norm.ts';
import { conv2D, fusedConv2D } from './conv-forward.ts';
import { conv2DBackpropFilter } from './conv-filter-grad.ts';
import { conv2DBackpropInput } from './conv-input-grad.ts';
import { depthwiseConv2D, fusedDepthwiseConv2D } from './depthwise-forward.ts';
import { depthwiseBackpropFilter, depthwiseBackpropInput } from './depthwise-grad.ts';
import { identity } from './identity.ts';
import { maxPool } from './max-pool.ts';
import { maxPoolGrad } from './max-pool-grad.ts';
import { mean, sum } from './reduce.ts';
import { relu } from './relu.ts';
import { RELU_GRAD, reluGradient, reluGradKernel } from './relu-grad.ts';
import { unsortedSegmentSum } from './segment-sum.ts';
import { tile } from './tile.ts';

export interface WasmKernelEntry {
  name: string;
  kernelFunc: tf.KernelFunc;
}

const entry = (name: string, kernelFunc: unknown): WasmKernelEntry => ({ name, kernelFunc: kernelFunc as tf.KernelFunc });

/** The kernels emoc registers on the wasm backend (new, or over a stock kernel it keeps as fallback). */
export const WASM_KERNELS: readonly WasmKernelEntry[] = [
  entry('Conv2D', conv2D),
  entry('FusedConv2D', fusedConv2D),
  entry('Conv2DBackpropFilter', conv2DBackpropFilter),
  entry('Conv2DBackpropInput', conv2DBackpropInput),
  entry('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter),
  entry('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput),
  entry('UnsortedSegmentSum', unsortedSegmentSum),
  entry('MaxPool', maxPool),
  entry('MaxPoolGrad', maxPoolGrad),
  entry('DepthwiseConv2dNative', depthwiseConv2D),
  entry('FusedDepthwiseConv2D', fusedDepthwiseConv2D),
  entry('AvgPoolGrad', avgPoolGrad),
  entry('Sum', sum),
  entry('Mean', mean),
  entry('Tile', tile),
  entry('Identity', identity),
  entry('BatchMatMul', batchMatMul),
  entry('_FusedMatMul', fusedMatMul),
  entry('FusedBatchNorm', fusedBatchNorm),
  entry('Relu', relu),
  entry('Add', add),
  entry(BN_TRAIN, batchNormTrain),
  entry(BN_GRAD, batchNormGrad),
  entry(RELU_GRAD, reluGradKernel),
  entry(ADAM, adamKernel),
];

/** Gradients emoc replaces in tfjs' registry (shared by every backend; each keeps a fallback). */
export const WASM_GRADIENTS: readonly tf.GradConfig[] = [reluGradient];

let registered = false;

/** Registers every kernel of WASM_KERNELS and WASM_GRADIENTS, once. Safe before or after wasm initialises. */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  for (const { name, kernelFunc } of WASM_KERNELS) {
    const stock = replaceWasmKernel(name, () => kernelFunc);
    if (stock) setStockKernel(name, stock);
  }
  for (const g of WASM_GRADIENTS) tf.registerGradient(g);
}
