// The `emoc explain` table: layer, output shape, parameters, like Keras' model.summary(), and the
// estimated activation memory of a batch. A large sweep is listed by its first points and a count.

import { analyseBackbone, finetunePlan } from './backbone-finetune.ts';
import type { ExperimentIR, LayerIR, LayerShape } from './ir.ts';
import { EXPLAIN_POINTS } from './limits.ts';
import { batchActivationBytes, formatBytes } from './memory.ts';
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
    case 'residual':
      return `residual${l.activation === 'linear' ? '' : ` ${l.activation}`}`;
    default:
      return l.kind;
  }
}

const count = (n: number) => (n === UNKNOWN ? '?' : n.toLocaleString('en-US'));

/** How a residual's shortcut is computed: the compiler's projection is shown as the layers it is. */
function describeShortcut(shortcut: Extract<LayerIR, { kind: 'residual' }>['shortcut']): string {
  return shortcut.kind === 'identity'
    ? 'shortcut identity'
    : `shortcut projection: conv ${shortcut.filters} k1x1 s${shortcut.stride.join('x')} nobias + bn`;
}

/**
 * One row per layer; a residual's body and its shortcut follow it, indented. A layer expanded from a named
 * block says which (once, on the residual, when the whole residual came from it).
 */
function layerRows(
  layers: LayerIR[],
  shapes: LayerShape[],
  depth: number,
  enclosing: string | undefined,
  rows: [string, string, string][],
): void {
  const pad = '  '.repeat(depth);
  layers.forEach((l, i) => {
    const shape = shapes[i] ?? { output: [], params: 0, trainable: 0 };
    const block = l.from && l.from.block !== enclosing ? `  (${l.from.block}, line ${l.from.call.line})` : '';
    rows.push([`${pad}${describeLayer(l)}${block}`, fmt(shape.output), count(shape.params)]);
    if (l.kind !== 'residual') return;
    layerRows(l.body, shape.inner ?? [], depth + 1, l.from?.block ?? enclosing, rows);
    const sc = shape.shortcut;
    rows.push([`${pad}  ${describeShortcut(l.shortcut)}`, sc ? fmt(sc.output) : '', sc ? count(sc.params) : '0']);
  });
}

function table(ir: ExperimentIR): string {
  const found = ir.backbone ? analyseBackbone(ir.backbone, ir.file) : undefined;
  const analysed = found?.ok ? { analysis: found.analysis, plan: finetunePlan(ir.backbone!, found.analysis) } : undefined;
  const rows: [string, string, string][] = [['layer', 'output', 'params']];
  rows.push([
    ir.backbone
      ? `backbone ${ir.backbone.name} [${ir.backbone.taps.join(', ')}]${ir.backbone.frozen ? ' frozen' : ` finetune ${ir.backbone.finetune}`}`
      : 'input',
    fmt(ir.shapes.input),
    ir.backbone ? (analysed ? count(analysed.analysis.params) : '?') : '0',
  ]);
  layerRows(ir.layers, ir.shapes.layers, 0, undefined, rows);
  const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: [string, string, string]) => `  ${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}`;
  const rule = `  ${'-'.repeat(w[0] + w[1] + w[2] + 4)}`;
  return [
    `${ir.name}`,
    line(rows[0]),
    rule,
    ...rows.slice(1).map(line),
    rule,
    totalLine(ir, analysed?.plan),
    `  activation memory: about ${formatBytes(batchActivationBytes(ir))} a batch of ${ir.train.batchSize} (forward and gradients)`,
    ...(ir.backbone ? backboneLines(ir.backbone, found!, analysed?.plan) : []),
  ].join('\n');
}

/**
 * Parameter totals. With a backbone they add its trained and frozen weights to the head's, so the
 * trainable count is what the optimizer updates (the number `emoc run` prints); a backbone that cannot be
 * analysed leaves the head's counts and says so.
 */
