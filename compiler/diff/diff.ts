// Two experiments compared at the IR level, so layout, comments and the order of settings make no
// difference: the layer stacks are aligned as sequences (align.ts), then data, augmentation,
// backbone and training settings are compared field by field, then output shapes and parameters.
// Names, files and sweep labels identify an experiment; they are not part of what it means.

import { describeLayer } from '../explain.ts';
import type { ExperimentIR, LayerIR } from '../ir.ts';
import { fmt, UNKNOWN } from '../shapes.ts';
import { alignLayers } from './align.ts';
import { diffFields, type FieldChange } from './fields.ts';

export type LayerChange =
  | { op: 'changed'; layer: string; fields: FieldChange[] }
  | { op: 'removed'; layer: string; description: string }
  | { op: 'added'; layer: string; description: string; after: string | null };

export interface SettingChange extends FieldChange {
  section: 'data' | 'augment' | 'backbone' | 'train';
}

export interface ShapeChange {
  layer: string;
  output?: { from: number[]; to: number[] };
  params?: { from: number; to: number };
}

export interface ExperimentDiff {
  equal: boolean;
  a: { name: string; file: string };
  b: { name: string; file: string };
  /** 'model' or 'head' (on a backbone), as the stacks are called in the specs. */
  stack: string;
  layers: LayerChange[];
  settings: SettingChange[];
  input?: { from: number[]; to: number[] };
  shapes: ShapeChange[];
  params: { total: { from: number; to: number }; trainable: { from: number; to: number } };
}

/** `conv #2`, `softmax #1`: the n-th layer of its kind (activation layers: of its function) in its stack. */
export function layerName(layers: readonly LayerIR[], index: number): string {
  const word = (l: LayerIR) => (l.kind === 'activation' ? l.fn : l.kind);
  const w = word(layers[index]);
  return `${w} #${layers.slice(0, index + 1).filter((l) => word(l) === w).length}`;
}

export function diffExperiments(a: ExperimentIR, b: ExperimentIR): ExperimentDiff {
  const aligned = alignLayers(a.layers, b.layers);
  const layers: LayerChange[] = [];
  const shapes: ShapeChange[] = [];
  let lastB: string | null = null;
  for (const step of aligned) {
    if (step.op === 'removed') {
      layers.push({ op: 'removed', layer: layerName(a.layers, step.a), description: describeLayer(a.layers[step.a]) });
      continue;
    }
    if (step.op === 'added') {
      layers.push({ op: 'added', layer: layerName(b.layers, step.b), description: describeLayer(b.layers[step.b]), after: lastB });
      lastB = layerName(b.layers, step.b);
      continue;
    }
    const name = layerName(a.layers, step.a);
    lastB = layerName(b.layers, step.b);
    if (step.op === 'changed') layers.push({ op: 'changed', layer: name, fields: diffFields(a.layers[step.a], b.layers[step.b]) });
    const sa = a.shapes.layers[step.a];
    const sb = b.shapes.layers[step.b];
    if (!sa || !sb) continue;
    const change: ShapeChange = { layer: name };
    if (fmt(sa.output) !== fmt(sb.output)) change.output = { from: sa.output, to: sb.output };
    if (sa.params !== sb.params) change.params = { from: sa.params, to: sb.params };
    if (change.output || change.params) shapes.push(change);
  }

  const settings: SettingChange[] = [];
  for (const section of ['data', 'augment', 'backbone', 'train'] as const) {
    for (const c of diffFields(a[section], b[section])) settings.push({ section, ...c });
  }
  const input = fmt(a.shapes.input) !== fmt(b.shapes.input) ? { from: a.shapes.input, to: b.shapes.input } : undefined;
  const params = { total: { from: a.shapes.totalParams, to: b.shapes.totalParams }, trainable: { from: a.shapes.trainableParams, to: b.shapes.trainableParams } };
  const equal = layers.length === 0 && settings.length === 0 && shapes.length === 0 && !input;
  return {
    equal,
    a: { name: a.name, file: a.file },
    b: { name: b.name, file: b.file },
    stack: a.backbone || b.backbone ? 'head' : 'model',
    layers,
    settings,
    ...(input ? { input } : {}),
    shapes,
    params,
  };
}

export const showCount = (n: number): string => (n === UNKNOWN ? '?' : n.toLocaleString('en-US'));
