// MaxPool (2x2 windows, stride 2, no padding: the language's `maxpool 2`) as one SIMD pass split across
// the kernel pool's threads (assembly/kernels.ts, maxPool2x2). The stock kernel runs on XNNPACK's own
// thread pool, which select.ts keeps at one thread (its helper threads spin after every call and take
// the cores emoc's pool is about to use); other windows, strides, paddings and dtypes go to it.

import { ptr, simd, type WasmBackendLike } from './heap.ts';
import { poolInfo, stockKernel, type KernelArgs, type TI } from './ops.ts';
import { grainFor } from './simd-kernels.ts';

export function maxPool(args: KernelArgs): TI {
  const { x } = args.inputs as { x: TI };
  const attrs = args.attrs as Record<string, unknown>;
  const b = args.backend as WasmBackendLike;
  const pool = simd(b);
  if (!pool || x.dtype !== 'float32' || x.shape.length !== 4 || x.shape[3]! % 4 !== 0) return stockKernel('MaxPool')(args) as TI;
  const info = poolInfo(x.shape, attrs);
  const { top, left, bottom, right } = info.padInfo;
  const is2x2 =
    info.filterHeight === 2 &&
    info.filterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    top + left + bottom + right === 0;
  if (!is2x2 || info.outHeight < 1 || info.outWidth < 1) return stockKernel('MaxPool')(args) as TI;
  const [H, W, OH, OW, C] = [info.inHeight, info.inWidth, info.outHeight, info.outWidth, info.inChannels];
  const y = b.makeOutput([info.batchSize, OH, OW, C], 'float32');
  const [px, py] = [ptr(b, x), ptr(b, y)];
  pool.parallel('maxPool2x2', info.batchSize * OH, (_, from, to) => [px, py, from, to, OH, OW, H, W, C], grainFor(OW * C * 4));
  return y;
}
