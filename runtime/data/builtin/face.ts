// Draws one person (hair, shoulders, head, features) in face units through a Frame (the head pose).
//
// Each feature is a function of the identity (resting geometry) and the action units (expression),
// so an expression moves the same brows, lids and lips that identity shapes.

import type { ActionUnits } from './expression.ts';
import type { Identity } from './identity.ts';
import {
  band,
  bezier,
  type Canvas,
  curvePoints,
  ellipse,
  ellipseSdf,
  type Frame,
  intersect,
  mixRgb,
  rect,
  type Rgb,
  type Shape,
  shadeRgb,
  stroke,
} from './raster.ts';

/** Per-image viewing conditions that the face drawing needs. */
export interface Look {
  /** Head turn, -1..1: inner features shift sideways and the far eye narrows. */
  yaw: number;
  gazeU: number;
  gazeV: number;
  /** Light direction (towards the light), x right, y down, z towards the camera. */
  light: [number, number, number];
  ambient: number;
}

const DARK: Rgb = [28, 20, 18];
const SCLERA: Rgb = [235, 232, 226];
const TEETH: Rgb = [236, 230, 214];
const CAVITY: Rgb = [60, 22, 24];

export function drawPerson(c: Canvas, f: Frame, id: Identity, au: ActionUnits, look: Look): void {
  const head = headShape(id, au);
  drawBackHair(c, f, id);
  drawBody(c, f, id);
  for (const s of [-1, 1]) f.fill(c, ellipse(s * id.faceRx * 0.97, -0.02, 0.085 * id.earSize, 0.16 * id.earSize), shadeRgb(id.skin, 0.9));
  f.fill(c, head, id.skin);
  drawBeard(c, f, id, head);
  drawCreases(c, f, id, au, look);
  for (const s of [-1, 1]) drawEye(c, f, id, au, look, s);
  for (const s of [-1, 1]) drawBrow(c, f, id, au, look, s);
  drawNose(c, f, id, au, look);
  drawMouth(c, f, id, au, look);
  drawFringe(c, f, id);
  shadeHead(c, f, id, look, head);
}

/** The head outline: an ellipse whose lower half narrows to the jaw and lengthens as the jaw drops. */
function headShape(id: Identity, au: ActionUnits): Shape {
  const rx = id.faceRx;
  const ryTop = id.faceRy;
  const ryLow = id.faceRy * 0.95 + 0.1 * au.jawDrop;
  return {
    box: { u0: -rx, v0: -ryTop, u1: rx, v1: ryLow },
    lipschitz: 2,
    sdf(u, v) {
      if (v <= 0) return ellipseSdf(u, v, rx, ryTop);
      const t = v / ryLow;
      return ellipseSdf(u, v, rx * (1 - id.jawTaper * t * t), ryLow);
    },
  };
}

/** Hair behind the head: a cap for short hair, a cap plus a curtain down to the shoulders for long. */
function drawBackHair(c: Canvas, f: Frame, id: Identity): void {
  if (id.hairStyle === 0) return;
  const vol = id.hairVolume;
  f.fill(c, backHair(id), id.hair);
  if (id.hairStyle === 2) f.fill(c, rect(0, 0.45, id.faceRx + 0.04 + vol * 0.8, 0.65), id.hair);
}

/** The hair mass behind the top of the head (short hair shows only above and beside the temples). */
function backHair(id: Identity): Shape {
  const vol = id.hairVolume;
  return ellipse(0, -0.3, id.faceRx + 0.04 + vol * 0.7, id.faceRy * 0.85 + vol);
}

/** Shoulders in clothes and the neck: real crops show them, and they move with the head. */
function drawBody(c: Canvas, f: Frame, id: Identity): void {
  f.fill(c, rect(0, id.faceRy * 0.85, id.faceRx * 0.42, 0.6), shadeRgb(id.skin, 0.8));
  f.fill(c, ellipse(0, id.faceRy + 0.9, 1.75, 0.7), id.clothes);
}

/** Stubble or beard: the hair colour laid thinly over the lower face. */
function drawBeard(c: Canvas, f: Frame, id: Identity, head: Shape): void {
  if (id.beard <= 0) return;
  const top = id.mouthY - 0.1;
  const beard: Shape = {
    box: { u0: head.box.u0, v0: top, u1: head.box.u1, v1: head.box.v1 },
    sdf: (u, v) => Math.max(head.sdf(u, v), top + 0.25 * u * u - v),
    lipschitz: 2,
  };
  f.fill(c, beard, id.hair, 0.45 * id.beard);
}

