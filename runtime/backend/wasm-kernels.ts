// Kernels the tfjs wasm backend lacks for training, and faster versions of slow ones, composed from
// kernels it does have (XNNPACK convolutions, matrix products, element-wise ops).
//
// Missing on tfjs-backend-wasm 4.22 (found empirically with tf.grads / tfjs-layers fit on every layer kind):
//   Conv2DBackpropFilter                     conv layers (filter gradient)
//   DepthwiseConv2dNativeBackpropFilter/Input fine-tuning MobileNet-style graph models
//   UnsortedSegmentSum                       gradient of Gather (graph models, embeddings)
// Replaced for speed (same results, see test/backend-gradients.test.ts):
//   MaxPoolGrad          stock kernel gives wrong gradients for some windows (see below)
//   Conv2DBackpropInput  stock kernel is a scalar loop; here one convolution + depth-to-space
//   Sum, Mean            stock kernels transpose then reduce on one thread; reductions over a block
//                        of outer axes (bias / batch-norm gradients, moments) become one average pool
//   Tile                 stock kernel is a slow loop; here one broadcasting Add
//   Identity             stock kernel copies; here the buffer is shared (reference counted)
//   BatchMatMul          stock kernel runs a transposed operand through a scalar loop; here the
//                        operand is transposed first and the XNNPACK path multiplies
//   AvgPoolGrad          stock kernel is a scalar loop; windows that tile the input become two
//                        broadcasting Adds
//   MaxPoolGrad 2x2/s2   a specialised loop for the common case
//
// Where emoc's own SIMD kernels run (runtime/backend/wasm: the pool starts with the backend), the
// conv gradients, MaxPoolGrad 2x2 and the padding around convolutions go through them instead, and
// wasm/conv-forward.ts, wasm/batch-norm.ts and wasm/relu-grad.ts add forward convolutions, batch norm
// and relu's gradient; the composed forms here stay as the fallback (EMOC_WASM_SIMD_KERNELS=0, no
// SIMD, channel counts the kernels do not take).
//
// Every kernel takes and returns TensorInfos and frees its intermediates with backend.disposeData, as
// the stock wasm kernels do. Kernels registered over stock ones keep the stock setupFunc.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import type { SimdKernelPool } from './wasm/simd-kernels.ts';
import { ptr, replaceWasmKernel, simd, wasmBackendMemory, zerosOnHeap, type WasmBackendLike } from './wasm/heap.ts';
import { registerWasmBatchNormKernels } from './wasm/batch-norm.ts';
import { registerWasmReluGrad } from './wasm/relu-grad.ts';
import { registerWasmConvForward } from './wasm/conv-forward.ts';

export { wasmBackendMemory };

type TI = tf.TensorInfo;
type Attrs = Record<string, unknown>;
type KernelArgs = Parameters<tf.KernelFunc>[0];

const BACKEND = 'wasm';

/** Stock kernel functions, captured before we register over them. */
const stock = new Map<string, tf.KernelFunc>();

function kernel(name: string): tf.KernelFunc {
  const own = stock.get(name);
  if (own) return own;
  const k = tf.getKernel(name, BACKEND);
  if (!k) throw new Error(`wasm kernel ${name} is not registered`);
  return k.kernelFunc;
}

/** A small toolbox bound to one backend: each call runs one wasm kernel and returns its output. */
class Ops {
  private readonly temps: TI[] = [];
  constructor(readonly backend: WasmBackendLike) {}

