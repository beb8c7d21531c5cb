// Hand-made tfjs graph models for tests, written the way tensorflowjs_converter writes them (model.json with
// a node list, one .bin shard holding every Const in manifest order).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
export const ints = (...v: number[]) => ({ list: { i: v.map(String) } });
export const str = (s: string) => ({ s: b64(s) });
export const strs = (...v: string[]) => ({ list: { s: v.map(b64) } });

export interface GraphWeight {
  name: string;
  shape: number[];
  values: Float32Array | Int32Array;
}

export interface GraphNodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

/** Writes model.json + weights.bin into `dir`; a Const node is made for every weight. Returns model.json's path. */
export function writeGraphModel(dir: string, nodes: GraphNodeDef[], weights: GraphWeight[]): string {
  const isInt = (w: GraphWeight) => w.values instanceof Int32Array;
  const constNodes: GraphNodeDef[] = weights.map((w) => ({
    name: w.name,
    op: 'Const',
    attr: { dtype: { type: isInt(w) ? 'DT_INT32' : 'DT_FLOAT' } },
  }));
  const json = {
    format: 'graph-model',
    generatedBy: 'test',
    convertedBy: 'test',
    modelTopology: { node: [...constNodes, ...nodes], versions: { producer: 1 } },
    weightsManifest: [
      { paths: ['weights.bin'], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: isInt(w) ? 'int32' : 'float32' })) },
    ],
  };
  const bin = Buffer.concat(weights.map((w) => Buffer.from(w.values.buffer, w.values.byteOffset, w.values.byteLength)));
  writeFileSync(join(dir, 'weights.bin'), bin);
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(json));
  return path;
}

export const placeholder = (name: string, dims: number[]): GraphNodeDef => ({
  name,
  op: 'Placeholder',
  attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: dims.map((d) => ({ size: String(d) })) } } },
});

/** Conv2D attributes (NHWC) with the given strides and padding. */
export const convAttr = (stride: number, padding: 'SAME' | 'VALID') => ({
  strides: ints(1, stride, stride, 1),
  dilations: ints(1, 1, 1, 1),
  data_format: str('NHWC'),
  padding: str(padding),
  T: { type: 'DT_FLOAT' },
});
