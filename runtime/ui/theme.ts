// Colour policy. chalk (under ink) ignores NO_COLOR, so the dashboard applies it itself:
// per https://no-color.org, any non-empty NO_COLOR turns colour off (bold stays, it is not colour).

import type { Tone } from './line.ts';

export function colorEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

/** Ink colour names per tone. */
export const TONE_COLORS: Record<Tone, string> = {
  good: 'green',
  warn: 'yellow',
  bad: 'red',
  accent: 'cyan',
  train: 'blue',
  val: 'magenta',
  muted: 'gray',
};

/** Tone for a fraction where higher is better (recall, accuracy). */
export function scoreTone(x: number): Tone {
  return x >= 0.7 ? 'good' : x >= 0.4 ? 'warn' : 'bad';
}
