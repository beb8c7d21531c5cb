// Conv2DBackpropInput, sub-pixel form. With h' = h + padTop = oh*s + kh and kh = r + s*j:
//   dx[q*s + r] = sum_j dy[q - j] * W[r + s*j]
// For every phase (r_h, r_w) this is a stride-1 convolution of dy (padded by J-1) with the flipped
// sub-filter; the s*s phases are stacked as output channels and interleaved with depth-to-space.

import * as tf from '@tensorflow/tfjs-core';
import type { SimdKernelPool } from './simd-kernels.ts';
import { ptr, simd, type WasmBackendLike } from './heap.ts';
import { convInfo, Ops, windowBySimd, type Attrs, type KernelArgs, type TI } from './ops.ts';
import { convolvePacked } from './conv-forward.ts';
import { grainFor } from './simd-kernels.ts';

/** Re-arranged, flipped filter [J, J, Cout, s_h*s_w*Cin] for the sub-pixel transposed convolution. */
function subPixelFilter(o: Ops, filter: TI, sh: number, sw: number): { f: TI; jh: number; jw: number } {
  const [kh, kw, cin, cout] = filter.shape;
  const jh = Math.ceil(kh / sh);
  const jw = Math.ceil(kw / sw);
  let f = o.pad(filter, [
    [0, jh * sh - kh],
    [0, jw * sw - kw],
    [0, 0],
    [0, 0],
  ]);
  f = o.reshape(f, [jh, sh, jw, sw, cin, cout]);
  if (jh > 1 || jw > 1) f = o.run('Reverse', { x: f }, { dims: [0, 2] });
  f = o.transpose(f, [0, 2, 5, 1, 3, 4]); // [jh, jw, cout, sh, sw, cin]
  f = o.reshape(f, [jh, jw, cout, sh * sw * cin]);
  return { f, jh, jw };
}

export function conv2DBackpropInput({ inputs, backend, attrs }: KernelArgs): TI {
  const { dy, filter } = inputs as { dy: TI; filter: TI };
  const inputShape = attrs!.inputShape as [number, number, number, number];
  const info = convInfo(inputShape, filter.shape, attrs as Attrs, false);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    // internal: tfjs' conv2d gradient refuses dilations > 1 before it gets here.
    throw new Error('Conv2DBackpropInput: dilations > 1 are not supported');
  }
  const o = new Ops(backend as WasmBackendLike);
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const { top, left } = info.padInfo;
  const [n, h, w, cin] = inputShape;
  const pool = simd(backend as tf.KernelBackend);
  if (pool && dy.dtype === 'float32' && filter.dtype === 'float32') {
    const [kh, kw, cout] = [info.filterHeight, info.filterWidth, info.outChannels];
    if (cin % 8 === 0 && sh === 1 && sw === 1) return o.finish(inputGradByForward(o, pool, dy, filter, info));
    // Strided: one forward convolution per output phase pays for its own copy of dy and a scatter, so it
    // wins where each output pixel sums enough products (measured, 1 thread: 6x6x128 -> 3x3x256 k3 s2
    // 14 -> 12.5 ms, S1's 12x12x64 k5 s2 16 -> 14 ms; but 24x24x32 -> 12x12x64 k3 s2, 576 products,
    // 15 -> 19 ms), and for 1x1 shortcuts (one phase; the others are zeros).
    const phases = kh * kw * cout >= 1024 || (kh === 1 && kw === 1);
    if (cin % 8 === 0 && phases) return o.finish(inputGradByPhases(o, pool, dy, filter, info));
    return o.finish(inputGradBySimd(o, pool, dy, filter, info));
  }
  const { f, jh, jw } = subPixelFilter(o, filter, sh, sw);
  // Output rows of the convolution needed to cover h' in [top, top + h).
  const qh = Math.ceil((top + h) / sh);
  const qw = Math.ceil((left + w) / sw);
  const dyp = o.pad(dy, [
    [0, 0],
    [jh - 1, Math.max(0, qh - info.outHeight)],
    [jw - 1, Math.max(0, qw - info.outWidth)],
    [0, 0],
  ]);
  let y = o.conv2d(dyp, f, [1, 1], [1, 1]); // [N, Q_h, Q_w, sh*sw*cin]
  if (sh > 1 || sw > 1) {
    // Depth-to-space as one 4-D transpose: [n*yh, yw, sh, sw*cin] -> [n*yh, sh, yw, sw*cin] is
    // [n, yh*sh, yw*sw, cin]. (The stock DepthToSpace kernel is a scalar loop: 130 ms against 4 ms
    // for this on S1's second conv, 32x20x20x256.)
    const [, yh, yw] = y.shape as [number, number, number, number];
    y = o.reshape(y, [n * yh, yw, sh, sw * cin]);
    y = o.transpose(y, [0, 2, 1, 3]);
    y = o.reshape(y, [n, yh * sh, yw * sw, cin]);
  }
  return o.finish(o.slice(y, [0, top, left, 0], [n, h, w, cin]));
}

