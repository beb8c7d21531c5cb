// A person: everything about a face that stays the same across that person's images.
//
// Geometry is in face units: the face is centred at (0, 0), about 1.7 wide and 2.1 tall, v grows
// downwards. Resting traits (a mouth that turns down at rest, low or tilted brows) are part of the
// identity, which is what makes sad/angry/neutral hard to tell apart at low intensity, as in real data.

import type { Rng } from '../../rng.ts';
import { mixRgb, type Rgb } from './raster.ts';

export interface Identity {
  skin: Rgb;
  lip: Rgb;
  hair: Rgb;
  iris: Rgb;
  clothes: Rgb;
  faceRx: number;
  faceRy: number;
  /** How much narrower the jaw is than the cheeks (0 = egg, 0.35 = pointed chin). */
  jawTaper: number;
  /** 0 bald, 1 short, 2 long. */
  hairStyle: 0 | 1 | 2;
  hairline: number;
  /** Hairline slope: positive = side parting / swept fringe. */
  hairSweep: number;
  hairVolume: number;
  beard: number;
  eyeSpacing: number;
  eyeY: number;
  eyeW: number;
  eyeH: number;
  /** Outer eye corners up (+) or down (-). */
  eyeTilt: number;
  browGap: number;
  browThick: number;
  browArch: number;
  /** Resting inner-brow offset: + lower (stern look), - higher (worried look). */
  browTilt: number;
  noseY: number;
  noseW: number;
  mouthY: number;
  mouthW: number;
  lipThick: number;
  /** Resting mouth-corner offset: + down, - up. */
  mouthRest: number;
  earSize: number;
}

const SKIN: Rgb[] = [
  [255, 224, 196],
  [241, 194, 160],
  [224, 172, 130],
  [198, 134, 92],
  [160, 102, 66],
  [118, 72, 46],
  [82, 52, 36],
];
const HAIR: Rgb[] = [
  [20, 16, 14],
  [50, 34, 24],
  [92, 60, 36],
  [150, 110, 62],
  [214, 180, 120],
  [150, 62, 30],
  [170, 170, 170],
];
const IRIS: Rgb[] = [
  [60, 38, 24],
  [96, 64, 36],
  [70, 110, 150],
  [80, 110, 70],
  [30, 24, 20],
];
const CLOTHES: Rgb[] = [
  [40, 50, 90],
  [150, 30, 40],
  [230, 230, 225],
  [30, 30, 30],
  [70, 110, 70],
  [200, 160, 60],
  [110, 110, 120],
];

/** A colour from a palette, blended with its neighbour so identities do not share exact colours. */
function paletteColor(rng: Rng, palette: Rgb[]): Rgb {
  const i = rng.int(palette.length);
  const j = Math.min(palette.length - 1, i + 1);
  return mixRgb(palette[i], palette[j], rng.next() * 0.6);
}

export function sampleIdentity(rng: Rng): Identity {
  const skin = paletteColor(rng, SKIN);
  const style = rng.next();
  const id: Identity = {
    skin,
    lip: mixRgb(skin, [150, 50, 60], rng.range(0.25, 0.5)),
    hair: paletteColor(rng, HAIR),
    iris: paletteColor(rng, IRIS),
    clothes: paletteColor(rng, CLOTHES),
    faceRx: rng.range(0.74, 0.9),
    faceRy: rng.range(0.98, 1.12),
    jawTaper: rng.range(0.05, 0.35),
    hairStyle: style < 0.08 ? 0 : style < 0.6 ? 1 : 2,
    hairline: rng.range(-0.85, -0.6),
    hairSweep: rng.range(-0.25, 0.25),
    hairVolume: rng.range(0.05, 0.2),
    beard: 0, // set below: only people with short or no hair get one
    eyeSpacing: rng.range(0.28, 0.36),
    eyeY: rng.range(-0.2, -0.08),
    eyeW: rng.range(0.14, 0.18),
    eyeH: rng.range(0.06, 0.085),
    eyeTilt: rng.range(-0.02, 0.025),
    browGap: rng.range(0.14, 0.2),
    browThick: rng.range(0.045, 0.065),
    browArch: rng.range(0.0, 0.05),
    browTilt: rng.range(-0.03, 0.03),
    noseY: rng.range(0.17, 0.27),
    noseW: rng.range(0.11, 0.16),
    mouthY: rng.range(0.46, 0.56),
    mouthW: rng.range(0.25, 0.32),
    lipThick: rng.range(0.03, 0.055),
    mouthRest: rng.range(-0.015, 0.03),
    earSize: rng.range(0.8, 1.2),
  };
  if (id.hairStyle !== 2 && rng.next() < 0.25) id.beard = rng.range(0.4, 1);
  return id;
}
