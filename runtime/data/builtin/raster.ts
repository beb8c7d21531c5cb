// A tiny software rasteriser for the built-in faces: shapes are signed-distance functions (SDFs),
// filled with one pixel of anti-aliasing, into a float RGB buffer.
//
// Why SDFs: one fill loop serves ellipses, thick curves, bands between curves and boxes; union and
// intersection are min/max; and the edge softness (blur) is one number. All math is plain IEEE
// arithmetic plus Math.sqrt/sin/cos, so every machine draws the same bytes.

export type Rgb = readonly [number, number, number];

/** An axis-aligned bounding box in the shape's own coordinates. */
export interface Box {
  u0: number;
  v0: number;
  u1: number;
  v1: number;
}

/** Something fillable: a bounding box and a signed distance (negative inside) in the same units. */
export interface Shape {
  box: Box;
  sdf(u: number, v: number): number;
  /**
   * A bound on how fast sdf changes per unit moved (1 for an exact distance). When given, scans skip
   * runs of pixels that are surely all outside or all inside, which makes big shapes cheap.
   */
  lipschitz?: number;
}

/** The image being drawn: RGB floats in 0..255, HWC. */
export class Canvas {
  readonly px: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.px = new Float32Array(width * height * 3);
  }
}

/**
 * Maps pixel centres into local coordinates: rotate by `angle` and divide by `scale` (pixels per unit)
 * around the pixel point (cx, cy). `soft` is the anti-aliasing edge width in pixels (>= 1; larger blurs).
 */
export class Frame {
  readonly cos: number;
  readonly sin: number;
  constructor(
    readonly cx: number,
    readonly cy: number,
    readonly scale: number,
    angle: number,
    readonly soft: number,
  ) {
    this.cos = Math.cos(angle);
    this.sin = Math.sin(angle);
  }

  /** The frame of the image itself: local units are pixels. */
  static pixels(soft: number): Frame {
    return new Frame(0, 0, 1, 0, soft);
  }

  /** Pixel rectangle [x0, x1) x [y0, y1) covering a local box, clipped to the canvas. */
  pixelBox(c: Canvas, b: Box): [number, number, number, number] {
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const [u, v] of [
      [b.u0, b.v0],
      [b.u1, b.v0],
      [b.u0, b.v1],
      [b.u1, b.v1],
    ]) {
      const x = this.cx + (u * this.cos - v * this.sin) * this.scale;
      const y = this.cy + (u * this.sin + v * this.cos) * this.scale;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
    const pad = this.soft + 1;
    return [
      Math.max(0, Math.floor(x0 - pad)),
      Math.max(0, Math.floor(y0 - pad)),
      Math.min(c.width, Math.ceil(x1 + pad)),
      Math.min(c.height, Math.ceil(y1 + pad)),
    ];
  }

  /**
   * Computes the shape's coverage, row by row, into a reusable buffer and hands each row's touched span
   * [xs, xe) to `row`; cov[x] is in [0, 1] (0 = untouched). The one loop every drawing operation goes
   * through. Rows rather than pixels are handed over so that the per-pixel work stays in the caller's
   * own tight loop instead of a callback per pixel.
   */
  scan(c: Canvas, s: Shape, row: (y: number, xs: number, xe: number, cov: Float32Array) => void): void {
    const [x0, y0, x1, y1] = this.pixelBox(c, s.box);
    if (x1 <= x0) return;
    const cov = coverageRow(c.width);
    const k = this.scale / this.soft; // local distance -> fraction of an edge width
    const du = this.cos / this.scale;
    const dv = -this.sin / this.scale;
    const lip = s.lipschitz ?? 0; // 0: no skipping
    for (let y = y0; y < y1; y++) {
      const dy = y + 0.5 - this.cy;
      const dx0 = x0 + 0.5 - this.cx;
      const u0 = (dx0 * this.cos + dy * this.sin) / this.scale;
      const v0 = (-dx0 * this.sin + dy * this.cos) / this.scale;
      let xs = x1;
      let xe = x0;
      for (let x = x0; x < x1; x++) {
        const d = s.sdf(u0 + (x - x0) * du, v0 + (x - x0) * dv);
        // Pixels within this many steps are as surely out (or fully in) as this one.
        // (Coverage changes state only where |sdf| * scale < soft / 2, and sdf moves at most L per unit.)
        const run = lip > 0 ? Math.floor((Math.abs(d) * this.scale - 0.5 * this.soft) / lip) - 1 : 0;
        let a = 0.5 - d * k;
        if (a <= 0) {
          cov[x] = 0;
          if (run > 0) {
            const end = Math.min(x1 - 1, x + run);
            while (x < end) cov[++x] = 0;
          }
          continue;
        }
        if (a > 1) a = 1;
        cov[x] = a;
        if (x < xs) xs = x;
        if (run > 0 && a === 1) {
          const end = Math.min(x1 - 1, x + run);
          while (x < end) cov[++x] = 1;
        }
        xe = x + 1;
      }
      if (xs < xe) row(y, xs, xe, cov);
    }
  }

