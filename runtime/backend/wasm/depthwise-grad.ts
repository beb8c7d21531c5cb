// Depthwise convolution gradients (filter [kh, kw, Cin, m], output channel c*m + q). These are plain
// loops over the wasm heap: they only run when fine-tuning MobileNet-style backbones.

import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './heap.ts';
import { convInfo, type Attrs, type KernelArgs, type TI } from './ops.ts';

export function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelArgs): TI {
  const { x, dy } = inputs as { x: TI; dy: TI };
  const filterShape = attrs!.filterShape as [number, number, number, number];
  const b = backend as WasmBackendLike;
  const info = convInfo(x.shape, filterShape, attrs as Attrs, true);
  const [kh, kw, cin, m] = filterShape;
  const xv = b.typedArrayFromHeap(x) as Float32Array;
  const dyv = b.typedArrayFromHeap(dy) as Float32Array;
  const dw = new Float32Array(kh * kw * cin * m);
  const { top, left } = info.padInfo;
  const [H, W] = [info.inHeight, info.inWidth];
  const [OH, OW] = [info.outHeight, info.outWidth];
  const cout = cin * m;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const base = (i * kw + j) * cout;
      for (let nb = 0; nb < info.batchSize; nb++) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * info.strideHeight + i * info.dilationHeight - top;
          if (ih < 0 || ih >= H) continue;
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * info.strideWidth + j * info.dilationWidth - left;
            if (iw < 0 || iw >= W) continue;
            const xo = ((nb * H + ih) * W + iw) * cin;
            const dyo = ((nb * OH + oh) * OW + ow) * cout;
            for (let c = 0; c < cin; c++) {
              const xval = xv[xo + c]!;
              for (let q = 0; q < m; q++) dw[base + c * m + q] += xval * dyv[dyo + c * m + q]!;
            }
          }
        }
      }
    }
  }
  return b.makeOutput(filterShape, 'float32', null, dw);
}

export function depthwiseBackpropInput({ inputs, backend, attrs }: KernelArgs): TI {
  const { dy, filter } = inputs as { dy: TI; filter: TI };
  const inputShape = attrs!.inputShape as [number, number, number, number];
  const b = backend as WasmBackendLike;
  const info = convInfo(inputShape, filter.shape, attrs as Attrs, true);
  const [kh, kw, cin, m] = filter.shape;
  const fv = b.typedArrayFromHeap(filter) as Float32Array;
  const dyv = b.typedArrayFromHeap(dy) as Float32Array;
  const dx = new Float32Array(tf.util.sizeFromShape(inputShape));
  const { top, left } = info.padInfo;
  const [H, W] = [info.inHeight, info.inWidth];
  const [OH, OW] = [info.outHeight, info.outWidth];
  const cout = cin * m;
  for (let nb = 0; nb < info.batchSize; nb++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const dyo = ((nb * OH + oh) * OW + ow) * cout;
        for (let i = 0; i < kh; i++) {
          const ih = oh * info.strideHeight + i * info.dilationHeight - top;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < kw; j++) {
            const iw = ow * info.strideWidth + j * info.dilationWidth - left;
            if (iw < 0 || iw >= W) continue;
            const xo = ((nb * H + ih) * W + iw) * cin;
            const fo = (i * kw + j) * cout;
            for (let c = 0; c < cin; c++) {
              let acc = 0;
              for (let q = 0; q < m; q++) acc += dyv[dyo + c * m + q]! * fv[fo + c * m + q]!;
              dx[xo + c] += acc;
            }
          }
        }
      }
    }
  }
  return b.makeOutput(inputShape, 'float32', null, dx);
}
