// AssemblyScript source of emoc's own wasm SIMD kernels (built by scripts/build-wasm-kernels.ts into
// ../kernels.wasm and ../kernels-shared.wasm; a test checks that the committed binaries match this file).
//
// The module imports the tfjs wasm backend's memory, so every pointer here is a byte offset of a
// tensor the backend already holds: nothing is copied in or out. It has no data segments, no globals
// and no allocator. Each function does a contiguous share of its work ([from, to) over rows or
// images); runtime/backend/wasm/simd-kernels.ts splits a call across threads that share the memory.
//
// Layouts are NHWC, f32. Channel counts must be multiples of 4 (the caller checks and otherwise uses
// the composed kernels, see registry.ts).

/** c + a*b. scripts/build-wasm-kernels.ts also makes binaries where this is one fused multiply-add
 * (relaxed SIMD), used where the engine supports it. */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  return f32x4.add(c, f32x4.mul(a, b)); // MADD
}

/**
 * MaxPool over 2x2 windows, stride 2, no padding, for rows r = n*OH + oh in [from, to): each output is
 * the largest of its window by the same strict > chain from -Infinity as maxPoolGrad2x2 (so a NaN is
 * never the maximum, as on the cpu backend), and the gradient goes where this value came from.
 */
export function maxPool2x2(x: usize, y: usize, from: i32, to: i32, OH: i32, OW: i32, H: i32, W: i32, C: i32): void {
  const px = <usize>C << 2; // bytes per pixel
  const row = <usize>W * px;
  const negInf = f32x4.splat(-Infinity);
  for (let r = from; r < to; r++) {
    const n = r / OH;
    const oh = r - n * OH;
    let p00 = x + (<usize>(n * H + 2 * oh) * <usize>W) * px;
    let out = y + <usize>r * <usize>OW * px;
    for (let ow = 0; ow < OW; ow++) {
      for (let c: usize = 0; c < px; c += 16) {
        const a = v128.load(p00 + c);
        const b = v128.load(p00 + c + px);
        const d = v128.load(p00 + c + row);
        const e = v128.load(p00 + c + row + px);
        let best = v128.bitselect(a, negInf, f32x4.gt(a, negInf));
        best = v128.bitselect(b, best, f32x4.gt(b, best));
        best = v128.bitselect(d, best, f32x4.gt(d, best));
        best = v128.bitselect(e, best, f32x4.gt(e, best));
        v128.store(out + c, best);
      }
      p00 += px << 1;
      out += px;
    }
  }
}

/**
 * MaxPoolGrad for 2x2 windows, stride 2, no padding. Rows r = n*OH + oh in [from, to).
 * Each window's gradient goes to the first position holding its maximum (strict >, row-major), as
 * on the cpu backend; the other three positions get 0. dx positions outside every window are left
 * alone (the caller zeroes them when H or W is odd).
 */
export function maxPoolGrad2x2(x: usize, dy: usize, dx: usize, from: i32, to: i32, OH: i32, OW: i32, H: i32, W: i32, C: i32): void {
  const px = <usize>C << 2; // bytes per pixel
  const row = <usize>W * px;
  const negInf = f32x4.splat(-Infinity);
  for (let r = from; r < to; r++) {
    const n = r / OH;
    const oh = r - n * OH;
    let p00 = (<usize>(n * H + 2 * oh) * <usize>W) * px;
    let g = <usize>r * <usize>OW * px;
    for (let ow = 0; ow < OW; ow++) {
      for (let c: usize = 0; c < px; c += 16) {
        const i00 = p00 + c;
        const i01 = i00 + px;
        const i10 = i00 + row;
        const i11 = i10 + px;
        const a = v128.load(x + i00);
        const b = v128.load(x + i01);
        const d = v128.load(x + i10);
        const e = v128.load(x + i11);
        let best = negInf;
        const ma = f32x4.gt(a, best);
        best = v128.bitselect(a, best, ma);
        const mb = f32x4.gt(b, best);
        best = v128.bitselect(b, best, mb);
        const md = f32x4.gt(d, best);
        best = v128.bitselect(d, best, md);
        const me = f32x4.gt(e, best);
        const grad = v128.load(dy + g + c);
        const later = v128.or(md, me);
        v128.store(dx + i11, v128.and(grad, me));
        v128.store(dx + i10, v128.and(grad, v128.andnot(md, me)));
        v128.store(dx + i01, v128.and(grad, v128.andnot(mb, later)));
        v128.store(dx + i00, v128.and(grad, v128.andnot(ma, v128.or(mb, later))));
      }
      p00 += px << 1;
      g += px;
    }
  }
}

/**
 * Filter gradient of a convolution, for work units u in [from, to): unit u is slice s = u % slices
 * of the output channels over chunk c = u / slices of `chunk` rows of output pixels (rows in all; the
 * last chunk may be shorter). Chunk c accumulates into its own dw at dw + c * KH*J*Cout floats
 * ([KH, J, Cout]), which the caller then adds up in chunk order when there is more than one; a slice
 * is a contiguous run of strips of 8 channels (the last slice also takes a tail of 4). The units are
 * fixed by the shapes, and each value of dw is summed over its chunk's pixels in pixel order, so the
 * result does not depend on the number of threads.
 *   dw[kh, j, co] += sum over rows r = n*OH + oh of the chunk, ow of
 *                    xp[n, oh*sh + kh, ow*sw*Cin + j] * dy[n, oh, ow, co]
 * where xp is the input already padded as the forward pass read it ([N, Hp, Wp, Cin]) and j runs
 * over the KW*Cin values of one kernel row, which are contiguous in xp. J is KW*Cin rounded up to a
 * multiple of 4 (the rows past KW*Cin read the next pixel and are dropped by the caller, which leaves
 * room after xp's last row). Cout must be a multiple of 4. Splitting the channels (not only the
 * pixels) is what keeps both threads busy on small maps with many channels, where a dw per chunk of
 * pixels would cost more to zero, fill and add up than the products themselves.
 */
