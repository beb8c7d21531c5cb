// Conv2DBackpropFilter: one convolution. With x padded as the forward pass did,
//   dW[kh,kw,ci,co] = sum_{n,oh,ow} xp[n, oh*s+kh, ow*s+kw, ci] * dy[n,oh,ow,co]
// which is a convolution of xp^T ([Cin, Hp, Wp, N]: channels as batch) with dy^T ([OH, OW, N, Cout]
// as the filter), dilated by the forward stride.

import * as tf from '@tensorflow/tfjs-core';
import type { SimdKernelPool } from './simd-kernels.ts';
import { ptr, simd, type WasmBackendLike } from './heap.ts';
import { convInfo, Ops, windowBySimd, type Attrs, type KernelArgs, type TI } from './ops.ts';
import { convolvePacked, packFilter } from './conv-forward.ts';
import { grainFor } from './simd-kernels.ts';

export function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): TI {
  const { x, dy } = inputs as { x: TI; dy: TI };
  const filterShape = attrs!.filterShape as [number, number, number, number];
  const info = convInfo(x.shape, filterShape, attrs as Attrs, false);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    // internal: tfjs' conv2d gradient refuses dilations > 1 before it gets here.
    throw new Error('Conv2DBackpropFilter: dilations > 1 are not supported');
  }
  const o = new Ops(backend as WasmBackendLike);
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const { top, left } = info.padInfo;
  // Rows/cols of the padded input the forward pass actually read.
  const needH = (info.outHeight - 1) * sh + kh;
  const pool = simd(backend as tf.KernelBackend);
  const bySimd = pool != null && info.outChannels % 4 === 0 && x.dtype === 'float32' && dy.dtype === 'float32';
  // The SIMD kernel reads kernel rows in whole blocks of 4 values; when KW*Cin is not a multiple of
  // 4 it reads past the last pixel of a row, so give it one more (zero) column.
  const extraW = bySimd && (kw * info.inChannels) % 4 !== 0 ? 1 : 0;
  const needW = (info.outWidth - 1) * sw + kw + extraW;
  if (bySimd) {
    const xw = windowBySimd(o, pool, x, needH, needW, -top, -left);
    const pixels = info.batchSize * info.outHeight * info.outWidth;
    if (info.outChannels % 8 === 0 && pixels <= GEMM_MAX_PIXELS) return o.finish(filterGradByGemm(o, pool, xw, dy, info));
    return o.finish(filterGradBySimd(o, pool, xw, dy, info));
  }
  let xp = o.pad(x, [
    [0, 0],
    [top, Math.max(0, needH - top - info.inHeight)],
    [left, Math.max(0, needW - left - info.inWidth)],
    [0, 0],
  ]);
  xp = o.slice(xp, [0, 0, 0, 0], [info.batchSize, needH, needW, info.inChannels]);
  const xt = o.transpose(xp, [3, 1, 2, 0]); // [Cin, Hp, Wp, N]
  const dyt = o.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, Cout]
  const r = o.conv2d(xt, dyt, [1, 1], [sh, sw]); // [Cin, kh, kw, Cout]
  const out = o.transpose(r, [1, 2, 0, 3]);
  return o.finish(out);
}

/** The most chunks of output pixels the filter gradient's sum is split into (see filterGradBySimd). */
const FILTER_GRAD_MAX_CHUNKS = 12;
/** Output pixels per chunk the split aims at: enough products per value of dW to pay for the chunk's
 * own copy of dW and for adding the copies up. */
const FILTER_GRAD_CHUNK_PIXELS = 1024;
/** Slices of the output channels (runs of 8) that each chunk is split into, so that a small map
 * (one chunk: 3x3x256 at batch 64 is 576 pixels) still keeps every thread busy. */
const FILTER_GRAD_SLICES = 4;

