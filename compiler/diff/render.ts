// The human form of an experiment diff: layers, then settings, then shapes and parameters.

import { fmt } from '../shapes.ts';
import type { ExperimentDiff } from './diff.ts';
import { showCount } from './diff.ts';
import { showValue } from './fields.ts';

/** `conv #1: kernel 5 -> 9, stride 2 -> 4` */
export function renderDiff(d: ExperimentDiff): string {
  const out: string[] = [`--- ${d.a.file}#${d.a.name}`, `+++ ${d.b.file}#${d.b.name}`];
  if (d.equal) return `${out.join('\n')}\nno differences\n`;
  if (d.layers.length) {
    out.push(`${d.stack}:`);
    for (const l of d.layers) {
      if (l.op === 'changed')
        out.push(`  ~ ${l.layer}: ${l.fields.map((f) => `${f.field} ${showValue(f.from)} -> ${showValue(f.to)}`).join(', ')}`);
      else if (l.op === 'removed') out.push(`  - ${l.layer} (${l.description})`);
      else out.push(`  + ${l.layer} (${l.description})${l.after ? ` after ${l.after}` : ' at the start'}`);
    }
  }
  const sections = [...new Set(d.settings.map((s) => s.section))];
  for (const section of sections) {
    out.push(`${section}:`);
    for (const s of d.settings.filter((x) => x.section === section))
      out.push(`  ~ ${s.field || section}: ${showValue(s.from)} -> ${showValue(s.to)}`);
  }
  if (d.input || d.shapes.length || d.params.total.from !== d.params.total.to) {
    out.push('shapes:');
    if (d.input) out.push(`  input: ${fmt(d.input.from)} -> ${fmt(d.input.to)}`);
    for (const s of d.shapes) {
      const parts: string[] = [];
      if (s.output)
        parts.push(
          s.output.from.length === 1 && s.output.to.length === 1
            ? `width ${fmt(s.output.from)} -> ${fmt(s.output.to)}`
            : `output ${fmt(s.output.from)} -> ${fmt(s.output.to)}`,
        );
      if (s.params) parts.push(`params ${showCount(s.params.from)} -> ${showCount(s.params.to)}`);
      out.push(`  ${s.layer}: ${parts.join(', ')}`);
    }
    const { total, trainable } = d.params;
    if (total.from !== total.to)
      out.push(`  total params: ${showCount(total.from)} -> ${showCount(total.to)} (${signed(total.to - total.from)})`);
    if (trainable.from !== trainable.to) out.push(`  trainable params: ${showCount(trainable.from)} -> ${showCount(trainable.to)}`);
  }
  return `${out.join('\n')}\n`;
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : '-'}${Math.abs(n).toLocaleString('en-US')}`;
}
