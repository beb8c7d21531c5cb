// Decoding of TensorFlow NodeDef attributes as tfjs-converter writes them into model.json
// (a JSON rendering of the AttrValue proto): {i: "1"} (int64 as a string), {f: 0.5}, {b: true},
// {s: base64}, {type: "DT_FLOAT"}, {list: {i: [...]} | {s: [...]} | {f: [...]}}. Absent fields are
// proto defaults, so every reader takes the default TensorFlow documents for that attribute.

export interface AttrValue {
  i?: string | number;
  f?: number | string;
  b?: boolean;
  s?: string;
  type?: string;
  list?: { i?: (string | number)[]; s?: string[]; f?: (number | string)[] };
  tensor?: unknown;
}

export type Attrs = Record<string, AttrValue | undefined>;

const decodeString = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

export function attrInt(attrs: Attrs, name: string, dflt: number): number {
  const v = attrs[name]?.i;
  return v === undefined ? dflt : Number(v);
}

export function attrFloat(attrs: Attrs, name: string, dflt: number): number {
  const v = attrs[name]?.f;
  return v === undefined ? dflt : Number(v);
}

export function attrBool(attrs: Attrs, name: string, dflt: boolean): boolean {
  return attrs[name]?.b ?? dflt;
}

export function attrString(attrs: Attrs, name: string, dflt: string): string {
  const v = attrs[name]?.s;
  return v === undefined ? dflt : decodeString(v);
}

export function attrInts(attrs: Attrs, name: string, dflt: number[]): number[] {
  const v = attrs[name]?.list?.i;
  return v === undefined || v.length === 0 ? dflt : v.map(Number);
}

export function attrStrings(attrs: Attrs, name: string): string[] {
  return (attrs[name]?.list?.s ?? []).map(decodeString);
}

/** The dtype attribute ('DT_FLOAT', 'DT_INT32', ...), or null when absent. */
export function attrType(attrs: Attrs, name: string): string | null {
  return attrs[name]?.type ?? null;
}