/** Expression lines: forehead furrows (raised brows), frown lines (lowered brows), smile folds. */
function drawCreases(c: Canvas, f: Frame, id: Identity, au: ActionUnits, look: Look): void {
  const line = mixRgb(id.skin, DARK, 0.45);
  const browV = id.eyeY - id.browGap;
  const shift = look.yaw * 0.12;
  // Forehead furrows: horizontal arcs that appear with raised brows (and centrally with inner raise).
  const furrow = Math.min(1, au.browRaise + 0.6 * au.innerBrowRaise);
  for (let k = 0; k < 3; k++) {
    const v = browV - 0.13 - 0.08 * k;
    const w = 0.32 - 0.06 * k - 0.12 * (1 - au.browRaise);
    if (w > 0.05) f.fill(c, stroke(bezier(shift - w, v + 0.02, shift, v - 0.03, shift + w, v + 0.02), 0.008), line, 0.45 * furrow);
  }
  // Frown lines between the brows.
  const frown = Math.min(1, au.browLower + 0.5 * au.browTogether);
  for (const s of [-1, 1]) {
    f.fill(c, stroke([shift + s * 0.04, browV - 0.02, shift + s * 0.055, browV + 0.09], 0.008), line, 0.55 * frown);
  }
  // Nasolabial folds from the nose wings to beyond the mouth corners: deepen with smiles and sneers.
  const fold = Math.min(1, 0.15 + 0.8 * au.lipCornerUp + 0.6 * au.upperLipRaise + 0.3 * au.cheekRaise);
  const mouthHw = id.mouthW * (1 + 0.2 * au.lipCornerUp + 0.3 * au.lipStretch);
  for (const s of [-1, 1]) {
    const u0 = shift + s * id.noseW * 0.95;
    const u2 = shift + s * (mouthHw + 0.07);
    const pts = bezier(u0, id.noseY - 0.02, u2 + s * 0.03, id.noseY + 0.12, u2, id.mouthY + 0.1);
    f.fill(c, stroke(pts, 0.012, 0.006), line, 0.5 * fold);
  }
}

/** One eye (s = -1 left in the image, +1 right): sclera between the lids, iris, pupil, lid lines. */
function drawEye(c: Canvas, f: Frame, id: Identity, au: ActionUnits, look: Look, s: number): void {
  const far = s * look.yaw > 0 ? 1 - 0.3 * Math.abs(look.yaw) : 1; // the eye on the turned-away side narrows
  const cu = s * id.eyeSpacing + look.yaw * 0.12;
  const cv = id.eyeY;
  const hw = id.eyeW * far;
  const up = id.eyeH * Math.max(0.12, 1 + 0.9 * au.lidRaise - 0.45 * au.lidTighten - 0.4 * au.lidDroop - 0.3 * au.cheekRaise);
  const low = id.eyeH * 0.75 * Math.max(0.1, 1 + 0.25 * au.lidRaise - 0.4 * au.lidTighten - 0.7 * au.cheekRaise);
  const tilt = id.eyeTilt - 0.015 * au.lidDroop; // sad lids droop at the outer corner
  // t runs outward from the nose on both eyes so tilt and droop are mirror-symmetric.
  const top = (t: number) => cv - s * t * tilt - up * (1 - t * t) * (1 - 0.25 * au.lidDroop * Math.max(0, s * t));
  const bottom = (t: number) => cv - s * t * tilt + low * (1 - t * t);
  const eye = band(cu, hw, top, bottom);
  f.fill(c, eye, SCLERA);
  const ri = id.eyeW * 0.48 * far;
  const iu = cu + look.gazeU * hw * 0.3;
  const iv = cv + look.gazeV * 0.02 - up * 0.1;
  f.fill(c, intersect(ellipse(iu, iv, ri, ri), eye), id.iris);
  f.fill(c, intersect(ellipse(iu, iv, ri * 0.45, ri * 0.45), eye), DARK);
  f.fill(c, intersect(ellipse(iu - ri * 0.3, iv - ri * 0.35, ri * 0.16, ri * 0.16), eye), SCLERA, 0.8);
  // Upper lid line (lashes), the lid crease above it, a faint lower lid line.
  f.fill(c, stroke(curvePoints(cu, hw * 1.05, top, 8), 0.016, 0.012), DARK, 0.85);
  const crease = (t: number) => top(t) - (0.035 + 0.01 * au.lidDroop) * (1 - 0.5 * t * t);
  f.fill(c, stroke(curvePoints(cu, hw * 0.9, crease, 8), 0.009), mixRgb(id.skin, DARK, 0.5), 0.45 * (1 - Math.min(1, au.lidRaise)));
  f.fill(c, stroke(curvePoints(cu, hw * 0.95, bottom, 8), 0.008), mixRgb(id.skin, DARK, 0.4), 0.5);
  // Cheek raise bunches the skin under the eye (happy, disgust).
  const bag = (t: number) => bottom(t) + 0.04 + 0.01 * t * t;
  f.fill(c, stroke(curvePoints(cu, hw * 0.8, bag, 6), 0.009), mixRgb(id.skin, DARK, 0.4), 0.5 * Math.min(1, au.cheekRaise));
}