  run(name: string, inputs: Record<string, TI>, attrs: Attrs = {}): TI {
    const out = kernel(name)({ inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs: attrs as tf.NamedAttrMap });
    const t = (Array.isArray(out) ? out[0] : out) as TI;
    this.temps.push(t);
    return t;
  }
  /** Frees every intermediate except `keep`. */
  finish(keep: TI): TI {
    // Each temp holds one reference (a reshape's output shares its input's data with a reference of
    // its own), so dropping every temp but `keep` frees exactly what this kernel allocated.
    for (const t of this.temps) if (t !== keep) this.backend.disposeData(t.dataId);
    // An output that is one of the kernel's inputs must own a reference of its own.
    if (!this.temps.includes(keep)) this.backend.incRef(keep.dataId);
    return keep;
  }
  /** Tracks an output made outside `run` (freed by finish unless it is the result). */
  keep(t: TI): TI {
    this.temps.push(t);
    return t;
  }
  scalar(v: number): TI {
    const t = this.backend.makeOutput([], 'float32', null, Float32Array.of(v));
    this.temps.push(t);
    return t;
  }
  zeros(shape: number[]): TI {
    const t = this.backend.makeOutput(shape, 'float32', null, new Float32Array(tf.util.sizeFromShape(shape)));
    this.temps.push(t);
    return t;
  }
  reshape(x: TI, shape: number[]): TI {
    return this.run('Reshape', { x }, { shape });
  }
  transpose(x: TI, perm: number[]): TI {
    if (perm.every((p, i) => p === i)) return x;
    return this.run('Transpose', { x }, { perm });
  }
  pad(x: TI, paddings: Array<[number, number]>): TI {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }
  slice(x: TI, begin: number[], size: number[]): TI {
    if (begin.every((b) => b === 0) && size.every((s, i) => s === x.shape[i])) return x;
    return this.run('Slice', { x }, { begin, size });
  }
  conv2d(x: TI, filter: TI, strides: [number, number], dilations: [number, number]): TI {
    return this.run('Conv2D', { x, filter }, { strides, pad: 'valid', dataFormat: 'NHWC', dilations, dimRoundingMode: undefined });
  }
  matMul(a: TI, b: TI, transposeA = false, transposeB = false): TI {
    return this.run('BatchMatMul', { a, b }, { transposeA, transposeB });
  }
}

function convInfo(xShape: number[], filterShape: number[], attrs: Attrs, depthwise: boolean): tf.backend_util.Conv2DInfo {
  const dataFormat = tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC');
  if (dataFormat !== 'channelsLast') throw new Error('wasm training kernels support NHWC only');
  const dilations = (attrs.dilations as number | [number, number] | undefined) ?? 1;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    dilations,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
    dataFormat,
  );
}

// ---------------------------------------------------------------------------------------------------
// Conv2DBackpropFilter: one convolution. With x padded as the forward pass did,
//   dW[kh,kw,ci,co] = sum_{n,oh,ow} xp[n, oh*s+kh, ow*s+kw, ci] * dy[n,oh,ow,co]
// which is a convolution of xp^T ([Cin, Hp, Wp, N]: channels as batch) with dy^T ([OH, OW, N, Cout]
// as the filter), dilated by the forward stride.

function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): TI {
  const { x, dy } = inputs as { x: TI; dy: TI };
  const filterShape = attrs!.filterShape as [number, number, number, number];
  const info = convInfo(x.shape, filterShape, attrs as Attrs, false);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
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

/** x ([N, H, W, C]) as the window [N, dh, dw, C] starting at (oy, ox), zeros outside x (negative
 * offsets pad, positive ones crop), by emoc's SIMD copy kernel. */
function windowBySimd(o: Ops, pool: SimdKernelPool, x: TI, dh: number, dw: number, oy: number, ox: number): TI {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  if (dh === h && dw === w && oy === 0 && ox === 0) return x;
  const b = o.backend;
  const out = o.keep(b.makeOutput([n, dh, dw, c], x.dtype));
  const [px, pout] = [ptr(b, x), ptr(b, out)];
  pool.parallel('copyWindow', n * dh, (_, from, to) => [px, pout, from, to, h, w, dh, dw, c, oy, ox]);
  return out;
}

/** Chunks of rows of output pixels the filter gradient is split into (see filterGradBySimd). 12
 * divides evenly among 1, 2, 3, 4 and 6 threads. */
const FILTER_GRAD_CHUNKS = 12;

/** The same gradient by emoc's SIMD kernel: each chunk of rows of output pixels accumulates into its
 * own copy of dW, read straight from the padded input (no transposes), then the copies are summed. */
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
  // Fixed chunks of rows, each with its own dW, added in chunk order: the result does not depend on
  // the thread count.
  const chunk = Math.ceil(rows / Math.min(FILTER_GRAD_CHUNKS, rows));
  const chunks = Math.ceil(rows / chunk);
  const parts = o.keep(zerosOnHeap(b, [chunks, size]));
  const [px, pdy, pparts] = [ptr(b, xp), ptr(b, dy), ptr(b, parts)];
  pool.parallel('convFilterGrad', chunks, (_, from, to) => [px, pdy, pparts, from, to, oh, ow, hp, wp, cin, cout, kh, jp, info.strideHeight, info.strideWidth, chunk, rows]);
  let sum = parts;
  if (chunks > 1) {
    sum = o.keep(b.makeOutput([kh, jp, cout], 'float32'));
    const psum = ptr(b, sum);
    pool.parallel('sumParts', size, (_, from, to) => [pparts, psum, size, from, to, chunks]);
  }
  const rowsOnly = o.slice(o.reshape(sum, [kh, jp, cout]), [0, 0, 0], [kh, j, cout]);
  return o.reshape(rowsOnly, [kh, kw, cin, cout]);
}