/** The same gradient by emoc's SIMD kernel: every output pixel's gradient is multiplied by the
 * filter (rearranged to [KH, Cout, KW*Cin]) and added into a padded dx, one thread per block of
 * images; the padding is then sliced off. */
function inputGradBySimd(o: Ops, pool: SimdKernelPool, dy: TI, filter: TI, info: tf.backend_util.Conv2DInfo): TI {
  const b = o.backend;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outHeight: oh, outWidth: ow, outChannels: cout } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  // Kernel rows of KW*Cin values in whole SIMD blocks of 4 (zero past the end: they add 0 to the
  // next pixel of the row, which the padded width leaves room for).
  const j = kw * cin;
  const jp = Math.ceil(j / 4) * 4;
  const hp = Math.max((oh - 1) * sh + kh, top + h);
  const wp = Math.max(Math.ceil(((ow - 1) * sw * cin + jp) / cin), left + w);
  const wt = o.pad(o.transpose(o.reshape(filter, [kh, j, cout]), [0, 2, 1]), [
    [0, 0],
    [0, 0],
    [0, jp - j],
  ]);
  const dxp = o.keep(b.makeOutput([n, hp, wp, cin], 'float32')); // zeroed by the kernel, per image
  // Scratch for the kernel's table of window offsets, one per pixel of dy (see convInputGrad).
  const pix = o.keep(b.makeOutput([n * oh * ow], 'int32'));
  const [pdy, pwt, pdx, ppix] = [ptr(b, dy), ptr(b, wt), ptr(b, dxp), ptr(b, pix)];
  pool.parallel('convInputGrad', n, (_, from, to) => [pdy, pwt, pdx, from, to, oh, ow, hp, wp, cin, cout, kh, jp, sh, sw, ppix]);
  return windowBySimd(o, pool, dxp, h, w, top, left);
}

/** A stride-1 convolution's input gradient as a forward convolution, on the forward kernel (a 4x8
 * register tile with no read-modify-write of the output, about 1.5x the speed of convInputGrad):
 *   dx[n, i, j, ci] = sum over a, b, co of dyp[n, i + a, j + b, co] * w[KH-1-a, KW-1-b, ci, co]
 * with dy padded by KH-1-top rows and KW-1-left columns before (packFlipped8 makes the filter).
 * Input channels must be a multiple of 8 (they are the output channels here). */
function inputGradByForward(o: Ops, pool: SimdKernelPool, dy: TI, filter: TI, info: tf.backend_util.Conv2DInfo): TI {
  const b = o.backend;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outChannels: cout, filterHeight: kh, filterWidth: kw } = info;
  const packed = packTaps(o, pool, filter, kh, kw, kh - 1, kw - 1, 1, 1);
  const geometry = {
    n,
    oh: h,
    ow: w,
    kh,
    kw,
    cin: cout,
    cout: cin,
    sh: 1,
    sw: 1,
    top: kh - 1 - info.padInfo.top,
    left: kw - 1 - info.padInfo.left,
  };
  return o.keep(convolvePacked(b, pool, dy, packed, geometry));
}

