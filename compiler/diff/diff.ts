// Two experiments compared at the IR level, so layout, comments and the order of settings make no
// difference: the layer stacks are aligned as sequences (align.ts), then data, augmentation,
// backbone and training settings are compared field by field, then output shapes and parameters.
// Names, files and sweep labels identify an experiment; they are not part of what it means.

import { describeLayer } from '../explain.ts';
import type { ExperimentIR, LayerIR, LayerShape } from '../ir.ts';
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
  const layers: LayerChange[] = [];
  const shapes: ShapeChange[] = [];
  diffStacks({ layers: a.layers, shapes: a.shapes.layers }, { layers: b.layers, shapes: b.shapes.layers }, '', layers, shapes);

  const settings: SettingChange[] = [];
  for (const section of ['data', 'augment', 'backbone', 'train'] as const) {
    for (const c of diffFields(a[section], b[section])) settings.push({ section, ...c });
  }
  const input = fmt(a.shapes.input) !== fmt(b.shapes.input) ? { from: a.shapes.input, to: b.shapes.input } : undefined;
  const params = {
    total: { from: a.shapes.totalParams, to: b.shapes.totalParams },
    trainable: { from: a.shapes.trainableParams, to: b.shapes.trainableParams },
  };
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

interface Stack {
  layers: readonly LayerIR[];
  shapes: readonly LayerShape[];
}

/**
 * Aligns two stacks and records their changes. Two residuals that align are compared inside too: their
 * bodies are aligned as stacks of their own, named `residual #2 > conv #1`, so a changed layer inside a block
 * reads as that change, not as a whole new body.
 */
function diffStacks(a: Stack, b: Stack, prefix: string, layers: LayerChange[], shapes: ShapeChange[]): void {
  let lastB: string | null = null;
  for (const step of alignLayers(a.layers, b.layers)) {
    if (step.op === 'removed') {
      layers.push({ op: 'removed', layer: prefix + layerName(a.layers, step.a), description: describeLayer(a.layers[step.a]) });
      continue;
    }
    if (step.op === 'added') {
      layers.push({ op: 'added', layer: prefix + layerName(b.layers, step.b), description: describeLayer(b.layers[step.b]), after: lastB });
      lastB = prefix + layerName(b.layers, step.b);
      continue;
    }
    const name = prefix + layerName(a.layers, step.a);
    lastB = prefix + layerName(b.layers, step.b);
    const la = a.layers[step.a];
    const lb = b.layers[step.b];
    const sa = a.shapes[step.a];
    const sb = b.shapes[step.b];
    if (step.op === 'changed') {
      if (la.kind === 'residual' && lb.kind === 'residual') {
        const fields = diffFields({ ...la, body: null }, { ...lb, body: null });
        if (fields.length) layers.push({ op: 'changed', layer: name, fields });
        diffStacks(
          { layers: la.body, shapes: sa?.inner ?? [] },
          { layers: lb.body, shapes: sb?.inner ?? [] },
          `${name} > `,
          layers,
          shapes,
        );
      } else layers.push({ op: 'changed', layer: name, fields: diffFields(la, lb) });
    }
    if (!sa || !sb) continue;
    const change: ShapeChange = { layer: name };
    if (fmt(sa.output) !== fmt(sb.output)) change.output = { from: sa.output, to: sb.output };
    if (sa.params !== sb.params) change.params = { from: sa.params, to: sb.params };
    if (change.output || change.params) shapes.push(change);
  }
}

export const showCount = (n: number): string => (n === UNKNOWN ? '?' : n.toLocaleString('en-US'));
