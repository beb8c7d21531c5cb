import { describe, expect, it } from 'vitest';
import { canonicalEmotion, classKey, FER2013_LABELS, matchClasses } from '../runtime/data/classes.ts';

const SEVEN = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'];

describe('class names', () => {
  it('maps synonyms and case to the canonical emotion', () => {
    const cases: Record<string, string> = {
      Happy: 'happy',
      HAPPINESS: 'happy',
      fearful: 'fear',
      Scared: 'fear',
      Surprised: 'surprise',
      disgusted: 'disgust',
      Anger: 'angry',
      mad: 'angry',
      Sadness: 'sad',
      ' Neutral ': 'neutral',
      calm: 'neutral',
      '3_happy': 'happy',
    };
    for (const [name, want] of Object.entries(cases)) expect(canonicalEmotion(name), name).toBe(want);
  });

  it('returns null for names that are not one of the 7 emotions', () => {
    expect(canonicalEmotion('contempt')).toBeNull();
    expect(canonicalEmotion('')).toBeNull();
    expect(classKey('Positive')).toBe('positive');
  });

  it('has the FER2013 label id order', () => {
    expect(FER2013_LABELS).toEqual(['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']);
  });

  it('matches folders to label indices in the experiment class order, noting what is left out', () => {
    const m = matchClasses(['Anger', 'contempt', 'Happiness', 'happy', 'sad'], ['happy', 'angry', 'fear']);
    expect(m.labels.get('Anger')).toBe(1);
    expect(m.labels.get('Happiness')).toBe(0);
    expect(m.labels.get('happy')).toBe(0);
    expect(m.labels.has('contempt')).toBe(false);
    expect(m.labels.has('sad')).toBe(false);
    expect(m.missing).toEqual(['fear']);
    expect(m.notes.some((n) => n.includes("'contempt'") && n.includes('not one of the 7 emotions'))).toBe(true);
    expect(m.notes.some((n) => n.includes("'sad'") && n.includes("not in the experiment's classes"))).toBe(true);
    expect(m.notes.some((n) => n.includes('merged'))).toBe(true);
  });

  it('matches every emotion when all 7 folders are present', () => {
    const m = matchClasses(['Angry', 'Disgust', 'Fear', 'Happy', 'Neutral', 'Sad', 'Surprise'], SEVEN);
    expect(m.missing).toEqual([]);
    expect([...m.labels.values()]).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});
