// Text charts: sparklines, bars and asciichart line plots. They return plain strings (asciichart
// may add ANSI colour when asked), so sections can measure and place them exactly.

import asciichart from 'asciichart';

const SPARKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * One character per value, scaled to [min, max] (shared between series that are compared, e.g.
 * train and validation loss). Each value fills `cell` columns so short runs are still readable.
 */
export function sparkline(values: number[], min: number, max: number, cell = 1): string {
  const span = max - min;
  return values
    .map((v) => {
      const level = span > 0 ? Math.round(((v - min) / span) * (SPARKS.length - 1)) : SPARKS.length >> 1;
      return SPARKS[Math.min(SPARKS.length - 1, Math.max(0, level))].repeat(cell);
    })
    .join('');
}

/** Reduces a series to at most `width` values by keeping the last value of each bucket. */
export function downsample(values: number[], width: number): { values: number[]; indexOf: (i: number) => number } {
  if (values.length <= width) return { values, indexOf: (i) => i };
  const bucket = values.length / width;
  const out: number[] = [];
  for (let k = 0; k < width; k++) out.push(values[Math.min(values.length - 1, Math.ceil((k + 1) * bucket) - 1)]);
  return { values: out, indexOf: (i) => Math.min(width - 1, Math.floor(i / bucket)) };
}

/** A horizontal bar for a fraction in [0, 1], with eighth-block resolution. */
export function bar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const partial = eighths % 8;
  const partials = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
  const filled = '█'.repeat(full) + partials[partial];
  return filled + '░'.repeat(Math.max(0, width - filled.length));
}

/** Linear interpolation of a series to `width` points, so a 3-epoch run still draws a line. */
export function stretch(values: number[], width: number): number[] {
  if (values.length < 2 || width <= values.length) return values;
  const out: number[] = [];
  for (let x = 0; x < width; x++) {
    const t = (x / (width - 1)) * (values.length - 1);
    const i = Math.floor(t);
    const frac = t - i;
    out.push(i + 1 < values.length ? values[i] * (1 - frac) + values[i + 1] * frac : values[i]);
  }
  return out;
}

export interface LineChartOptions {
  /** Total width in columns, labels included. */
  width: number;
  height: number;
  /** One ANSI colour per series, or none (NO_COLOR). */
  colors?: string[];
  format: (value: number) => string;
  /** Index into the series of the point to mark under the x axis (the best epoch). */
  markIndex?: number | null;
  /** Fixed y range (e.g. 0..1 for accuracy). */
  min?: number;
  max?: number;
}

const LABEL_WIDTH = 7;

/**
 * Several series on one asciichart plot, stretched to the width, followed by a row with a ▲ under
 * the marked point. asciichart places point i at `axis column + i`, which is how the marker is aligned.
 */
export function lineChart(series: number[][], opts: LineChartOptions): string[] {
  const plotWidth = Math.max(2, opts.width - LABEL_WIDTH - 2);
  const longest = Math.max(...series.map((s) => s.length));
  const stretched = series.map((s) => stretch(s, plotWidth));
  const lines: string[] = asciichart
    .plot(stretched, {
      height: opts.height - 1,
      padding: ' '.repeat(LABEL_WIDTH),
      format: (x: number) => opts.format(x).padStart(LABEL_WIDTH).slice(-LABEL_WIDTH),
      colors: opts.colors,
      min: opts.min,
      max: opts.max,
    })
    .split('\n');
  const axisColumn = stripAnsi(lines[0]).search(/[┤┼]/);
  let marker = '';
  if (opts.markIndex !== null && opts.markIndex !== undefined && longest > 1 && axisColumn >= 0) {
    const points = stretched[0]?.length ?? longest;
    const x = Math.round((opts.markIndex / (longest - 1)) * (points - 1));
    marker = ' '.repeat(axisColumn + x) + '▲';
  }
  return [...lines, marker];
}

const ANSI = /\u001b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