/** One brow: a tapered thick curve from the inner end to the outer end, moved by brow action units. */
function drawBrow(c: Canvas, f: Frame, id: Identity, au: ActionUnits, look: Look, s: number): void {
  const shift = look.yaw * 0.12;
  const base = id.eyeY - id.browGap;
  const raise = 0.14 * au.browRaise;
  const inner = id.eyeSpacing - id.eyeW * 0.95 - 0.05 * au.browTogether - 0.02 * au.browLower;
  const outer = id.eyeSpacing + id.eyeW * 1.2;
  const innerV = base + id.browTilt - raise - 0.12 * au.innerBrowRaise + 0.11 * au.browLower;
  const midV = base - id.browArch - raise * 1.1 - 0.03 * au.innerBrowRaise + 0.06 * au.browLower;
  const outerV = base + 0.02 - raise * 0.8 + 0.035 * au.innerBrowRaise + 0.01 * au.browLower;
  const pts = bezier(
    shift + s * inner,
    innerV,
    shift + s * (inner + outer) * 0.5,
    2 * midV - (innerV + outerV) * 0.5,
    shift + s * outer,
    outerV,
  );
  f.fill(c, stroke(pts, id.browThick, id.browThick * 0.5), mixRgb(id.hair, DARK, 0.5));
}

/** Nose: nostrils, the wings' outline and a side shadow; the disgust wrinkle lifts and creases it. */
function drawNose(c: Canvas, f: Frame, id: Identity, au: ActionUnits, look: Look): void {
  const shift = look.yaw * 0.16;
  const tip = id.noseY - 0.035 * au.noseWrinkle - 0.02 * au.upperLipRaise;
  const w = id.noseW * (1 + 0.25 * au.noseWrinkle);
  const line = mixRgb(id.skin, DARK, 0.55);
  f.fill(c, stroke([shift + 0.05, id.eyeY + 0.05, shift + 0.06, tip - 0.08], 0.025, 0.03), shadeRgb(id.skin, 0.85), 0.5);
  for (const s of [-1, 1]) {
    f.fill(c, ellipse(shift + s * w * 0.42, tip + 0.025, 0.035, 0.018, s * 0.3), DARK, 0.75);
    f.fill(
      c,
      stroke(bezier(shift + s * w * 0.55, tip - 0.06, shift + s * w * 1.05, tip + 0.0, shift + s * w * 0.6, tip + 0.045), 0.009),
      line,
      0.6,
    );
  }
  // Disgust: horizontal wrinkles across the bridge.
  for (let k = 0; k < 3; k++) {
    const v = id.eyeY + 0.06 + k * 0.04;
    f.fill(
      c,
      stroke(bezier(shift - 0.07, v + 0.01, shift, v - 0.012, shift + 0.07, v + 0.01), 0.008),
      line,
      0.7 * Math.min(1, au.noseWrinkle),
    );
  }
}

/**
 * The mouth as bands between curves around a centre line y(t): upper lip, opening (cavity and teeth),
 * lower lip. Smiles curve the line up at the corners, sadness down; stretch widens and flattens it;
 * a round opening (surprise) narrows it; a raised upper lip (disgust) lifts the upper inner edge.
 */