  /** Paints a shape in one colour, blended by coverage times alpha. */
  fill(c: Canvas, s: Shape, color: Rgb, alpha = 1): void {
    if (alpha <= 0) return;
    const px = c.px;
    const [r, g, b] = color;
    this.scan(c, s, (y, xs, xe, cov) => {
      for (let x = xs, i = (y * c.width + xs) * 3; x < xe; x++, i += 3) {
        const a = cov[x] * alpha;
        if (a === 0) continue;
        px[i] += (r - px[i]) * a;
        px[i + 1] += (g - px[i + 1]) * a;
        px[i + 2] += (b - px[i + 2]) * a;
      }
    });
  }

  /** Multiplies the pixels under a shape by gain(u, v) (lighting, shadows), blended by coverage. */
  modulate(c: Canvas, s: Shape, gain: (u: number, v: number) => number): void {
    const px = c.px;
    this.scan(c, s, (y, xs, xe, cov) => {
      const dy = y + 0.5 - this.cy;
      for (let x = xs, i = (y * c.width + xs) * 3; x < xe; x++, i += 3) {
        if (cov[x] === 0) continue;
        const dx = x + 0.5 - this.cx;
        const u = (dx * this.cos + dy * this.sin) / this.scale;
        const v = (-dx * this.sin + dy * this.cos) / this.scale;
        const m = 1 + (gain(u, v) - 1) * cov[x];
        px[i] *= m;
        px[i + 1] *= m;
        px[i + 2] *= m;
      }
    });
  }
}

/** One coverage row, reused across all scans of the same width (shapes are drawn one at a time). */
let covBuffer = new Float32Array(0);
function coverageRow(width: number): Float32Array {
  if (covBuffer.length < width) covBuffer = new Float32Array(width);
  return covBuffer;
}

// ---- shapes -----------------------------------------------------------------------------------

/** Filled ellipse, optionally rotated by `angle` about its centre. */
export function ellipse(cu: number, cv: number, rx: number, ry: number, angle = 0): Shape {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const r = Math.max(rx, ry);
  const ratio = r / Math.min(rx, ry);
  return {
    box: { u0: cu - r, v0: cv - r, u1: cu + r, v1: cv + r },
    // Measured bound of the outside estimate up to 2.5:1; skip nothing for flatter ellipses.
    lipschitz: ratio <= 2.5 ? 1.5 : undefined,
    sdf(u, v) {
      const du = u - cu;
      const dv = v - cv;
      return ellipseSdf(du * cos + dv * sin, -du * sin + dv * cos, rx, ry);
    },
  };
}

/**
 * Signed distance estimate to an axis-aligned ellipse. Outside: Quilez's first-order estimate (exact on
 * the axes, close elsewhere). Inside: (k - 1) * min radius, which never overstates the depth, so scans
 * may safely skip by it (the outside estimate is near-exact, the inside one only needs to be safe).
 */
export function ellipseSdf(x: number, y: number, rx: number, ry: number): number {
  const ax = x / rx;
  const ay = y / ry;
  const k0 = Math.sqrt(ax * ax + ay * ay);
  if (k0 < 1) return (k0 - 1) * Math.min(rx, ry);
  const bx = ax / rx;
  const by = ay / ry;
  return (k0 * (k0 - 1)) / Math.sqrt(bx * bx + by * by);
}

/** Rotated rectangle with half sizes hw x hh (a bar, a frame, a finger). */
export function rect(cu: number, cv: number, hw: number, hh: number, angle = 0): Shape {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const r = Math.sqrt(hw * hw + hh * hh);
  return {
    box: { u0: cu - r, v0: cv - r, u1: cu + r, v1: cv + r },
    lipschitz: 1,
    sdf(u, v) {
      const du = u - cu;
      const dv = v - cv;
      const x = Math.abs(du * cos + dv * sin) - hw;
      const y = Math.abs(-du * sin + dv * cos) - hh;
      const ox = Math.max(x, 0);
      const oy = Math.max(y, 0);
      return Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(x, y), 0);
    },
  };
}

/**
 * A thick polyline through points [u0, v0, u1, v1, ...] whose half-thickness goes linearly from r0 at
 * the first point to r1 at the last (brows taper, lid lines, wrinkles).
 */