export function convFilterGrad(
  xp: usize, dy: usize, dw: usize, from: i32, to: i32,
  OH: i32, OW: i32, Hp: i32, Wp: i32, Cin: i32, Cout: i32, KH: i32, J: i32, sh: i32, sw: i32,
  chunk: i32, rows: i32, slices: i32, groupRows: i32,
): void {
  const partBytes = <usize>(KH * J * Cout) << 2;
  const strips = Cout >> 3;
  for (let u = from; u < to; u++) {
    const c = u / slices;
    const s = u - c * slices;
    const cb0 = ((s * strips) / slices) << 3;
    const cb1 = s == slices - 1 ? Cout : (((s + 1) * strips) / slices) << 3;
    const r0 = c * chunk;
    const r1 = min(r0 + chunk, rows);
    const part = dw + <usize>c * partBytes;
    // Groups of rows whose dy (about 16 KiB) stays in L1 while every block of the slice's dw passes
    // over it; each block is loaded and stored once per group (the first group starts from zero).
    for (let g = r0; g < r1; g += groupRows) {
      filterGradGroup(xp, dy, part, g, min(g + groupRows, r1), g == r0, cb0, cb1, OH, OW, Hp, Wp, Cin, Cout, KH, J, sh, sw);
    }
  }
}

function filterGradGroup(
  xp: usize, dy: usize, dw: usize, from: i32, to: i32, first: bool, cb0: i32, cb1: i32,
  OH: i32, OW: i32, Hp: i32, Wp: i32, Cin: i32, Cout: i32, KH: i32, J: i32, sh: i32, sw: i32,
): void {
  const xStep = <usize>(sw * Cin) << 2; // bytes between neighbouring output pixels in an xp row
  const dyStep = <usize>Cout << 2;
  const dyRowBytes = <usize>OW * dyStep;
  const wRow = <usize>Cout << 2; // bytes per j row of dw
  const xRowBytes = (<usize>Wp * <usize>Cin) << 2;
  const nextImage = <usize>(Hp - (OH - 1) * sh) * xRowBytes;
  const nextRow = <usize>sh * xRowBytes;
  const n0 = from / OH;
  const oh0 = from - n0 * OH;
  const zero = f32x4.splat(0);
  for (let kh = 0; kh < KH; kh++) {
    const wK = dw + <usize>(kh * J) * wRow;
    // Row `from`'s kernel row kh in xp; the loops below step it row by row.
    const xStart = xp + <usize>(n0 * Hp + oh0 * sh + kh) * xRowBytes;
    const dyStart = dy + <usize>from * dyRowBytes;
    let cb = cb0;
    for (; cb + 8 <= cb1; cb += 8) {
      const c = <usize>cb << 2;
      for (let j = 0; j < J; j += 4) {
        const w0 = wK + <usize>j * wRow;
        const w1 = w0 + wRow;
        const w2 = w1 + wRow;
        const w3 = w2 + wRow;
        const xj = xStart + (<usize>j << 2);
        let s00 = zero, s01 = zero, s10 = zero, s11 = zero, s20 = zero, s21 = zero, s30 = zero, s31 = zero;
        if (!first) {
          s00 = v128.load(w0 + c); s01 = v128.load(w0 + c, 16);
          s10 = v128.load(w1 + c); s11 = v128.load(w1 + c, 16);
          s20 = v128.load(w2 + c); s21 = v128.load(w2 + c, 16);
          s30 = v128.load(w3 + c); s31 = v128.load(w3 + c, 16);
        }
        let xRow = xj;
        let pd = dyStart + c;
        let oh = oh0;
        for (let r = from; r < to; r++) {
          let px = xRow;
          for (let ow = 0; ow < OW; ow++) {
            const b0 = v128.load(pd);
            const b1 = v128.load(pd, 16);
            const a0 = v128.load32_splat(px);
            const a1 = v128.load32_splat(px, 4);
            const a2 = v128.load32_splat(px, 8);
            const a3 = v128.load32_splat(px, 12);
            s00 = madd(a0, b0, s00);
            s01 = madd(a0, b1, s01);
            s10 = madd(a1, b0, s10);
            s11 = madd(a1, b1, s11);
            s20 = madd(a2, b0, s20);
            s21 = madd(a2, b1, s21);
            s30 = madd(a3, b0, s30);
            s31 = madd(a3, b1, s31);
            px += xStep;
            pd += dyStep;
          }
          // Next row: sh rows down in the same image, or the first row of the next image.
          oh++;
          if (oh < OH) xRow += nextRow;
          else {
            oh = 0;
            xRow += nextImage;
          }
        }
        v128.store(w0 + c, s00); v128.store(w0 + c, s01, 16);
        v128.store(w1 + c, s10); v128.store(w1 + c, s11, 16);
        v128.store(w2 + c, s20); v128.store(w2 + c, s21, 16);
        v128.store(w3 + c, s30); v128.store(w3 + c, s31, 16);
      }
    }
    for (; cb < cb1; cb += 4) {
      const c = <usize>cb << 2;
      for (let j = 0; j < J; j += 4) {
        const w0 = wK + <usize>j * wRow;
        const w1 = w0 + wRow;
        const w2 = w1 + wRow;
        const w3 = w2 + wRow;
        const xj = xStart + (<usize>j << 2);
        let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
        if (!first) {
          s0 = v128.load(w0 + c);
          s1 = v128.load(w1 + c);
          s2 = v128.load(w2 + c);
          s3 = v128.load(w3 + c);
        }
        let xRow = xj;
        let pd = dyStart + c;
        let oh = oh0;
        for (let r = from; r < to; r++) {
          let px = xRow;
          for (let ow = 0; ow < OW; ow++) {
            const b = v128.load(pd);
            s0 = madd(v128.load32_splat(px), b, s0);
            s1 = madd(v128.load32_splat(px, 4), b, s1);
            s2 = madd(v128.load32_splat(px, 8), b, s2);
            s3 = madd(v128.load32_splat(px, 12), b, s3);
            px += xStep;
            pd += dyStep;
          }
          oh++;
          if (oh < OH) xRow += nextRow;
          else {
            oh = 0;
            xRow += nextImage;
          }
        }
        v128.store(w0 + c, s0);
        v128.store(w1 + c, s1);
        v128.store(w2 + c, s2);
        v128.store(w3 + c, s3);
      }
    }
  }
}

/**
 * The transposed im2col of a convolution's padded input, for its filter gradient as one matrix
 * product (dW = a . dy, on convForward): a[m, p] = xp[n, oh*sh + kh, ow*sw*Cin + j] for rows
 * m = kh*J + j (J = KW*Cin) and output pixels p = (n*OH + oh)*OW + ow < P, for blocks of 64 pixels
 * [from, to). `pix` is scratch of P u32s where each block first writes its pixels' window offsets.
 * The block's windows stay in L1 while every row of a takes its 64 values from them.
 */