function drawMouth(c: Canvas, f: Frame, id: Identity, au: ActionUnits, look: Look): void {
  const cu = look.yaw * 0.14;
  const mv = id.mouthY + 0.03 * au.jawDrop - 0.025 * au.upperLipRaise - 0.015 * au.chinRaise;
  const hw = id.mouthW * Math.max(0.45, 1 + 0.35 * au.lipStretch + 0.25 * au.lipCornerUp - 0.45 * au.mouthRound - 0.12 * au.lipPress);
  const corner = id.mouthRest - 0.15 * au.lipCornerUp + 0.1 * au.lipCornerDown + 0.015 * au.lipStretch;
  const open = 0.32 * au.jawDrop * (1 + 0.3 * au.mouthRound);
  const round = Math.min(1, au.mouthRound);
  const square = Math.min(1, au.lipStretch) * (1 - round);
  const profile = (t: number) => {
    const tt = t * t;
    const oval = Math.sqrt(Math.max(0, 1 - tt));
    return (1 - round - square) * (1 - tt) + round * oval + square * (1 - tt * tt);
  };
  const lift = 0.05 * au.upperLipRaise;
  const line = (t: number) => mv + corner * t * t;
  const upperIn = (t: number) => line(t) - open * 0.3 * profile(t) - lift * (1 - t * t);
  const lowerIn = (t: number) => line(t) + open * 0.7 * profile(t);
  const thin = 1 - 0.7 * Math.min(1, au.lipPress);
  const ut = id.lipThick * thin * (1 - 0.3 * Math.min(1, au.lipStretch));
  const lt = id.lipThick * 1.3 * thin * (1 + 0.4 * au.chinRaise);
  const taper = (t: number) => 0.25 + 0.75 * Math.sqrt(Math.max(0, 1 - t * t));
  const upperOut = (t: number) => upperIn(t) - ut * taper(t) * (1 + 0.3 * Math.abs(t) * (1 - Math.abs(t)));
  const lowerOut = (t: number) => lowerIn(t) + lt * taper(t);

  if (open + lift > 0.01) {
    const cavity = band(cu, hw, upperIn, lowerIn);
    f.fill(c, cavity, CAVITY);
    const teethH = 0.045;
    f.fill(
      c,
      intersect(
        band(cu, hw * 0.8, upperIn, (t) => upperIn(t) + teethH),
        cavity,
      ),
      TEETH,
    );
    const bared = Math.min(1, au.teethBared);
    if (bared > 0.05)
      f.fill(
        c,
        intersect(
          band(cu, hw * 0.75, (t) => lowerIn(t) - teethH * 0.8, lowerIn),
          cavity,
        ),
        TEETH,
        bared,
      );
  }
  f.fill(c, band(cu, hw, upperOut, upperIn), id.lip);
  f.fill(c, band(cu, hw, lowerIn, lowerOut), shadeRgb(id.lip, 1.05));
  // The dark line where closed lips meet; it fades as the mouth opens.
  const closed = 1 - Math.min(1, (open + lift) / 0.03);
  const mid = (t: number) => (upperIn(t) + lowerIn(t)) * 0.5;
  f.fill(c, stroke(curvePoints(cu, hw * 1.02, mid, 10), 0.016, 0.016), mixRgb(id.lip, DARK, 0.7), 0.95 * closed);
  // Chin boss of a pout (sad, angry): a shadow under the lower lip.
  const chin = (t: number) => lowerOut(t) + 0.05;
  f.fill(c, stroke(curvePoints(cu, hw * 0.5, chin, 6), 0.012), mixRgb(id.skin, DARK, 0.35), 0.5 * Math.min(1, au.chinRaise));
}

/** Fringe: hair over the forehead down to a hairline that dips at the temples. */
function drawFringe(c: Canvas, f: Frame, id: Identity): void {
  if (id.hairStyle === 0) return;
  const vol = id.hairVolume;
  const cap = ellipse(0, -0.08, id.faceRx + 0.05 + vol * 0.5, id.faceRy + vol * 0.6);
  const hairline = (u: number) => id.hairline + id.hairSweep * u + 0.35 * u * u;
  const reach = cap.box.u1; // the hairline is lowest at the sides of the cap
  const fringe: Shape = {
    box: { ...cap.box, v1: Math.min(cap.box.v1, Math.max(hairline(-reach), hairline(reach))) },
    sdf: (u, v) => Math.max(cap.sdf(u, v), v - hairline(u)),
    lipschitz: 2,
  };
  f.fill(c, fringe, id.hair);
}

/** Lambert shading of the head as an ellipsoid, lit from look.light: gives lighting direction. */
function shadeHead(c: Canvas, f: Frame, id: Identity, look: Look, head: Shape): void {
  const [lx, ly, lz] = look.light;
  const rx = id.faceRx + 0.15;
  const ry = id.faceRy + 0.15;
  const hair = id.hairStyle === 0 ? null : backHair(id);
  const region: Shape = {
    box: hair ? { u0: hair.box.u0, v0: hair.box.v0, u1: hair.box.u1, v1: head.box.v1 } : head.box,
    sdf: (u, v) => (hair ? Math.min(head.sdf(u, v), hair.sdf(u, v)) : head.sdf(u, v)),
    lipschitz: 2,
  };
  f.modulate(c, region, (u, v) => {
    let nx = u / rx;
    let ny = v / ry;
    const rr = nx * nx + ny * ny;
    let nz = 0;
    if (rr < 1) nz = Math.sqrt(1 - rr);
    else {
      const n = Math.sqrt(rr);
      nx /= n;
      ny /= n;
    }
    const d = nx * lx + ny * ly + nz * lz;
    return look.ambient + (1 - look.ambient) * (d > 0 ? d : 0) * 1.25;
  });
}