// ---------------------------------------------------------------------------------------------------
// Conv2DBackpropInput, sub-pixel form. With h' = h + padTop = oh*s + kh and kh = r + s*j:
//   dx[q*s + r] = sum_j dy[q - j] * W[r + s*j]
// For every phase (r_h, r_w) this is a stride-1 convolution of dy (padded by J-1) with the flipped
// sub-filter; the s*s phases are stacked as output channels and interleaved with depth-to-space.

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

function conv2DBackpropInput({ inputs, backend, attrs }: KernelArgs): TI {
  const { dy, filter } = inputs as { dy: TI; filter: TI };
  const inputShape = attrs!.inputShape as [number, number, number, number];
  const info = convInfo(inputShape, filter.shape, attrs as Attrs, false);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error('Conv2DBackpropInput: dilations > 1 are not supported');
  }
  const o = new Ops(backend as WasmBackendLike);
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const { top, left } = info.padInfo;
  const [n, h, w, cin] = inputShape;
  const pool = simd(backend as tf.KernelBackend);
  if (pool && dy.dtype === 'float32' && filter.dtype === 'float32') {
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
  const wt = o.pad(o.transpose(o.reshape(filter, [kh, j, cout]), [0, 2, 1]), [[0, 0], [0, 0], [0, jp - j]]);
  const dxp = o.keep(b.makeOutput([n, hp, wp, cin], 'float32')); // zeroed by the kernel, per image
  const [pdy, pwt, pdx] = [ptr(b, dy), ptr(b, wt), ptr(b, dxp)];
  pool.parallel('convInputGrad', n, (_, from, to) => [pdy, pwt, pdx, from, to, oh, ow, hp, wp, cin, cout, kh, jp, sh, sw]);
  return windowBySimd(o, pool, dxp, h, w, top, left);
}

// ---------------------------------------------------------------------------------------------------
// Depthwise convolution gradients (filter [kh, kw, Cin, m], output channel c*m + q). These are plain
// loops over the wasm heap: they only run when fine-tuning MobileNet-style backbones.