export function im2colT(
  xp: usize, a: usize, from: i32, to: i32, OH: i32, OW: i32, Hp: i32, Wp: i32, Cin: i32, KH: i32, J: i32, sh: i32, sw: i32, P: i32, pix: usize,
): void {
  const xRowBytes = (<usize>Wp * <usize>Cin) << 2;
  const xStep = <usize>(sw * Cin) << 2;
  const rowBytes = <usize>P << 2;
  for (let b = from; b < to; b++) {
    const p0 = b << 6;
    const p1 = min(p0 + 64, P);
    for (let p = p0; p < p1; p++) {
      const r = p / OW;
      const ow = p - r * OW;
      const n = r / OH;
      const oh = r - n * OH;
      store<u32>(pix + (<usize>p << 2), <u32>(<usize>(n * Hp + oh * sh) * xRowBytes + <usize>ow * xStep));
    }
    for (let kh = 0; kh < KH; kh++) {
      const src = xp + <usize>kh * xRowBytes;
      let j = 0;
      // 4 j x 4 pixels at a time: four loads of 4 j, a 4x4 transpose, four stores of 4 pixels.
      for (; j + 4 <= J; j += 4) {
        const s = src + (<usize>j << 2);
        let d = a + <usize>(kh * J + j) * rowBytes;
        let p = p0;
        for (; p + 4 <= p1; p += 4) {
          const t = pix + (<usize>p << 2);
          const r0 = v128.load(s + <usize>load<u32>(t));
          const r1 = v128.load(s + <usize>load<u32>(t, 4));
          const r2 = v128.load(s + <usize>load<u32>(t, 8));
          const r3 = v128.load(s + <usize>load<u32>(t, 12));
          const lo01 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
          const hi01 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
          const lo23 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
          const hi23 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
          const o = d + (<usize>p << 2);
          v128.store(o, i64x2.shuffle(lo01, lo23, 0, 2));
          v128.store(o + rowBytes, i64x2.shuffle(lo01, lo23, 1, 3));
          v128.store(o + 2 * rowBytes, i64x2.shuffle(hi01, hi23, 0, 2));
          v128.store(o + 3 * rowBytes, i64x2.shuffle(hi01, hi23, 1, 3));
        }
        for (; p < p1; p++) {
          const q = s + <usize>load<u32>(pix + (<usize>p << 2));
          const o = d + (<usize>p << 2);
          store<f32>(o, load<f32>(q));
          store<f32>(o + rowBytes, load<f32>(q, 4));
          store<f32>(o + 2 * rowBytes, load<f32>(q, 8));
          store<f32>(o + 3 * rowBytes, load<f32>(q, 12));
        }
      }
      for (; j < J; j++) {
        const s = src + (<usize>j << 2);
        let d = a + <usize>(kh * J + j) * rowBytes + (<usize>p0 << 2);
        for (let p = p0; p < p1; p++) {
          store<f32>(d, load<f32>(s + <usize>load<u32>(pix + (<usize>p << 2))));
          d += 4;
        }
      }
    }
  }
}

/**
 * Input gradient of a convolution into the padded dxp ([N, Hp, Wp, Cin]; each image is zeroed here,
 * then accumulated) for images n in [from, to):
 *   dxp[n, oh*sh + kh, ow*sw*Cin + j] += sum over co of dy[n, oh, ow, co] * wt[kh, co, j]
 * with wt the filter rearranged to [KH, Cout, J], J = KW*Cin rounded up to a multiple of 4 (the
 * rows past KW*Cin zero, so they add 0 to the next pixel, which the caller leaves room for within
 * each row). Windows of neighbouring pixels overlap, so a thread owns whole images, and every dxp
 * value is accumulated in an order fixed by the shapes alone.
 * Loop order: groups of images whose dy (about 32 KiB) stays in cache; within a group, each block of
 * 16 j of one kernel row (Cout x 16 floats of wt: 16 KiB at 256 channels, in L1) passes over all the
 * group's pixels, two at a time (8 accumulators share each load of wt). The pixels are one flat run
 * across rows and images, so a row of 3 pixels still pairs up. `pix` is scratch of N*OH*OW i32s
 * where this share first writes each of its pixels' window offsets in dxp.
 */
