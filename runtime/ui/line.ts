// The dashboard's unit of layout: a line of styled segments.
//
// Sections produce lines rather than ink boxes so their height and width are known before ink
// sees them: the layout can then fit a 24-row terminal exactly (ink clears the whole screen, and
// flickers, when its output reaches the terminal's height) and no line ever wraps.

import { stripAnsi } from './charts.ts';

export type Tone = 'good' | 'warn' | 'bad' | 'accent' | 'train' | 'val' | 'muted';

export interface Segment {
  text: string;
  tone?: Tone;
  bold?: boolean;
  /** Text already carrying ANSI colour (asciichart output); measured without the escapes. */
  ansi?: boolean;
}

export type Line = Segment[];

export const seg = (text: string, tone?: Tone, bold?: boolean): Segment => ({ text, tone, bold });
export const plain = (text: string): Line => [{ text }];
export const blank: Line = [];

function segmentWidth(s: Segment): number {
  return s.ansi ? stripAnsi(s.text).length : s.text.length;
}

export function lineWidth(line: Line): number {
  return line.reduce((w, s) => w + segmentWidth(s), 0);
}

/** Cuts a line to `width` columns (ANSI segments are cut on their visible text, dropping colour). */
export function fitLine(line: Line, width: number): Line {
  const out: Line = [];
  let left = width;
  for (const s of line) {
    if (left <= 0) break;
    const w = segmentWidth(s);
    if (w <= left) {
      out.push(s);
      left -= w;
    } else {
      const visible = s.ansi ? stripAnsi(s.text) : s.text;
      out.push({ ...s, ansi: false, text: visible.slice(0, Math.max(0, left - 1)) + '…' });
      left = 0;
    }
  }
  return out;
}

function padLine(line: Line, width: number): Line {
  const fitted = fitLine(line, width);
  const w = lineWidth(fitted);
  return w < width ? [...fitted, { text: ' '.repeat(width - w) }] : fitted;
}

/** Places two blocks of lines side by side, the left one padded to `leftWidth`. */
export function sideBySide(left: Line[], right: Line[], leftWidth: number, gap = 2): Line[] {
  const rows = Math.max(left.length, right.length);
  const out: Line[] = [];
  for (let i = 0; i < rows; i++) {
    out.push([...padLine(left[i] ?? [], leftWidth), { text: ' '.repeat(gap) }, ...(right[i] ?? [])]);
  }
  return out;
}