function totalLine(ir: ExperimentIR, plan: ReturnType<typeof finetunePlan> | undefined): string {
  const { totalParams, trainableParams } = ir.shapes;
  if (totalParams === UNKNOWN) return '  total params: ?   trainable: ?   non-trainable: ?';
  const headFrozen = totalParams - trainableParams;
  if (!ir.backbone)
    return `  total params: ${count(totalParams)}   trainable: ${count(trainableParams)}   non-trainable: ${count(headFrozen)}`;
  if (!plan) return `  head params: ${count(totalParams)}   trainable: ${count(trainableParams)}   (backbone not analysed)`;
  return (
    `  total params: ${count(totalParams + plan.trainable + plan.frozen)} (head ${count(totalParams)})` +
    `   trainable: ${count(trainableParams + plan.trainable)}   non-trainable: ${count(headFrozen + plan.frozen)}`
  );
}

const mega = (n: number) => (n / 1e6).toLocaleString('en-US', { maximumFractionDigits: 1 });

/**
 * The backbone's side: its blocks, what `finetune N` trains and what stays frozen, and its cost per
 * image at the spec's input. Read from the graph file; when it cannot be found, check says why.
 */
function backboneLines(
  bb: NonNullable<ExperimentIR['backbone']>,
  found: ReturnType<typeof analyseBackbone>,
  plan: ReturnType<typeof finetunePlan> | undefined,
): string[] {
  if (!found.ok || !plan) return [`  backbone ${bb.name}: not analysed (${found.ok ? 'no plan' : found.reason})`];
  const a = found.analysis;
  const names = a.blocks.map((b) => b.name);
  const blocks = names.length > 6 ? `${names.slice(0, 2).join(', ')}, ..., ${names.slice(-2).join(', ')}` : names.join(', ');
  const cost =
    a.flopsPerImage === null
      ? `cannot run at ${bb.input.join('x')}: ${a.reason}`
      : `${mega(a.flopsPerImage)} MFLOPs per image at ${bb.input.join('x')}`;
  const rate = bb.lrScale !== undefined && bb.lrScale !== 1 ? ` at ${bb.lrScale} x the learning rate` : '';
  const after = bb.frozenEpochs ? `, after ${bb.frozenEpochs} epoch${bb.frozenEpochs === 1 ? '' : 's'} of the head alone` : '';
  const trains = bb.frozen
    ? 'frozen: no backbone weight trains'
    : `finetune ${bb.finetune} trains ${plan.trainedBlocks.join(', ')}${rate}${after}`;
  return [
    `  backbone ${bb.name}: ${a.blocks.length} blocks (${blocks}), ${count(a.params)} params; ${cost}`,
    `  ${trains}: backbone trainable ${count(plan.trainable)}, frozen ${count(plan.frozen)}`,
  ];
}

/** `sweepSizes` gives each sweep's point count when `experiments` holds only its first points. */
export function explain(experiments: ExperimentIR[], sweepSizes: ReadonlyMap<string, number> = new Map()): string {
  const out: string[] = [];
  const sweeps = new Map<string, ExperimentIR[]>();
  for (const ir of experiments) if (ir.sweep) sweeps.set(ir.sweep.sweep, [...(sweeps.get(ir.sweep.sweep) ?? []), ir]);
  // Only the first points of a large sweep are listed and tabulated: thousands of tables help nobody.
  const shown = new Set<ExperimentIR>();
  for (const [sweep, points] of sweeps) {
    const axes = Object.keys(points[0].sweep!.values);
    const total = Math.max(points.length, sweepSizes.get(sweep) ?? 0);
    out.push(`sweep ${sweep}: ${total.toLocaleString('en-US')} points over ${axes.join(' x ')}`);
    for (const p of points.slice(0, EXPLAIN_POINTS)) {
      shown.add(p);
      out.push(
        `  ${p.sweep!.point.padEnd(24)} ${axes.map((a) => `${a}=${p.sweep!.values[a]}`).join('  ')}   params ${count(p.shapes.totalParams)}`,
      );
    }
    const rest = total - Math.min(points.length, EXPLAIN_POINTS);
    if (rest > 0) out.push(`  ... and ${rest.toLocaleString('en-US')} more points (FILE#POINT explains one)`);
    out.push('');
  }
  for (const ir of experiments) if (!ir.sweep || shown.has(ir)) out.push(table(ir), '');
  return `${out.join('\n')}\n`;
}