export function convInputGrad(
  dy: usize, wt: usize, dxp: usize, from: i32, to: i32,
  OH: i32, OW: i32, Hp: i32, Wp: i32, Cin: i32, Cout: i32, KH: i32, J: i32, sh: i32, sw: i32, pix: usize,
): void {
  const jBytes = <usize>J << 2;
  const gStep = <usize>Cout << 2; // bytes between neighbouring pixels of dy
  const oStep = <usize>(sw * Cin) << 2; // bytes between their windows in a dxp row
  const xRowBytes = <usize>Wp * (<usize>Cin << 2);
  const imageBytes = <usize>Hp * xRowBytes;
  const P = OH * OW;
  let q = pix + ((<usize>from * <usize>P) << 2);
  for (let n = from; n < to; n++) {
    memory.fill(dxp + <usize>n * imageBytes, 0, imageBytes);
    for (let oh = 0; oh < OH; oh++) {
      let o = <u32>(<usize>(n * Hp + oh * sh) * xRowBytes);
      for (let ow = 0; ow < OW; ow++) {
        store<u32>(q, o);
        q += 4;
        o += <u32>oStep;
      }
    }
  }
  const group = max(1, <i32>(32768 / (<usize>P * gStep)));
  for (let n0 = from; n0 < to; n0 += group) {
    const p0 = n0 * P;
    const p1 = min(n0 + group, to) * P;
    for (let kh = 0; kh < KH; kh++) {
      const wK = wt + <usize>(kh * Cout) * jBytes;
      const base = dxp + <usize>kh * xRowBytes;
      let j = 0;
      for (; j + 16 <= J; j += 16) {
        const jb = <usize>j << 2;
        let p = p0;
        for (; p + 2 <= p1; p += 2) {
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
          let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
          let pw = wK + jb;
          let pg = dy + <usize>p * gStep;
          for (let co = 0; co < Cout; co++) {
            const da = v128.load32_splat(pg);
            const db = v128.load32_splat(pg + gStep);
            const w0 = v128.load(pw);
            a0 = madd(da, w0, a0);
            b0 = madd(db, w0, b0);
            const w1 = v128.load(pw, 16);
            a1 = madd(da, w1, a1);
            b1 = madd(db, w1, b1);
            const w2 = v128.load(pw, 32);
            a2 = madd(da, w2, a2);
            b2 = madd(db, w2, b2);
            const w3 = v128.load(pw, 48);
            a3 = madd(da, w3, a3);
            b3 = madd(db, w3, b3);
            pw += jBytes;
            pg += 4;
          }
          const t = pix + (<usize>p << 2);
          const o = base + <usize>load<u32>(t) + jb;
          v128.store(o, f32x4.add(v128.load(o), a0));
          v128.store(o, f32x4.add(v128.load(o, 16), a1), 16);
          v128.store(o, f32x4.add(v128.load(o, 32), a2), 32);
          v128.store(o, f32x4.add(v128.load(o, 48), a3), 48);
          const r = base + <usize>load<u32>(t, 4) + jb;
          v128.store(r, f32x4.add(v128.load(r), b0));
          v128.store(r, f32x4.add(v128.load(r, 16), b1), 16);
          v128.store(r, f32x4.add(v128.load(r, 32), b2), 32);
          v128.store(r, f32x4.add(v128.load(r, 48), b3), 48);
        }
        if (p < p1) {
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
          let pw = wK + jb;
          let pg = dy + <usize>p * gStep;
          for (let co = 0; co < Cout; co++) {
            const da = v128.load32_splat(pg);
            a0 = madd(da, v128.load(pw), a0);
            a1 = madd(da, v128.load(pw, 16), a1);
            a2 = madd(da, v128.load(pw, 32), a2);
            a3 = madd(da, v128.load(pw, 48), a3);
            pw += jBytes;
            pg += 4;
          }
          const o = base + <usize>load<u32>(pix + (<usize>p << 2)) + jb;
          v128.store(o, f32x4.add(v128.load(o), a0));
          v128.store(o, f32x4.add(v128.load(o, 16), a1), 16);
          v128.store(o, f32x4.add(v128.load(o, 32), a2), 32);
          v128.store(o, f32x4.add(v128.load(o, 48), a3), 48);
        }
      }
      // Blocks of 4 j left (all of a kernel row of a 1-channel input): four pixels at a time.
      for (; j < J; j += 4) {
        const jb = <usize>j << 2;
        let p = p0;
        for (; p + 4 <= p1; p += 4) {
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
          let pw = wK + jb;
          let pg = dy + <usize>p * gStep;
          for (let co = 0; co < Cout; co++) {
            const w = v128.load(pw);
            a0 = madd(v128.load32_splat(pg), w, a0);
            a1 = madd(v128.load32_splat(pg + gStep), w, a1);
            a2 = madd(v128.load32_splat(pg + 2 * gStep), w, a2);
            a3 = madd(v128.load32_splat(pg + 3 * gStep), w, a3);
            pw += jBytes;
            pg += 4;
          }
          const t = pix + (<usize>p << 2);
          const o0 = base + <usize>load<u32>(t) + jb;
          v128.store(o0, f32x4.add(v128.load(o0), a0));
          const o1 = base + <usize>load<u32>(t, 4) + jb;
          v128.store(o1, f32x4.add(v128.load(o1), a1));
          const o2 = base + <usize>load<u32>(t, 8) + jb;
          v128.store(o2, f32x4.add(v128.load(o2), a2));
          const o3 = base + <usize>load<u32>(t, 12) + jb;
          v128.store(o3, f32x4.add(v128.load(o3), a3));
        }
        for (; p < p1; p++) {
          let a0 = f32x4.splat(0);
          let pw = wK + jb;
          let pg = dy + <usize>p * gStep;
          for (let co = 0; co < Cout; co++) {
            a0 = madd(v128.load32_splat(pg), v128.load(pw), a0);
            pw += jBytes;
            pg += 4;
          }
          const o0 = base + <usize>load<u32>(pix + (<usize>p << 2)) + jb;
          v128.store(o0, f32x4.add(v128.load(o0), a0));
        }
      }
    }
  }
}

/** dst[i] = sum over k < parts of src[k*len + i], for i in [from, to) (per-thread partial sums). */
export function sumParts(src: usize, dst: usize, len: i32, from: i32, to: i32, parts: i32): void {
  const stride = <usize>len << 2;
  let i = from;
  for (; i + 4 <= to; i += 4) {
    let p = src + (<usize>i << 2);
    let s = v128.load(p);
    for (let k = 1; k < parts; k++) {
      p += stride;
      s = f32x4.add(s, v128.load(p));
    }
    v128.store(dst + (<usize>i << 2), s);
  }
  for (; i < to; i++) {
    let p = src + (<usize>i << 2);
    let s = load<f32>(p);
    for (let k = 1; k < parts; k++) {
      p += stride;
      s += load<f32>(p);
    }
    store<f32>(dst + (<usize>i << 2), s);
  }
}

// ---------------------------------------------------------------------------------------------------
// Batch normalisation over every axis but the channels: x is [P, C] (P = N*H*W pixels), C a multiple
// of 4. Pixels are taken in blocks of about 16 KiB (L1-resident); within a block each group of 4
// channels is summed in f32 (two accumulators, alternate pixels), then added into f64 totals, so long
// sums keep their precision. Pixels are cut into chunks of a fixed size, each with its own totals,
// which the caller adds in order.

const BLOCK_BYTES = 16384;

@inline function blockPixels(rowBytes: usize): i32 {
  return max(2, <i32>(BLOCK_BYTES / rowBytes)) & ~1;
}

/** Adds the four f32 lanes of s to the f64 totals at o (4 x f64). */
@inline function addToTotals(o: usize, s: v128): void {
  v128.store(o, f64x2.add(v128.load(o), f64x2.promote_low_f32x4(s)));
  v128.store(o, f64x2.add(v128.load(o, 16), f64x2.promote_low_f32x4(i32x4.shuffle(s, s, 2, 3, 0, 1))), 16);
}

/** For chunks k in [from, to) of `chunk` pixels (pixels in all): adds (x - center)^e over the chunk
 * into its own totals, out[k*C + c] (f64), e = 1 or 2; center = 0 for none. The caller adds the
 * chunks' totals in order, so the sums do not depend on the number of threads. */
export function channelSums(x: usize, center: usize, out: usize, from: i32, to: i32, C: i32, squared: i32, chunk: i32, pixels: i32): void {
  for (let k = from; k < to; k++) {
    sumRows(x, center, out + ((<usize>k * <usize>C) << 3), k * chunk, min((k + 1) * chunk, pixels), C, squared);
  }
}

