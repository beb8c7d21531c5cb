// Class names as datasets spell them -> the experiment's label indices.
//
// Datasets name the same emotion many ways ("Happy", "happiness", "fearful", "Surprised"), so folder and
// CSV names go through one synonym table to a canonical emotion before they are matched against the
// experiment's class list. Names that are not one of the 7 emotions (e.g. AffectNet's "contempt") are
// left out with a note rather than failing the run: extra folders are common and harmless.

import { EMOTIONS, type Emotion } from '../../compiler/ir.ts';

const SYNONYMS: Record<string, Emotion> = {
  angry: 'angry',
  anger: 'angry',
  mad: 'angry',
  disgust: 'disgust',
  disgusted: 'disgust',
  fear: 'fear',
  fearful: 'fear',
  scared: 'fear',
  afraid: 'fear',
  happy: 'happy',
  happiness: 'happy',
  joy: 'happy',
  neutral: 'neutral',
  // RAVDESS-style datasets have a separate "calm" class; it is the closest of the 7 to neutral.
  calm: 'neutral',
  sad: 'sad',
  sadness: 'sad',
  surprise: 'surprise',
  surprised: 'surprise',
};

/** FER2013's CSV label ids, in id order (0 angry ... 6 neutral). */
export const FER2013_LABELS: readonly Emotion[] = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];

/**
 * The canonical emotion for a dataset's class name, or null when it is not one of the 7.
 * Case, surrounding whitespace, and a leading ordinal ("3_happy", "03-happy") are ignored.
 */
export function canonicalEmotion(name: string): Emotion | null {
  const key = name
    .trim()
    .toLowerCase()
    .replace(/^\d+[\s_.-]*/, '');
  return SYNONYMS[key] ?? null;
}

/**
 * The key a name is matched on: its canonical emotion, or (for an experiment class that is not an
 * emotion) the lower-cased name itself, so non-emotion class lists still match folders exactly.
 */
export function classKey(name: string): string {
  return canonicalEmotion(name) ?? name.trim().toLowerCase();
}

export interface ClassMatch {
  /** Source name -> label index into the experiment's classes; names left out are absent. */
  labels: Map<string, number>;
  /** Experiment classes that no source name maps to, in class-list order. */
  missing: string[];
  /** Why source names were left out or merged, for the run log. */
  notes: string[];
}

/**
 * Matches a source's class names (folder names, CSV labels) against the experiment's class list.
 * `describe` names a source entry in notes, e.g. (n) => `folder 'train/${n}'`.
 */
export function matchClasses(
  sourceNames: readonly string[],
  classes: readonly string[],
  describe: (name: string) => string = (n) => `folder '${n}'`,
): ClassMatch {
  const byKey = new Map<string, number>();
  classes.forEach((c, i) => byKey.set(classKey(c), i));

  const labels = new Map<string, number>();
  const notes: string[] = [];
  const namesPerLabel = new Map<number, string[]>();
  for (const name of sourceNames) {
    const label = byKey.get(classKey(name));
    const emotion = canonicalEmotion(name);
    if (label !== undefined) {
      labels.set(name, label);
      namesPerLabel.set(label, [...(namesPerLabel.get(label) ?? []), name]);
    } else if (emotion !== null) {
      const alias = emotion === name.trim().toLowerCase() ? '' : ` (${emotion})`;
      notes.push(`${describe(name)}${alias} is not in the experiment's classes: left out`);
    } else {
      notes.push(`${describe(name)} is not one of the ${EMOTIONS.length} emotions: left out`);
    }
  }
  for (const [label, names] of namesPerLabel) {
    if (names.length > 1) notes.push(`${names.map(describe).join(' and ')} are merged into class '${classes[label]}'`);
  }
  const missing = classes.filter((_, i) => !namesPerLabel.has(i));
  return { labels, missing, notes };
}
