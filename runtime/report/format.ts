// Number formatting for report tables.

export const pct = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(1)}%`;
export const num = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);

export function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Whether any sweep result has test-split numbers: only then do result tables get test columns. */
export const hasTestColumns = (rows: readonly { testAcc?: number | null }[]): boolean => rows.some((r) => r.testAcc != null);