function sumRows(x: usize, center: usize, out: usize, from: i32, to: i32, C: i32, squared: i32): void {
  const rowBytes = <usize>C << 2;
  const block = blockPixels(rowBytes);
  for (let p0 = from; p0 < to; p0 += block) {
    const p1 = min(p0 + block, to);
    const base = x + <usize>p0 * rowBytes;
    for (let c: usize = 0; c < rowBytes; c += 16) {
      const m = center ? v128.load(center + c) : f32x4.splat(0);
      let s = f32x4.splat(0);
      let t = f32x4.splat(0);
      let q = base + c;
      let p = p0;
      if (squared) {
        for (; p + 2 <= p1; p += 2) {
          const d = f32x4.sub(v128.load(q), m);
          const e = f32x4.sub(v128.load(q + rowBytes), m);
          s = madd(d, d, s);
          t = madd(e, e, t);
          q += rowBytes << 1;
        }
        if (p < p1) {
          const d = f32x4.sub(v128.load(q), m);
          s = madd(d, d, s);
        }
      } else {
        for (; p + 2 <= p1; p += 2) {
          s = f32x4.add(s, f32x4.sub(v128.load(q), m));
          t = f32x4.add(t, f32x4.sub(v128.load(q + rowBytes), m));
          q += rowBytes << 1;
        }
        if (p < p1) s = f32x4.add(s, f32x4.sub(v128.load(q), m));
      }
      addToTotals(out + (c << 1), f32x4.add(s, t));
    }
  }
}

/** The two sums of the batch-norm gradient, per chunk of pixels as in channelSums, into the chunk's
 *  totals at out + k*2C f64: [c] += sum dy, [C + c] += sum dy * (x - mean). */
export function bnGradSums(dy: usize, x: usize, mean: usize, out: usize, from: i32, to: i32, C: i32, chunk: i32, pixels: i32): void {
  for (let k = from; k < to; k++) {
    gradSumRows(dy, x, mean, out + ((<usize>k * <usize>C) << 4), k * chunk, min((k + 1) * chunk, pixels), C);
  }
}

function gradSumRows(dy: usize, x: usize, mean: usize, out: usize, from: i32, to: i32, C: i32): void {
  const rowBytes = <usize>C << 2;
  const out2 = out + (rowBytes << 1);
  const block = blockPixels(rowBytes);
  for (let p0 = from; p0 < to; p0 += block) {
    const p1 = min(p0 + block, to);
    const base = <usize>p0 * rowBytes;
    for (let c: usize = 0; c < rowBytes; c += 16) {
      const m = v128.load(mean + c);
      let s1 = f32x4.splat(0);
      let s2 = f32x4.splat(0);
      let q = base + c;
      for (let p = p0; p < p1; p++) {
        const g = v128.load(dy + q);
        s1 = f32x4.add(s1, g);
        s2 = madd(g, f32x4.sub(v128.load(x + q), m), s2);
        q += rowBytes;
      }
      addToTotals(out + (c << 1), s1);
      addToTotals(out2 + (c << 1), s2);
    }
  }
}

/** out = a*u + b*(v - m) + d, per channel over pixels [from, to); u = 0 (null pointer) drops a*u.
 * Forward: y = scale*(x - mean) + beta. Backward: dx = k*dy - slope*(x - mean) - shift. */
export function channelAffine(u: usize, v: usize, out: usize, a: usize, b: usize, m: usize, d: usize, from: i32, to: i32, C: i32): void {
  const rowBytes = <usize>C << 2;
  const start = <usize>from * rowBytes;
  const end = <usize>to * rowBytes;
  if (u) {
    for (let row = start; row < end; row += rowBytes) {
      for (let c: usize = 0; c < rowBytes; c += 16) {
        const centred = f32x4.sub(v128.load(v + row + c), v128.load(m + c));
        const r = madd(centred, v128.load(b + c), f32x4.mul(v128.load(u + row + c), v128.load(a + c)));
        v128.store(out + row + c, f32x4.add(r, v128.load(d + c)));
      }
    }
  } else {
    for (let row = start; row < end; row += rowBytes) {
      for (let c: usize = 0; c < rowBytes; c += 16) {
        const centred = f32x4.sub(v128.load(v + row + c), v128.load(m + c));
        v128.store(out + row + c, f32x4.add(f32x4.mul(centred, v128.load(b + c)), v128.load(d + c)));
      }
    }
  }
}

/** Relu's gradient: dx = dy where x > 0, else 0 (NaN where x is NaN, as dy * step(x) gives), over
 * elements [from, to) in blocks of 4 (the caller handles a tail). */
export function reluGrad(dy: usize, x: usize, dx: usize, from: i32, to: i32): void {
  const nan = f32x4.splat(NaN);
  const zero = f32x4.splat(0);
  for (let i = <usize>from << 2; i < <usize>to << 2; i += 16) {
    const v = v128.load(x + i);
    const g = v128.and(v128.load(dy + i), f32x4.gt(v, zero));
    v128.store(dx + i, v128.bitselect(nan, g, f32x4.ne(v, v)));
  }
}

/** Relu, y = max(0, x) as the cpu backend's Math.max(0, x) gives it (NaN stays NaN, -0 becomes 0),
 * over elements [from, to) in blocks of 4 (the caller handles a tail). */
export function relu(x: usize, y: usize, from: i32, to: i32): void {
  const zero = f32x4.splat(0);
  for (let i = <usize>from << 2; i < <usize>to << 2; i += 16) {
    const v = v128.load(x + i);
    v128.store(y + i, v128.bitselect(v, zero, v128.or(f32x4.gt(v, zero), f32x4.ne(v, v))));
  }
}

/** y = x + bias per channel (a conv or dense layer's bias): x and y are [P, C] (C a multiple of 4,
 * bias [C]), for pixels [from, to). */
export function addChannels(x: usize, bias: usize, y: usize, from: i32, to: i32, C: i32): void {
  const px = <usize>C << 2;
  for (let p = from; p < to; p++) {
    const o = <usize>p * px;
    for (let c: usize = 0; c < px; c += 16) v128.store(y + o + c, f32x4.add(v128.load(x + o + c), v128.load(bias + c)));
  }
}