function filterGradBySimd(o: Ops, pool: SimdKernelPool, xp: TI, dy: TI, info: tf.backend_util.Conv2DInfo): TI {
  const b = o.backend;
  const { outHeight: oh, outWidth: ow, outChannels: cout, filterHeight: kh, filterWidth: kw, inChannels: cin } = info;
  // Kernel rows of KW*Cin values, rounded up to whole SIMD blocks of 4 (S1's first layer: 15 -> 16);
  // the caller gave xp the extra column those reads need.
  const j = kw * cin;
  const jp = Math.ceil(j / 4) * 4;
  const [n, hp, wp] = xp.shape as [number, number, number, number];
  const size = kh * jp * cout;
  const rows = n * oh;
  // Work units fixed by the shapes alone (chunks of rows x slices of channels, each value of dW
  // summed in pixel order within its chunk, chunks added in order): the result does not depend on
  // the thread count.
  const chunks = Math.max(1, Math.min(FILTER_GRAD_MAX_CHUNKS, rows, Math.round((rows * ow) / FILTER_GRAD_CHUNK_PIXELS)));
  const chunk = Math.ceil(rows / chunks);
  const usedChunks = Math.ceil(rows / chunk);
  const slices = Math.max(1, Math.min(FILTER_GRAD_SLICES, Math.floor(cout / 8)));
  // Rows of output pixels whose dy (about 16 KiB, 16 to 64 pixels) stays in L1 while the blocks of
  // dW pass over it.
  const groupPixels = Math.max(16, Math.min(64, Math.floor(4096 / cout)));
  const groupRows = Math.max(1, Math.round(groupPixels / ow));
  const parts = o.keep(b.makeOutput([usedChunks, size], 'float32')); // every value written by the kernel
  const [px, pdy, pparts] = [ptr(b, xp), ptr(b, dy), ptr(b, parts)];
  pool.parallel('convFilterGrad', usedChunks * slices, (_, from, to) => [
    px,
    pdy,
    pparts,
    from,
    to,
    oh,
    ow,
    hp,
    wp,
    cin,
    cout,
    kh,
    jp,
    info.strideHeight,
    info.strideWidth,
    chunk,
    rows,
    slices,
    groupRows,
  ]);
  let sum = parts;
  if (usedChunks > 1) {
    sum = o.keep(b.makeOutput([kh, jp, cout], 'float32'));
    const psum = ptr(b, sum);
    pool.parallel('sumParts', size, (_, from, to) => [pparts, psum, size, from, to, usedChunks], grainFor(usedChunks));
  }
  const rowsOnly = o.slice(o.reshape(sum, [kh, jp, cout]), [0, 0, 0], [kh, j, cout]);
  return o.reshape(rowsOnly, [kh, kw, cin, cout]);
}

/** Output pixels up to which the filter gradient is one matrix product (filterGradByGemm): every
 * value of dW is then one sum over all pixels, in order, which stays accurate to float32 at this
 * length; longer sums (large maps) keep the chunked kernel. */
const GEMM_MAX_PIXELS = 4096;

/** The filter gradient as one matrix product on the forward kernel, for small maps (FER-sized
 * ResNet stages: 6x6 and 3x3 outputs with 128-256 channels), where it runs about 1.5x the speed of
 * convFilterGrad: dW [KH*KW*Cin, Cout] = a . dy, a the transposed im2col of the padded input
 * ([KH*KW*Cin, P], im2colT) and dy [P, Cout] packed in strips of 8 channels. Each value of dW is
 * summed over the pixels in order, whatever the thread count. */
function filterGradByGemm(o: Ops, pool: SimdKernelPool, xp: TI, dy: TI, info: tf.backend_util.Conv2DInfo): TI {
  const b = o.backend;
  const { outHeight: oh, outWidth: ow, outChannels: cout, filterHeight: kh, filterWidth: kw, inChannels: cin } = info;
  const [n, hp, wp] = xp.shape as [number, number, number, number];
  const p = n * oh * ow;
  const m = kh * kw * cin;
  const a = o.keep(b.makeOutput([m, 1, 1, p], 'float32'));
  const pix = o.keep(b.makeOutput([p], 'int32'));
  const [px, pa, ppix] = [ptr(b, xp), ptr(b, a), ptr(b, pix)];
  pool.parallel('im2colT', Math.ceil(p / 64), (_, from, to) => [
    px,
    pa,
    from,
    to,
    oh,
    ow,
    hp,
    wp,
    cin,
    kh,
    kw * cin,
    info.strideHeight,
    info.strideWidth,
    p,
    ppix,
  ]);
  const packed = o.keep(packFilter(b, pool, dy, p, cout));
  // Each row m of a is one "image" of one pixel whose p values are the reduction (a 1x1 convolution).
  const geometry = { n: m, oh: 1, ow: 1, kh: 1, kw: 1, cin: p, cout, sh: 1, sw: 1, top: 0, left: 0 };
  const dw = o.keep(convolvePacked(b, pool, a, packed, geometry));
  return o.reshape(dw, [kh, kw, cin, cout]);
}
