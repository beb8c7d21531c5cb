// The `emoc explain` table: layer, output shape, parameters, like Keras' model.summary().

import type { ExperimentIR, LayerIR } from './ir.ts';
import { fmt, UNKNOWN } from './shapes.ts';

export function describeLayer(l: LayerIR): string {
  switch (l.kind) {
    case 'conv':
      return `conv ${l.filters} k${l.kernel.join('x')} s${l.stride.join('x')} ${l.padding}${l.activation === 'linear' ? '' : ` ${l.activation}`}${l.bias ? '' : ' nobias'}`;
    case 'fc':
      return `fc ${l.units}${l.activation === 'linear' ? '' : ` ${l.activation}`}${l.bias ? '' : ' nobias'}`;
    case 'bn':
      return 'bn';
    case 'maxpool':
    case 'avgpool':
      return `${l.kind} ${l.size.join('x')} s${l.stride.join('x')} ${l.padding}`;
    case 'globalavgpool':
      return 'avgpool (global)';
    case 'dropout':
      return `dropout ${l.rate}`;
    case 'activation':
      return l.fn;
    default:
      return l.kind;
  }
}

const count = (n: number) => (n === UNKNOWN ? '?' : n.toLocaleString('en-US'));

function table(ir: ExperimentIR): string {
  const rows: [string, string, string][] = [['layer', 'output', 'params']];
  rows.push([ir.backbone ? `backbone ${ir.backbone.name} [${ir.backbone.taps.join(', ')}]${ir.backbone.frozen ? ' frozen' : ''}` : 'input', fmt(ir.shapes.input), '0']);
  ir.layers.forEach((l, i) => rows.push([describeLayer(l), fmt(ir.shapes.layers[i].output), count(ir.shapes.layers[i].params)]));
  const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: [string, string, string]) => `  ${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}`;
  const rule = `  ${'-'.repeat(w[0] + w[1] + w[2] + 4)}`;
  const frozen = ir.shapes.totalParams === UNKNOWN ? '?' : count(ir.shapes.totalParams - ir.shapes.trainableParams);
  return [
    `${ir.name}`,
    line(rows[0]),
    rule,
    ...rows.slice(1).map(line),
    rule,
    `  total params: ${count(ir.shapes.totalParams)}   trainable: ${count(ir.shapes.trainableParams)}   non-trainable: ${frozen}`,
  ].join('\n');
}

export function explain(experiments: ExperimentIR[]): string {
  const out: string[] = [];
  const sweeps = new Map<string, ExperimentIR[]>();
  for (const ir of experiments) if (ir.sweep) sweeps.set(ir.sweep.sweep, [...(sweeps.get(ir.sweep.sweep) ?? []), ir]);
  for (const [sweep, points] of sweeps) {
    const axes = Object.keys(points[0].sweep!.values);
    out.push(`sweep ${sweep}: ${points.length} points over ${axes.join(' x ')}`);
    for (const p of points) out.push(`  ${p.sweep!.point.padEnd(24)} ${axes.map((a) => `${a}=${p.sweep!.values[a]}`).join('  ')}   params ${count(p.shapes.totalParams)}`);
    out.push('');
  }
  for (const ir of experiments) out.push(table(ir), '');
  return `${out.join('\n')}\n`;
}