export function stroke(pts: number[], r0: number, r1 = r0): Shape {
  const n = pts.length / 2;
  const rMax = Math.max(r0, r1);
  const box = { u0: Infinity, v0: Infinity, u1: -Infinity, v1: -Infinity };
  for (let i = 0; i < n; i++) {
    box.u0 = Math.min(box.u0, pts[2 * i] - rMax);
    box.u1 = Math.max(box.u1, pts[2 * i] + rMax);
    box.v0 = Math.min(box.v0, pts[2 * i + 1] - rMax);
    box.v1 = Math.max(box.v1, pts[2 * i + 1] + rMax);
  }
  return {
    box,
    lipschitz: 1.2,
    sdf(u, v) {
      let best = Infinity;
      for (let i = 0; i + 1 < n; i++) {
        const ax = pts[2 * i];
        const ay = pts[2 * i + 1];
        const bx = pts[2 * i + 2] - ax;
        const by = pts[2 * i + 3] - ay;
        const px = u - ax;
        const py = v - ay;
        const bb = bx * bx + by * by;
        const h = bb === 0 ? 0 : Math.min(1, Math.max(0, (px * bx + py * by) / bb));
        const ex = px - bx * h;
        const ey = py - by * h;
        const r = r0 + (r1 - r0) * ((i + h) / Math.max(1, n - 1));
        const d = Math.sqrt(ex * ex + ey * ey) - r;
        if (d < best) best = d;
      }
      return best;
    },
  };
}

/** Points along a quadratic Bezier p0 -> (control c) -> p2, for stroke(). */
export function bezier(p0u: number, p0v: number, cu: number, cv: number, p2u: number, p2v: number, segments = 8): number[] {
  const pts: number[] = [];
  for (let i = 0; i <= segments; i++) {
    const t = i / segments;
    const a = (1 - t) * (1 - t);
    const b = 2 * t * (1 - t);
    const c = t * t;
    pts.push(a * p0u + b * cu + c * p2u, a * p0v + b * cv + c * p2v);
  }
  return pts;
}

/** Points along v = f(t) for u = cu + t*hw, t in [-1, 1] (lid and lip lines follow band edges). */
export function curvePoints(cu: number, hw: number, f: (t: number) => number, segments = 10): number[] {
  const pts: number[] = [];
  for (let i = 0; i <= segments; i++) {
    const t = -1 + (2 * i) / segments;
    pts.push(cu + t * hw, f(t));
  }
  return pts;
}

/**
 * The region between two curves over u in [cu - hw, cu + hw]: top(t) <= v <= bottom(t), t = (u - cu)/hw.
 * Eyes, lips and the open mouth are all such bands; where top meets bottom the band pinches shut.
 */
export function band(cu: number, hw: number, top: (t: number) => number, bottom: (t: number) => number): Shape {
  let v0 = Infinity;
  let v1 = -Infinity;
  for (let i = 0; i <= 8; i++) {
    const t = -1 + i / 4;
    v0 = Math.min(v0, top(t));
    v1 = Math.max(v1, bottom(t));
  }
  return {
    box: { u0: cu - hw, v0, u1: cu + hw, v1 },
    sdf(u, v) {
      const du = Math.abs(u - cu) - hw;
      let t = (u - cu) / hw;
      t = t < -1 ? -1 : t > 1 ? 1 : t;
      return Math.max(du, top(t) - v, v - bottom(t));
    },
  };
}

/** Intersection of two shapes (e.g. the iris clipped by the eyelids). */
export function intersect(a: Shape, b: Shape): Shape {
  return {
    box: {
      u0: Math.max(a.box.u0, b.box.u0),
      v0: Math.max(a.box.v0, b.box.v0),
      u1: Math.min(a.box.u1, b.box.u1),
      v1: Math.min(a.box.v1, b.box.v1),
    },
    sdf: (u, v) => Math.max(a.sdf(u, v), b.sdf(u, v)),
    lipschitz: a.lipschitz && b.lipschitz ? Math.max(a.lipschitz, b.lipschitz) : undefined,
  };
}

/** Ring: the outline of a shape, `r` thick on each side (glasses frames). */
export function outline(s: Shape, r: number): Shape {
  return {
    box: { u0: s.box.u0 - r, v0: s.box.v0 - r, u1: s.box.u1 + r, v1: s.box.v1 + r },
    sdf: (u, v) => Math.abs(s.sdf(u, v)) - r,
    lipschitz: s.lipschitz,
  };
}

/** Linear mix of two colours. */
export function mixRgb(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** A colour scaled in brightness. */
export function shadeRgb(a: Rgb, k: number): Rgb {
  return [a[0] * k, a[1] * k, a[2] * k];
}
