// AvgPoolGrad for windows that tile the input (window = stride, no padding before): each input pixel
// belongs to one window, so dx is dy / (fh*fw) repeated fh x fw times, built with two broadcasting
// Adds (the stock kernel is a scalar loop: 130 ms on 32x80x80x64, 1 thread). Rows and columns left
// over past the last window get zero. Other cases go to the stock kernel.

import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './heap.ts';
import { Ops, poolInfo, stockKernel, type KernelArgs, type TI } from './ops.ts';

export function avgPoolGrad(args: KernelArgs): TI {
  const { dy, input } = args.inputs as { dy: TI; input: TI };
  const attrs = args.attrs!;
  const info = poolInfo(input.shape, attrs);
  const [fh, fw] = [info.filterHeight, info.filterWidth];
  const tiles =
    info.strideHeight === fh &&
    info.strideWidth === fw &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    info.outHeight * fh <= info.inHeight &&
    info.outWidth * fw <= info.inWidth;
  if (!tiles || dy.dtype !== 'float32') return stockKernel('AvgPoolGrad')(args) as TI;
  const o = new Ops(args.backend as WasmBackendLike);
  const [n, oh, ow, c] = dy.shape as [number, number, number, number];
  const scaled = o.run('Multiply', { a: dy, b: o.scalar(1 / (fh * fw)) });
  const acrossW = o.run('Add', { a: o.reshape(scaled, [n * oh * ow, 1, c]), b: o.zeros([1, fw, 1]) }); // [n*oh*ow, fw, c]
  const acrossH = o.run('Add', { a: o.reshape(acrossW, [n * oh, 1, ow * fw * c]), b: o.zeros([1, fh, 1]) }); // [n*oh, fh, ow*fw*c]
  const dx = o.reshape(acrossH, [n, oh * fh, ow * fw, c]);
  return o.finish(
    o.pad(dx, [
      [0, 0],
      [0, info.inHeight - oh * fh],
      [0, info.inWidth - ow * fw],
      [0, 0],
    ]),
  );
}
