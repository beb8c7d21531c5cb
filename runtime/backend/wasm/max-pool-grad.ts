// MaxPoolGrad. The stock wasm kernel gives wrong results (measured: a 4x4 input with 2x2 windows,
// stride 2, loses the gradient of some windows). Here: each window's gradient goes to the first
// position holding its maximum (strict >, row-major, padding never wins), as on the cpu backend.
// Loops run over the channels innermost, so memory is read in order.

import * as tf from '@tensorflow/tfjs-core';
import { ptr, simd, type WasmBackendLike } from './heap.ts';
import { poolInfo, type KernelArgs, type TI } from './ops.ts';
import { grainFor } from './simd-kernels.ts';

export function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): TI {
  const { dy, input } = inputs as { dy: TI; input: TI };
  const b = backend as WasmBackendLike;
  const info = poolInfo(input.shape, attrs!);
  const dx = b.makeOutput(input.shape, 'float32');
  const xv = b.typedArrayFromHeap(input) as Float32Array;
  const dyv = b.typedArrayFromHeap(dy) as Float32Array;
  const dxv = b.typedArrayFromHeap(dx) as Float32Array;
  const C = info.inChannels;
  const [H, W, OH, OW] = [info.inHeight, info.inWidth, info.outHeight, info.outWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [fh, fw] = [info.effectiveFilterHeight, info.effectiveFilterWidth];
  const [dh, dw] = [info.dilationHeight, info.dilationWidth];
  const { top, left } = info.padInfo;
  const is2x2 =
    fh === 2 && fw === 2 && sh === 2 && sw === 2 && dh === 1 && dw === 1 && top === 0 && left === 0 && 2 * OH <= H && 2 * OW <= W;
  const pool = simd(b);
  if (is2x2 && pool && C % 4 === 0 && input.dtype === 'float32' && dy.dtype === 'float32') {
    // emoc's SIMD kernel writes all four positions of every window; only leftover rows/columns
    // (odd H or W) need zeroing first.
    if (2 * OH !== H || 2 * OW !== W) dxv.fill(0);
    const [px, pdy, pdx] = [ptr(b, input), ptr(b, dy), ptr(b, dx)];
    pool.parallel('maxPoolGrad2x2', info.batchSize * OH, (_, from, to) => [px, pdy, pdx, from, to, OH, OW, H, W, C], grainFor(OW * C * 4));
    return dx;
  }
  dxv.fill(0);
  if (is2x2) {
    maxPoolGrad2x2(xv, dyv, dxv, info.batchSize, H, W, OH, OW, C);
    return dx;
  }
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let n = 0; n < info.batchSize; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        best.fill(-Infinity);
        where.fill(-1);
        for (let i = 0; i < fh; i += dh) {
          const ih = oh * sh - top + i;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < fw; j += dw) {
            const iw = ow * sw - left + j;
            if (iw < 0 || iw >= W) continue;
            const base = ((n * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) {
              const v = xv[base + c]!;
              if (v > best[c]!) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const dyo = ((n * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          const at = where[c]!;
          if (at >= 0) dxv[at] += dyv[dyo + c]!;
        }
      }
    }
  }
  return dx;
}

/** The common 2x2, stride 2, unpadded case: four candidates per output compared in registers, same
 * first-maximum rule (strict >, row-major) as the general loop, about twice as fast. */
function maxPoolGrad2x2(
  xv: Float32Array,
  dyv: Float32Array,
  dxv: Float32Array,
  N: number,
  H: number,
  W: number,
  OH: number,
  OW: number,
  C: number,
): void {
  const row = W * C;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const b00 = ((n * H + 2 * oh) * W + 2 * ow) * C;
        const b01 = b00 + C;
        const b10 = b00 + row;
        const b11 = b10 + C;
        const dyo = ((n * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          let v = xv[b00 + c]!;
          if (v > best) {
            best = v;
            at = b00 + c;
          }
          v = xv[b01 + c]!;
          if (v > best) {
            best = v;
            at = b01 + c;
          }
          v = xv[b10 + c]!;
          if (v > best) {
            best = v;
            at = b10 + c;
          }
          v = xv[b11 + c]!;
          if (v > best) at = b11 + c;
          if (at >= 0) dxv[at] += dyv[dyo + c]!;
        }
      }
    }
  }
}
