// Expressions as facial action parameters (loosely FACS action units), each 0 (at rest) .. ~1 (strong).
//
// Classes are built from shared parameters so they overlap the way real expressions do: fear and
// surprise both raise the brows and open the mouth; angry and disgust both lower the brows; sad at low
// intensity is barely off neutral. Every sample has an intensity, and a weak sample of any class is
// close to neutral.

import type { Rng } from '../../rng.ts';

export interface ActionUnits {
  browRaise: number; // AU1+2: whole brow up (surprise, fear)
  innerBrowRaise: number; // AU1: inner ends up, brows oblique (sad, fear)
  browLower: number; // AU4: brows down (angry, disgust)
  browTogether: number; // AU4: brows drawn together (angry, fear, sad)
  lidRaise: number; // AU5: eyes wide, white above the iris (surprise, fear, angry glare)
  lidTighten: number; // AU7: narrowed lids (angry, disgust)
  cheekRaise: number; // AU6: cheeks push the lower lids up (happy, disgust)
  lidDroop: number; // upper lids heavy (sad)
  noseWrinkle: number; // AU9 (disgust)
  upperLipRaise: number; // AU10 (disgust)
  lipCornerUp: number; // AU12 (happy)
  lipCornerDown: number; // AU15 (sad, disgust)
  lipStretch: number; // AU20: lips pulled sideways (fear)
  lipPress: number; // AU23/24: lips pressed thin (angry)
  jawDrop: number; // AU26/27: mouth open (surprise, fear, happy laugh, angry shout)
  mouthRound: number; // rounded 'O' opening (surprise)
  teethBared: number; // lower teeth shown too (angry shout, fear)
  chinRaise: number; // AU17: pouting lower lip (sad, angry)
}

export type Emotion = 'angry' | 'disgust' | 'fear' | 'happy' | 'neutral' | 'sad' | 'surprise';

type Proto = Partial<ActionUnits>;

/**
 * Each emotion has a few variants (a closed and an open-mouthed smile, a glare and a shout...), picked
 * at random, as real expressions of one class come in several forms.
 */
const PROTOTYPES: Record<Emotion, Proto[]> = {
  neutral: [{}],
  happy: [
    { lipCornerUp: 1, cheekRaise: 0.7 },
    { lipCornerUp: 1, cheekRaise: 0.9, jawDrop: 0.35 },
    { lipCornerUp: 0.9, cheekRaise: 0.6, jawDrop: 0.2 },
  ],
  sad: [
    { innerBrowRaise: 0.9, browTogether: 0.4, lipCornerDown: 0.9, lidDroop: 0.6, chinRaise: 0.6 },
    { innerBrowRaise: 0.7, browTogether: 0.3, lipCornerDown: 0.6, lidDroop: 0.8, chinRaise: 0.3 },
  ],
  angry: [
    { browLower: 1, browTogether: 0.9, lidTighten: 0.6, lidRaise: 0.2, lipPress: 0.9, chinRaise: 0.4 },
    { browLower: 1, browTogether: 0.8, lidRaise: 0.5, jawDrop: 0.4, teethBared: 1, lipCornerDown: 0.3 },
  ],
  disgust: [
    { browLower: 0.6, noseWrinkle: 1, upperLipRaise: 1, lidTighten: 0.6, cheekRaise: 0.4, lipCornerDown: 0.5 },
    { browLower: 0.5, noseWrinkle: 0.8, upperLipRaise: 1, cheekRaise: 0.5, jawDrop: 0.15, lipCornerDown: 0.7 },
  ],
  fear: [
    { browRaise: 0.6, innerBrowRaise: 0.8, browTogether: 0.7, lidRaise: 1, lipStretch: 1, jawDrop: 0.35, teethBared: 0.6 },
    { browRaise: 0.5, innerBrowRaise: 0.7, browTogether: 0.6, lidRaise: 0.8, lipStretch: 0.8, lipCornerDown: 0.3 },
  ],
  surprise: [
    { browRaise: 1, lidRaise: 1, jawDrop: 0.9, mouthRound: 1 },
    { browRaise: 1, lidRaise: 0.8, jawDrop: 0.45, mouthRound: 0.7 },
  ],
};

const ZERO: ActionUnits = {
  browRaise: 0,
  innerBrowRaise: 0,
  browLower: 0,
  browTogether: 0,
  lidRaise: 0,
  lidTighten: 0,
  cheekRaise: 0,
  lidDroop: 0,
  noseWrinkle: 0,
  upperLipRaise: 0,
  lipCornerUp: 0,
  lipCornerDown: 0,
  lipStretch: 0,
  lipPress: 0,
  jawDrop: 0,
  mouthRound: 0,
  teethBared: 0,
  chinRaise: 0,
};

const KEYS = Object.keys(ZERO) as (keyof ActionUnits)[];

/**
 * Samples one expression: a variant of the class scaled by an intensity in [0.1, 1] (skewed towards
 * stronger, as posed datasets are), each parameter jittered per sample, plus small random activity in
 * every parameter so that neutral faces are not all identical and weak samples blur into neutral.
 */
export function sampleExpression(rng: Rng, emotion: Emotion): ActionUnits {
  const proto = rng.pick(PROTOTYPES[emotion]);
  const intensity = 0.1 + 0.9 * Math.sqrt(rng.next());
  const au: ActionUnits = { ...ZERO };
  for (const key of KEYS) {
    const base = (proto[key] ?? 0) * intensity * rng.range(0.7, 1.25);
    const leak = rng.next() < 0.3 ? rng.next() * 0.15 : 0;
    au[key] = Math.min(1.2, base + leak);
  }
  return au;
}