/** The filter's taps [kh0 - sh*a, kw0 - sw*b] for a < ta, b < tb, flipped, with input and output
 * channels swapped, packed for convForward (packFlipped8). */
function packTaps(o: Ops, pool: SimdKernelPool, filter: TI, ta: number, tb: number, kh0: number, kw0: number, sh: number, sw: number): TI {
  const b = o.backend;
  const [, kw, cin, cout] = filter.shape as [number, number, number, number];
  const packed = o.keep(b.makeOutput([cin, ta * tb * cout], 'float32'));
  const [pf, pp] = [ptr(b, filter), ptr(b, packed)];
  pool.parallel(
    'packFlipped8',
    cin / 8,
    (_, from, to) => [pf, pp, from, to, ta, tb, kw, cin, cout, kh0, kw0, sh, sw],
    grainFor(ta * tb * cout * 8),
  );
  return packed;
}

/** One dimension of an output phase r of a strided input gradient: the taps r, r + s, ... (t of
 * them), and the dx positions i = q*s + r - pad (q0 <= q < q0 + count) that the phase fills. */
function phase(r: number, s: number, k: number, pad: number, size: number): { t: number; q0: number; count: number } {
  const t = r < k ? Math.ceil((k - r) / s) : 0;
  const q0 = Math.ceil((pad - r) / s);
  const q1 = Math.floor((size - 1 + pad - r) / s);
  return { t, q0, count: Math.max(0, q1 - q0 + 1) };
}

/** A strided convolution's input gradient as one stride-1 forward convolution per output phase
 * (rh, rw) (the sub-pixel form), each scattered into its rows and columns of dx:
 *   dx[q*s + r - pad] = sum over t of dy[q - t] * w[r + s*t]
 * as a convolution of dy (padded by T-1-q0) with the phase's flipped taps. The products are those of
 * the direct form (no zero taps), on the forward kernel (a 4x8 register tile, no read-modify-write
 * of dx: 1.3-2x the speed of convInputGrad on FER-sized maps). Positions of phases without taps (a
 * kernel smaller than the stride: 1x1 stride-2 shortcuts) are zero. */
function inputGradByPhases(o: Ops, pool: SimdKernelPool, dy: TI, filter: TI, info: tf.backend_util.Conv2DInfo): TI {
  const b = o.backend;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outChannels: cout, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const dx = o.keep(b.makeOutput([n, h, w, cin], 'float32'));
  if (kh < sh || kw < sw) b.typedArrayFromHeap(dx).fill(0);
  const pdx = ptr(b, dx);
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      const [ph, pw] = [phase(rh, sh, kh, top, h), phase(rw, sw, kw, left, w)];
      if (ph.count === 0 || pw.count === 0) continue;
      if (ph.t === 0 || pw.t === 0) continue; // zeros, filled above
      const packed = packTaps(o, pool, filter, ph.t, pw.t, rh + sh * (ph.t - 1), rw + sw * (pw.t - 1), sh, sw);
      const geometry = {
        n,
        oh: ph.count,
        ow: pw.count,
        kh: ph.t,
        kw: pw.t,
        cin: cout,
        cout: cin,
        sh: 1,
        sw: 1,
        top: ph.t - 1 - ph.q0,
        left: pw.t - 1 - pw.q0,
      };
      const y = o.keep(convolvePacked(b, pool, dy, packed, geometry));
      const py = ptr(b, y);
      const [i0, j0] = [ph.q0 * sh + rh - top, pw.q0 * sw + rw - left];
      pool.parallel(
        'scatterPhase',
        n * ph.count,
        (_, from, to) => [py, pdx, from, to, ph.count, pw.count, h, w, cin, sh, sw, i0, j0],
        grainFor(pw.count * cin),
      );
    }
  }
  return dx;
}
