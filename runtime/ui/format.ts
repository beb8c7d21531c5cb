// Number and text formatting shared by the dashboard sections. Pure and width-aware: every
// section lays out fixed-width columns, so these helpers never return more characters than asked.

export function percent(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(digits)}%`;
}

export function fixed(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

/** 121543 -> "121,543" (locale-independent so frames are the same on every machine). */
export function count(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Milliseconds as "42s", "3:07", "1:02:03". */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '–';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  if (m > 0) return `${m}:${String(s).padStart(2, '0')}`;
  return `${s}s`;
}

/** Learning rates span decades: show them compactly ("1e-3", "5e-4"). */
export function rate(lr: number): string {
  if (!Number.isFinite(lr)) return '–';
  if (lr >= 0.01) return String(Number(lr.toPrecision(3)));
  const [mantissa, exponent] = lr.toExponential(2).split('e');
  return `${Number(mantissa)}e${exponent}`;
}

/** Cuts to `width` characters, marking the cut with an ellipsis. */
function clip(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : text.slice(0, Math.max(0, width - 1)) + '…';
}

export function padRight(text: string, width: number): string {
  return clip(text, width).padEnd(width);
}

export function padLeft(text: string, width: number): string {
  return clip(text, width).padStart(width);
}

/**
 * Short labels for column headers: the full names when they all fit in `width`, else prefixes of
 * one common length (3 letters when that tells them apart: "ang", "dis", ...), so columns read alike.
 */
export function abbreviate(names: string[], width: number): string[] {
  if (names.every((n) => n.length <= width)) return names;
  for (let len = Math.min(3, width); len <= width; len++) {
    const short = names.map((n) => n.slice(0, len));
    if (new Set(short).size === short.length) return short;
  }
  return names.map((n) => n.slice(0, Math.max(1, width)));
}