/**
 * Copies a window of src ([N, sh, sw, C]) into dst ([N, dh, dw, C]):
 *   dst[n, i, j] = src[n, i + oy, j + ox], or 0 where that is outside src,
 * for destination rows r = n*dh + i in [from, to). Negative offsets pad (zeros before), positive
 * ones crop. Replaces the stock PadV2 and Slice around the conv kernels (scalar loops: 13 ms and
 * 40 ms on S1's 32x160x160x3 input).
 */
export function copyWindow(src: usize, dst: usize, from: i32, to: i32, srcH: i32, srcW: i32, dh: i32, dw: i32, C: i32, oy: i32, ox: i32): void {
  const px = <usize>C << 2;
  // Destination columns that come from src: [j0, j1).
  const j0 = min(dw, max(0, -ox));
  const j1 = max(j0, min(dw, srcW - ox));
  for (let r = from; r < to; r++) {
    const n = r / dh;
    const i = r - n * dh;
    const out = dst + <usize>r * <usize>dw * px;
    const si = i + oy;
    if (si < 0 || si >= srcH) {
      memory.fill(out, 0, <usize>dw * px);
      continue;
    }
    if (j0 > 0) memory.fill(out, 0, <usize>j0 * px);
    const inRow = src + (<usize>(n * srcH + si) * <usize>srcW + <usize>(j0 + ox)) * px;
    memory.copy(out + <usize>j0 * px, inRow, <usize>(j1 - j0) * px);
    if (j1 < dw) memory.fill(out + <usize>j1 * px, 0, <usize>(dw - j1) * px);
  }
}

/** Packs w ([K, N], N a multiple of 8) into strips [N/8, K, 8] for strips [from, to). */
export function packStrips8(w: usize, wp: usize, from: i32, to: i32, K: i32, N: i32): void {
  const row = <usize>N << 2;
  for (let s = from; s < to; s++) {
    let src = w + (<usize>s << 5);
    let dst = wp + <usize>s * (<usize>K << 5);
    for (let k = 0; k < K; k++) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      src += row;
      dst += 32;
    }
  }
}

/**
 * Packs (part of) a filter w ([KH, KW, Cin, Cout], Cin a multiple of 8) for an input gradient
 * computed as a forward convolution (convForward on the padded dy): TA x TB taps, flipped in space,
 * input and output channels swapped, in strips of 8 input channels, for strips s in [from, to):
 *   wp[s, (a*TB + b)*Cout + co, i] = w[kh0 - sh*a, kw0 - sw*b, 8s + i, co]
 * Stride 1: all taps (TA = KH, kh0 = KH - 1, sh = 1). Stride s: the taps of one output phase
 * (see conv-input-grad.ts).
 */
export function packFlipped8(
  w: usize, wp: usize, from: i32, to: i32, TA: i32, TB: i32, KW: i32, Cin: i32, Cout: i32, kh0: i32, kw0: i32, sh: i32, sw: i32,
): void {
  const row = <usize>Cout << 2;
  let dst = wp + <usize>from * (<usize>(TA * TB * Cout) << 5);
  for (let s = from; s < to; s++) {
    for (let a = 0; a < TA; a++) {
      for (let b = 0; b < TB; b++) {
        const src = w + <usize>(((kh0 - sh * a) * KW + (kw0 - sw * b)) * Cin + 8 * s) * row;
        for (let co: usize = 0; co < (<usize>Cout << 2); co += 4) {
          const p = src + co;
          v128.store(dst, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(p)), 1, load<f32>(p + row)), 2, load<f32>(p + 2 * row)), 3, load<f32>(p + 3 * row)));
          const q = p + 4 * row;
          v128.store(dst, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(q)), 1, load<f32>(q + row)), 2, load<f32>(q + 2 * row)), 3, load<f32>(q + 3 * row)), 16);
          dst += 32;
        }
      }
    }
  }
}

/**
 * Scatters one output phase of a strided input gradient into dx: for rows r = n*Q + u in
 * [from, to) and v < QW, dx[n, u*sh + i0, v*sw + j0, :] = y[n, u, v, :] (y: [N, Q, QW, C]; dx:
 * [N, H, W, C]).
 */
export function scatterPhase(y: usize, dx: usize, from: i32, to: i32, Q: i32, QW: i32, H: i32, W: i32, C: i32, sh: i32, sw: i32, i0: i32, j0: i32): void {
  const px = <usize>C << 2;
  for (let r = from; r < to; r++) {
    const n = r / Q;
    const u = r - n * Q;
    let src = y + <usize>r * <usize>QW * px;
    let dst = dx + (<usize>(n * H + u * sh + i0) * <usize>W + <usize>j0) * px;
    const step = <usize>sw * px;
    for (let v = 0; v < QW; v++) {
      memory.copy(dst, src, px);
      src += px;
      dst += step;
    }
  }
}

/**
 * Depthwise convolution (one filter per channel, no dilation) with bias and clamp, on the unpadded
 * input x ([N, H, W, C]; `top` and `left` rows and columns of zeros before it, as the padding says):
 *   y[n, oh, ow, c] = clamp(bias[c] + sum over the taps (kh, kw) inside x of
 *                     x[n, oh*sh + kh - top, ow*sw + kw - left, c] * w[kh, kw, c])
 * for rows r = n*OH + oh in [from, to); w is [KH, KW, C]. Taps in the padding are skipped (not read as
 * zeros), as on the cpu backend, so nothing is copied first: depthwise layers move more memory than
 * they compute. C must be a multiple of 4; bias = 0 for none; the clamp bounds are f32 bit patterns,
 * as in convForward. Channels go 32 at a time (eight independent sums, enough to keep the
 * multiply-adds in flight), then 4 at a time. Each output is summed in the same order (kh, then kw)
 * whatever the split, so results do not depend on the number of threads.
 */
