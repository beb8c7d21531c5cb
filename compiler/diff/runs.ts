// `emoc diff --runs`: the metrics of the two experiments' latest finished runs side by side, with
// B - A deltas. Pure: the command finds the run summaries and hands them over.

export interface RunMetrics {
  runDir: string;
  classes: string[];
  train: { acc: number } | null;
  val: { acc: number; f1: number; recall: number[] } | null;
  /** The held-out test split, scored once at the end; absent or null when the run had none. */
  test?: { acc: number; f1: number } | null;
  elapsedMs: number;
}

export interface MetricRow {
  metric: string;
  a: number | null;
  b: number | null;
  delta: number | null;
}

export function compareRuns(a: RunMetrics, b: RunMetrics): MetricRow[] {
  const row = (metric: string, x: number | null | undefined, y: number | null | undefined): MetricRow => ({
    metric,
    a: x ?? null,
    b: y ?? null,
    delta: x === null || x === undefined || y === null || y === undefined ? null : y - x,
  });
  const rows = [
    row('train accuracy', a.train?.acc, b.train?.acc),
    row('val accuracy', a.val?.acc, b.val?.acc),
    row('val macro-F1', a.val?.f1, b.val?.f1),
  ];
  // Test rows only when either run has a test split: specs without one compare exactly as before.
  if (a.test || b.test) rows.push(row('test accuracy', a.test?.acc, b.test?.acc), row('test macro-F1', a.test?.f1, b.test?.f1));
  const classes = [...new Set([...a.classes, ...b.classes])];
  for (const c of classes) {
    const ia = a.classes.indexOf(c);
    const ib = b.classes.indexOf(c);
    rows.push(row(`recall ${c}`, ia >= 0 ? a.val?.recall[ia] : null, ib >= 0 ? b.val?.recall[ib] : null));
  }
  rows.push(row('run time (s)', a.elapsedMs / 1000, b.elapsedMs / 1000));
  return rows;
}

export function renderRuns(rows: MetricRow[], a: RunMetrics, b: RunMetrics): string {
  const show = (metric: string, v: number | null, delta = false) => {
    if (v === null) return '-';
    if (metric.startsWith('run time')) return `${delta && v >= 0 ? '+' : ''}${v.toFixed(1)}`;
    const pct = metric.includes('F1') ? v.toFixed(3) : `${(100 * v).toFixed(1)}%`;
    if (!delta) return pct;
    return metric.includes('F1') ? `${v >= 0 ? '+' : ''}${v.toFixed(3)}` : `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}pp`;
  };
  const table = [
    ['metric', 'A', 'B', 'delta'],
    ...rows.map((r) => [r.metric, show(r.metric, r.a), show(r.metric, r.b), show(r.metric, r.delta, true)]),
  ];
  const w = [0, 1, 2, 3].map((i) => Math.max(...table.map((t) => t[i].length)));
  const lines = table.map((t) => `  ${t[0].padEnd(w[0])}  ${t[1].padStart(w[1])}  ${t[2].padStart(w[2])}  ${t[3].padStart(w[3])}`);
  return `runs: A ${a.runDir}, B ${b.runDir}\n${lines.join('\n')}\n`;
}