function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelArgs): TI {
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

function depthwiseBackpropInput({ inputs, backend, attrs }: KernelArgs): TI {
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

// ---------------------------------------------------------------------------------------------------
// MaxPoolGrad. The stock wasm kernel gives wrong results (measured: a 4x4 input with 2x2 windows,
// stride 2, loses the gradient of some windows). Here: each window's gradient goes to the first
// position holding its maximum (strict >, row-major, padding never wins), as on the cpu backend.
// Loops run over the channels innermost, so memory is read in order.

function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): TI {
  const { dy, input } = inputs as { dy: TI; input: TI };
  const b = backend as WasmBackendLike;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs!.filterSize as number | [number, number],
    attrs!.strides as number | [number, number],
    1,
    attrs!.pad as 'same' | 'valid' | number,
    attrs!.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
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
  const is2x2 = fh === 2 && fw === 2 && sh === 2 && sw === 2 && dh === 1 && dw === 1 && top === 0 && left === 0 && 2 * OH <= H && 2 * OW <= W;
  const pool = simd(b);
  if (is2x2 && pool && C % 4 === 0 && input.dtype === 'float32' && dy.dtype === 'float32') {
    // emoc's SIMD kernel writes all four positions of every window; only leftover rows/columns
    // (odd H or W) need zeroing first.
    if (2 * OH !== H || 2 * OW !== W) dxv.fill(0);
    const [px, pdy, pdx] = [ptr(b, input), ptr(b, dy), ptr(b, dx)];
    pool.parallel('maxPoolGrad2x2', info.batchSize * OH, (_, from, to) => [px, pdy, pdx, from, to, OH, OW, H, W, C]);
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
function maxPoolGrad2x2(xv: Float32Array, dyv: Float32Array, dxv: Float32Array, N: number, H: number, W: number, OH: number, OW: number, C: number): void {
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

// ---------------------------------------------------------------------------------------------------
// AvgPoolGrad for windows that tile the input (window = stride, no padding before): each input pixel
// belongs to one window, so dx is dy / (fh*fw) repeated fh x fw times, built with two broadcasting
// Adds (the stock kernel is a scalar loop: 130 ms on 32x80x80x64, 1 thread). Rows and columns left
// over past the last window get zero. Other cases go to the stock kernel.

function avgPoolGrad(args: KernelArgs): TI {
  const { dy, input } = args.inputs as { dy: TI; input: TI };
  const attrs = args.attrs!;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as number | [number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  const [fh, fw] = [info.filterHeight, info.filterWidth];
  const tiles = info.strideHeight === fh && info.strideWidth === fw && info.padInfo.top === 0 && info.padInfo.left === 0 && info.outHeight * fh <= info.inHeight && info.outWidth * fw <= info.inWidth;
  if (!tiles || dy.dtype !== 'float32') return stock.get('AvgPoolGrad')!(args) as TI;
  const o = new Ops(args.backend as WasmBackendLike);
  const [n, oh, ow, c] = dy.shape as [number, number, number, number];
  const scaled = o.run('Multiply', { a: dy, b: o.scalar(1 / (fh * fw)) });
  const acrossW = o.run('Add', { a: o.reshape(scaled, [n * oh * ow, 1, c]), b: o.zeros([1, fw, 1]) }); // [n*oh*ow, fw, c]
  const acrossH = o.run('Add', { a: o.reshape(acrossW, [n * oh, 1, ow * fw * c]), b: o.zeros([1, fh, 1]) }); // [n*oh, fh, ow*fw*c]
  const dx = o.reshape(acrossH, [n, oh * fh, ow * fw, c]);
  return o.finish(o.pad(dx, [[0, 0], [0, info.inHeight - oh * fh], [0, info.inWidth - ow * fw], [0, 0]]));
}

// ---------------------------------------------------------------------------------------------------
// UnsortedSegmentSum (gradient of Gather): out[s, ...] = sum over i with ids[i] == s of x[i, ...].

function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): TI {
  const { x, segmentIds } = inputs as { x: TI; segmentIds: TI };
  const numSegments = attrs!.numSegments as number;
  const b = backend as WasmBackendLike;
  const ids = b.typedArrayFromHeap(segmentIds);
  const inner = tf.util.sizeFromShape(x.shape.slice(segmentIds.shape.length));
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const xv = b.typedArrayFromHeap(x);
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += xv[src + k]!;
  }
  return b.makeOutput(outShape, x.dtype === 'int32' ? 'int32' : 'float32', null, out);
}

// ---------------------------------------------------------------------------------------------------
// Sum / Mean over a contiguous block of axes that is not the innermost one (bias and batch-norm
// gradients, moments, global average pooling). The stock kernels transpose the reduced axes to the
// end first (single-threaded, the bulk of their time). Here x is viewed as [P, M, 1, C] and averaged
// by one XNNPACK average pool with an [M, 1] window (SIMD, threaded), then scaled by M for Sum.
// Everything else goes to the stock kernels.

function blockReduction(xShape: number[], axis: number | number[]): { p: number; m: number; c: number; axes: number[] } | null {
  const axes = tf.util.parseAxisParam(axis, xShape).sort((a, b) => a - b);
  if (axes.length === 0) return null;
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  if (last - first + 1 !== axes.length) return null; // not contiguous
  if (last === xShape.length - 1) return null; // innermost: the stock kernel needs no transpose
  const p = tf.util.sizeFromShape(xShape.slice(0, first));
  const m = tf.util.sizeFromShape(xShape.slice(first, last + 1));
  const c = tf.util.sizeFromShape(xShape.slice(last + 1));
  if (m < 2 || c < 2) return null;
  return { p, m, c, axes };
}

function reduceByPool(args: KernelArgs, isMean: boolean): TI {
  const name = isMean ? 'Mean' : 'Sum';
  const { x } = args.inputs as { x: TI };
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const plan = x.dtype === 'float32' ? blockReduction(x.shape, axis) : null;
  if (!plan) return stock.get(name)!(args) as TI;
  const o = new Ops(args.backend as WasmBackendLike);
  const x4 = o.reshape(x, [plan.p, plan.m, 1, plan.c]);
  let r = o.run('AvgPool', { x: x4 }, { filterSize: [plan.m, 1], strides: [plan.m, 1], pad: 'valid', dimRoundingMode: undefined });
  if (!isMean) r = o.run('Multiply', { a: r, b: o.scalar(plan.m) });
  const outShape = keepDims
    ? x.shape.map((d, i) => (plan.axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !plan.axes.includes(i));
  return o.finish(o.reshape(r, outShape));
}

// ---------------------------------------------------------------------------------------------------
// Tile (used by the batch-norm gradient to broadcast [1,1,1,C] to the activation shape). The stock
// kernel is a slow loop; tile(x, reps) is a broadcasting add of zeros[r0,1,r1,1,...] and
// x[1,d0,1,d1,...] (dims of size 1 dropped and neighbours merged, to stay within XNNPACK's rank).

function tile(args: KernelArgs): TI {
  const { x } = args.inputs as { x: TI };
  const reps = args.attrs!.reps as number[];
  if (x.dtype !== 'float32' || reps.length !== x.shape.length) return stock.get('Tile')!(args) as TI;
  // Interleaved dims: side 0 = repetition (zeros operand), side 1 = data (x operand).
  const dims: Array<{ size: number; side: 0 | 1 }> = [];
  x.shape.forEach((d, i) => {
    for (const e of [{ size: reps[i]!, side: 0 as const }, { size: d, side: 1 as const }]) {
      if (e.size === 1) continue;
      const prev = dims[dims.length - 1];
      if (prev && prev.side === e.side) prev.size *= e.size;
      else dims.push({ ...e });
    }
  });
  if (dims.length > 4 || dims.length === 0) return stock.get('Tile')!(args) as TI;
  const o = new Ops(args.backend as WasmBackendLike);
  const zerosShape = dims.map((d) => (d.side === 0 ? d.size : 1));
  const xShape = dims.map((d) => (d.side === 1 ? d.size : 1));
  const sum = o.run('Add', { a: o.zeros(zerosShape), b: o.reshape(x, xShape) });
  return o.finish(o.reshape(sum, x.shape.map((d, i) => d * reps[i]!)));
}

// ---------------------------------------------------------------------------------------------------
// BatchMatMul with transposeA or transposeB. The stock kernel hands only the untransposed case to
// XNNPACK; a transposed operand goes through a scalar triple loop (measured, 1 thread: x^T.dy for a
// [32,25600] x and [32,128] dy, the weight gradient of a dense layer, 267 ms; transposing x first and
// multiplying plainly, 22 ms). So transpose the operand explicitly, then use the fast path.

function batchMatMul(args: KernelArgs): TI {
  const { a, b } = args.inputs as { a: TI; b: TI };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  if (!transposeA && !transposeB) return stock.get('BatchMatMul')!(args) as TI;
  const o = new Ops(args.backend as WasmBackendLike);
  const swapLast = (x: TI) => o.transpose(x, [...x.shape.slice(0, -2).map((_, i) => i), x.shape.length - 1, x.shape.length - 2]);
  const at = transposeA ? swapLast(a) : a;
  const bt = transposeB ? swapLast(b) : b;
  return o.finish(o.run('BatchMatMul', { a: at, b: bt }, { transposeA: false, transposeB: false }));
}

// ---------------------------------------------------------------------------------------------------
// Identity: the stock kernel copies the data; tensors are immutable (a variable's assign swaps its
// data rather than writing into it), so sharing the buffer with a reference of its own is enough,
// as the stock Reshape and the cpu backend's Identity do.

function identity({ inputs, backend }: KernelArgs): TI {
  const { x } = inputs as { x: TI };
  (backend as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

// ---------------------------------------------------------------------------------------------------

let registered = false;

/** Kernel names this module registers on the wasm backend (new or replacing a slow stock kernel). */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'MaxPoolGrad',
  'Sum',
  'Mean',
  'Tile',
  'Identity',
  'BatchMatMul',
  'AvgPoolGrad',
] as const;

function register(name: string, kernelFunc: tf.KernelFunc): void {
  const existing = replaceWasmKernel(name, () => kernelFunc);
  if (existing) stock.set(name, existing);
}

/** Registers the training kernels on the wasm backend, once. Safe to call before or after wasm initialises. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  register('Conv2DBackpropFilter', conv2DBackpropFilter as tf.KernelFunc);
  register('Conv2DBackpropInput', conv2DBackpropInput as tf.KernelFunc);
  register('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter as tf.KernelFunc);
  register('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput as tf.KernelFunc);
  register('UnsortedSegmentSum', unsortedSegmentSum as tf.KernelFunc);
  register('MaxPoolGrad', maxPoolGrad as tf.KernelFunc);
  register('Sum', ((args: KernelArgs) => reduceByPool(args, false)) as tf.KernelFunc);
  register('Mean', ((args: KernelArgs) => reduceByPool(args, true)) as tf.KernelFunc);
  register('Tile', tile as tf.KernelFunc);
  register('Identity', identity as tf.KernelFunc);
  register('BatchMatMul', batchMatMul as tf.KernelFunc);
  register('AvgPoolGrad', avgPoolGrad as tf.KernelFunc);
  registerWasmBatchNormKernels();
  registerWasmReluGrad();
  registerWasmConvForward();
}

/** True once registerWasmTrainingKernels has run. */
export function wasmTrainingKernelsRegistered(): boolean {
  return registered;
}