export function depthwiseForward(
  x: usize, w: usize, bias: usize, y: usize, from: i32, to: i32,
  OH: i32, OW: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, sh: i32, sw: i32, top: i32, left: i32, loBits: i32, hiBits: i32,
): void {
  const vlo = f32x4.splat(reinterpret<f32>(loBits));
  const vhi = f32x4.splat(reinterpret<f32>(hiBits));
  const zero = f32x4.splat(0);
  const px = <usize>C << 2; // bytes per pixel
  const xRow = <usize>W * px;
  const wRow = <usize>KW * px; // one kernel row of w
  for (let r = from; r < to; r++) {
    const n = r / OH;
    const oh = r - n * OH;
    const ih0 = oh * sh - top;
    const kh0 = max(0, -ih0);
    const kh1 = min(KH, H - ih0);
    let out = y + <usize>r * <usize>OW * px;
    for (let ow = 0; ow < OW; ow++) {
      const iw0 = ow * sw - left;
      const kw0 = max(0, -iw0);
      const kw1 = min(KW, W - iw0);
      // The first tap inside x, in x and in w.
      const x0 = x + <usize>((n * H + ih0 + kh0) * W + iw0 + kw0) * px;
      const w0 = w + <usize>(kh0 * KW + kw0) * px;
      let c: usize = 0;
      for (; c + 128 <= px; c += 128) {
        let s0 = zero, s1 = zero, s2 = zero, s3 = zero, s4 = zero, s5 = zero, s6 = zero, s7 = zero;
        if (bias) {
          s0 = v128.load(bias + c); s1 = v128.load(bias + c, 16); s2 = v128.load(bias + c, 32); s3 = v128.load(bias + c, 48);
          s4 = v128.load(bias + c, 64); s5 = v128.load(bias + c, 80); s6 = v128.load(bias + c, 96); s7 = v128.load(bias + c, 112);
        }
        let xr = x0 + c;
        let wr = w0 + c;
        for (let kh = kh0; kh < kh1; kh++) {
          let xk = xr;
          let wk = wr;
          for (let kw = kw0; kw < kw1; kw++) {
            s0 = madd(v128.load(xk), v128.load(wk), s0);
            s1 = madd(v128.load(xk, 16), v128.load(wk, 16), s1);
            s2 = madd(v128.load(xk, 32), v128.load(wk, 32), s2);
            s3 = madd(v128.load(xk, 48), v128.load(wk, 48), s3);
            s4 = madd(v128.load(xk, 64), v128.load(wk, 64), s4);
            s5 = madd(v128.load(xk, 80), v128.load(wk, 80), s5);
            s6 = madd(v128.load(xk, 96), v128.load(wk, 96), s6);
            s7 = madd(v128.load(xk, 112), v128.load(wk, 112), s7);
            xk += px;
            wk += px;
          }
          xr += xRow;
          wr += wRow;
        }
        const o = out + c;
        v128.store(o, f32x4.pmin(f32x4.pmax(s0, vlo), vhi));
        v128.store(o, f32x4.pmin(f32x4.pmax(s1, vlo), vhi), 16);
        v128.store(o, f32x4.pmin(f32x4.pmax(s2, vlo), vhi), 32);
        v128.store(o, f32x4.pmin(f32x4.pmax(s3, vlo), vhi), 48);
        v128.store(o, f32x4.pmin(f32x4.pmax(s4, vlo), vhi), 64);
        v128.store(o, f32x4.pmin(f32x4.pmax(s5, vlo), vhi), 80);
        v128.store(o, f32x4.pmin(f32x4.pmax(s6, vlo), vhi), 96);
        v128.store(o, f32x4.pmin(f32x4.pmax(s7, vlo), vhi), 112);
      }
      for (; c < px; c += 16) {
        let s = bias ? v128.load(bias + c) : zero;
        let xr = x0 + c;
        let wr = w0 + c;
        for (let kh = kh0; kh < kh1; kh++) {
          let xk = xr;
          let wk = wr;
          for (let kw = kw0; kw < kw1; kw++) {
            s = madd(v128.load(xk), v128.load(wk), s);
            xk += px;
            wk += px;
          }
          xr += xRow;
          wr += wRow;
        }
        v128.store(out + c, f32x4.pmin(f32x4.pmax(s, vlo), vhi));
      }
      out += px;
    }
  }
}

/**
 * Convolution (any kernel size and stride, no dilation) with bias and clamp, on the input already
 * padded as the convolution reads it (xp: [N, Hp, Wp, Cin]):
 *   y[n, oh, ow, co] = clamp(bias[co] + sum over kh, j of xp[n, oh*sh + kh, ow*sw*Cin + j] * w[kh, j, co])
 * for rows r = n*OH + oh in [from, to), j over the KW*Cin values of a kernel row (contiguous in xp).
 * wp is the filter ([KH*J, Cout]) packed in strips of 8 output channels (packStrips8). Tiles of 4
 * output pixels x 8 channels stay in 8 registers across the whole window. The share's output pixels
 * are taken as one flat run (rows and images one after another), so a tile may span rows: on small
 * maps (a row of 3 or 6 pixels, as FER-sized networks have) every tile is still 4 pixels wide. `pix`
 * is scratch of N*OH*OW i32s where this share first writes each of its pixels' window offsets in xp.
 * Cout must be a multiple of 8; bias = 0 for none; the clamp bounds are f32 bit patterns (calls pass
 * integers only: a worker's arguments travel through an Int32Array). A 1x1, stride-1 convolution is
 * the case KH = 1, J = Cin, sw = 1 over rows of pixels (a matrix product).
 */
