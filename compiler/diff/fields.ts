// Field-by-field comparison of IR values. `src` fields say where something was written, and `from` which
// block call a layer was expanded from, not what it means, so they never count as a difference.

export interface FieldChange {
  /** Dotted path inside the compared value: `kernel`, `optimizer.lr`. */
  field: string;
  from: unknown;
  to: unknown;
}

/** IR keys that are presentation only (ir.ts: LayerIR src and from). */
const PRESENTATION_KEYS: ReadonlySet<string> = new Set(['src', 'from']);

export function withoutSrc<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutSrc) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !PRESENTATION_KEYS.has(k))
        .map(([k, v]) => [k, withoutSrc(v)]),
    ) as T;
  }
  return value;
}

/** Deep equality that ignores `src` and key order. */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(withoutSrc(a)) === canonical(withoutSrc(b));
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/** Changed leaves of two values; arrays and values of different shapes compare whole. */
export function diffFields(a: unknown, b: unknown, prefix = ''): FieldChange[] {
  if (sameValue(a, b)) return [];
  const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  // Objects of different kinds (adam vs sgd) compare whole: their fields do not correspond.
  if (isRecord(a) && isRecord(b) && a.kind === b.kind) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !PRESENTATION_KEYS.has(k));
    return keys.flatMap((k) => diffFields(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return [{ field: prefix, from: withoutSrc(a), to: withoutSrc(b) }];
}

/** A value as the diff prints it: square pairs as one number, shapes as HxWxC. */
export function showValue(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) {
    if (v.length === 0) return 'none';
    if (v.length === 2 && typeof v[0] === 'number' && v[0] === v[1]) return String(v[0]);
    if (v.every((x) => typeof x === 'number')) return v.join('x');
    return `[${v.map(showValue).join(', ')}]`;
  }
  if (typeof v === 'object') {
    const { kind, ...rest } = v as Record<string, unknown>;
    const entries = Object.entries(rest);
    // `tencrop 144`: a kind with one field reads like the spec wrote it.
    const parts = entries.length === 1 && kind !== undefined ? [showValue(entries[0][1])] : entries.map(([k, x]) => `${k}=${showValue(x)}`);
    return kind !== undefined ? [String(kind), ...parts].join(' ') : `{${parts.join(', ')}}`;
  }
  return String(v);
}