export function convForward(
  xp: usize, wp: usize, bias: usize, y: usize, from: i32, to: i32,
  OH: i32, OW: i32, Hp: i32, Wp: i32, Cin: i32, N: i32, KH: i32, J: i32, sh: i32, sw: i32, loBits: i32, hiBits: i32, pix: usize,
): void {
  const vlo = f32x4.splat(reinterpret<f32>(loBits));
  const vhi = f32x4.splat(reinterpret<f32>(hiBits));
  const px = <usize>(sw * Cin) << 2; // bytes between neighbouring output pixels in an xp row
  const xRowBytes = <usize>Wp * (<usize>Cin << 2);
  const stripBytes = <usize>(KH * J) << 5; // one packed strip: KH*J x 8 floats
  const khBytes = <usize>J << 5;
  const jBytes = <usize>J << 2;
  const yPixel = <usize>N << 2;
  // Window offsets of this share's pixels, in pixel order.
  let q = pix + ((<usize>from * <usize>OW) << 2);
  for (let r = from; r < to; r++) {
    const n = r / OH;
    const oh = r - n * OH;
    let o = <u32>(<usize>(n * Hp + oh * sh) * xRowBytes);
    for (let ow = 0; ow < OW; ow++) {
      store<u32>(q, o);
      q += 4;
      o += <u32>px;
    }
  }
  const p0 = from * OW;
  const p1 = to * OW;
  // Blocks of output pixels whose windows (about 128 KiB of xp) stay in L2 while every strip of the
  // filter passes over them; a strip (KH*J x 8 floats) stays in L1 across the block's tiles.
  const block = max(4, <i32>(131072 / (<usize>KH * px)) & ~3);
  for (let pb = p0; pb < p1; pb += block) {
    const pe = min(pb + block, p1);
    for (let nb = 0; nb < N; nb += 8) {
      const ws = wp + <usize>(nb >> 3) * stripBytes;
      const b0 = bias ? v128.load(bias + (<usize>nb << 2)) : f32x4.splat(0);
      const b1 = bias ? v128.load(bias + (<usize>nb << 2), 16) : f32x4.splat(0);
      let p = pb;
      for (; p + 4 <= pe; p += 4) {
        const t = pix + (<usize>p << 2);
        let s00 = b0, s01 = b1, s10 = b0, s11 = b1, s20 = b0, s21 = b1, s30 = b0, s31 = b1;
        let x0 = xp + <usize>load<u32>(t);
        let x1 = xp + <usize>load<u32>(t, 4);
        let x2 = xp + <usize>load<u32>(t, 8);
        let x3 = xp + <usize>load<u32>(t, 12);
        let pw = ws;
        for (let kh = 0; kh < KH; kh++) {
          for (let j: usize = 0; j < jBytes; j += 4) {
            const w0 = v128.load(pw);
            const w1 = v128.load(pw, 16);
            const a0 = v128.load32_splat(x0 + j);
            const a1 = v128.load32_splat(x1 + j);
            const a2 = v128.load32_splat(x2 + j);
            const a3 = v128.load32_splat(x3 + j);
            s00 = madd(a0, w0, s00);
            s01 = madd(a0, w1, s01);
            s10 = madd(a1, w0, s10);
            s11 = madd(a1, w1, s11);
            s20 = madd(a2, w0, s20);
            s21 = madd(a2, w1, s21);
            s30 = madd(a3, w0, s30);
            s31 = madd(a3, w1, s31);
            pw += 32;
          }
          x0 += xRowBytes;
          x1 += xRowBytes;
          x2 += xRowBytes;
          x3 += xRowBytes;
        }
        const o0 = y + <usize>p * yPixel + (<usize>nb << 2);
        const o1 = o0 + yPixel;
        const o2 = o1 + yPixel;
        const o3 = o2 + yPixel;
        v128.store(o0, f32x4.pmin(f32x4.pmax(s00, vlo), vhi)); v128.store(o0, f32x4.pmin(f32x4.pmax(s01, vlo), vhi), 16);
        v128.store(o1, f32x4.pmin(f32x4.pmax(s10, vlo), vhi)); v128.store(o1, f32x4.pmin(f32x4.pmax(s11, vlo), vhi), 16);
        v128.store(o2, f32x4.pmin(f32x4.pmax(s20, vlo), vhi)); v128.store(o2, f32x4.pmin(f32x4.pmax(s21, vlo), vhi), 16);
        v128.store(o3, f32x4.pmin(f32x4.pmax(s30, vlo), vhi)); v128.store(o3, f32x4.pmin(f32x4.pmax(s31, vlo), vhi), 16);
      }
      // The last 1-3 pixels of the share: one at a time.
      for (; p < pe; p++) {
        let s0 = b0, s1 = b1;
        let x0 = xp + <usize>load<u32>(pix + (<usize>p << 2));
        let pw = ws;
        for (let kh = 0; kh < KH; kh++) {
          for (let j: usize = 0; j < jBytes; j += 4) {
            const a = v128.load32_splat(x0 + j);
            s0 = madd(a, v128.load(pw), s0);
            s1 = madd(a, v128.load(pw, 16), s1);
            pw += 32;
          }
          x0 += xRowBytes;
        }
        const o0 = y + <usize>p * yPixel + (<usize>nb << 2);
        v128.store(o0, f32x4.pmin(f32x4.pmax(s0, vlo), vhi)); v128.store(o0, f32x4.pmin(f32x4.pmax(s1, vlo), vhi), 16);
      }
    }
  }
}

/**
 * One Adam step for elements [from, to) of a variable w with moments m, v and gradient g, into
 * wOut, mOut, vOut, with the operations (and f32 roundings) of tfjs' AdamOptimizer, in its order:
 *   m' = m*b1 + g*omb1          v' = v*b2 + (g*g)*omb2
 *   w' = ((m'/c1) / (sqrt(v'/c2) + eps)) * negLr + w
 * where omb1 = 1 - b1, omb2 = 1 - b2 (as f32), c1 = 1 - b1^t, c2 = 1 - b2^t, negLr = -lr. Scalars
 * arrive as f32 bit patterns. No fused multiply-add here: each product is rounded as tfjs rounds it.
 */
export function adamUpdate(
  w: usize, m: usize, v: usize, g: usize, wOut: usize, mOut: usize, vOut: usize, from: i32, to: i32,
  b1Bits: i32, omb1Bits: i32, b2Bits: i32, omb2Bits: i32, c1Bits: i32, c2Bits: i32, epsBits: i32, negLrBits: i32,
): void {
  const b1 = reinterpret<f32>(b1Bits), omb1 = reinterpret<f32>(omb1Bits);
  const b2 = reinterpret<f32>(b2Bits), omb2 = reinterpret<f32>(omb2Bits);
  const c1 = reinterpret<f32>(c1Bits), c2 = reinterpret<f32>(c2Bits);
  const eps = reinterpret<f32>(epsBits), negLr = reinterpret<f32>(negLrBits);
  const vb1 = f32x4.splat(b1), vomb1 = f32x4.splat(omb1), vb2 = f32x4.splat(b2), vomb2 = f32x4.splat(omb2);
  const vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2), veps = f32x4.splat(eps), vlr = f32x4.splat(negLr);
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gi, vomb1));
    const vi = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(gi, gi), vomb2));
    const step = f32x4.mul(f32x4.div(f32x4.div(mi, vc1), f32x4.add(f32x4.sqrt(f32x4.div(vi, vc2)), veps)), vlr);
    v128.store(mOut + o, mi);
    v128.store(vOut + o, vi);
    v128.store(wOut + o, f32x4.add(step, v128.load(w + o)));
  }
  for (; i < to; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi: f32 = load<f32>(m + o) * b1 + gi * omb1;
    const vi: f32 = load<f32>(v + o) * b2 + (gi * gi) * omb2;
    const step: f32 = ((mi / c1) / (Mathf.sqrt(vi / c2) + eps)) * negLr;
    store<f32>(mOut + o, mi);
    store<f32>(vOut + o, vi);
    store<f32>(wOut + o, step + load<f32>(w + o));
  }
}
