// How a graph backbone's weights divide into blocks for `finetune N` (the last N blocks train).
//
// The rule (stated once here; `explain` and the docs repeat it):
//   1. A weight is a float Const of rank >= 1 that the requested outputs depend on. Scalars (ReLU6's clip
//      bounds, fixed multipliers) and integer constants (axes, shapes, paddings) are structure, not weights;
//      weights only read after the tap (faceres' gender/age heads behind `feats`) never count.
//   2. A weight is named by its own node name, or, when that has no scope (tfjs-converter's `unknown_9`), by
//      the name of the first node that reads it.
//   3. A scope repeated at once counts once (TF-slim's `MobileFaceNet/MobileFaceNet/Conv2d_0/...`). The
//      leading scope segments shared by every float weight of the graph are dropped (expression keeps all
//      of its weights under `StatefulPartitionedCall/model_1/`, mobilefacenet under `MobileFaceNet/`); the
//      block is the next segment, the "top-level scope".
//   4. A trailing `_bn`, `_relu`, `_relu6`, `_act`, `_batchnorm` or `_activation`, optionally numbered
//      (`_bn_2`), is stripped (repeatedly), so a conv and its folded batch norm and activation are one block.
//   5. A backbone may map that scope further (BlockRule): faceres joins `conv_dw_K` and `conv_pw_K` into
//      `block_K` (FACERES_BLOCK_RULE), so it has conv1 + 13 blocks below its global pooling.
//   6. Blocks are ordered by the first use of any of their weights in topological order.
// Batch-norm running statistics (FusedBatchNorm's mean and variance) belong to their block but never train.

import type { ParsedGraph } from './parse.ts';
import { attrStrings } from './parse.ts';

/** A backbone's own scope -> block mapping: a regex on the stripped scope and its replacement, or a function. */
export type BlockRule = { pattern: string; block: string } | ((scope: string) => string);

/** faceres (MobileNetV1): the depthwise and pointwise halves of separable layer K are one block, `block_K`. */
export const FACERES_BLOCK_RULE: BlockRule = { pattern: '^conv_(?:dw|pw)_(\\d+)$', block: 'block_$1' };

export interface GraphWeight {
  /** The Const node's name (the key the runtime's variables use). */
  name: string;
  shape: number[];
  params: number;
  /** Batch-norm running mean or variance: counted in the block, never trained. */
  statistic: boolean;
}

export interface GraphBlock {
  name: string;
  /** In order of first use. */
  weights: GraphWeight[];
  params: number;
  /** params less the statistics: what `finetune` trains when this block is among the last N. */
  trainableParams: number;
}

const SUFFIX = /_(?:bn|batchnorm|relu6?|act|activation)(?:_\d+)?$/;

export function stripBlockSuffix(scope: string): string {
  let s = scope;
  for (let next = s.replace(SUFFIX, ''); next !== s && next !== ''; next = s.replace(SUFFIX, '')) s = next;
  return s;
}

function applyRule(rule: BlockRule | undefined, scope: string): string {
  if (!rule) return scope;
  if (typeof rule === 'function') return rule(scope);
  const re = new RegExp(rule.pattern);
  return re.test(scope) ? scope.replace(re, rule.block) : scope;
}

function isFloatWeight(graph: ParsedGraph, name: string): boolean {
  const node = graph.nodes.get(name);
  const info = graph.consts.get(name);
  return node?.op === 'Const' && !!info && info.dtype.startsWith('float') && info.shape.length >= 1;
}

/** Consts that a batch norm reads as its running mean or variance. */
function statisticNames(graph: ParsedGraph): Set<string> {
  const out = new Set<string>();
  for (const n of graph.nodes.values()) {
    if (n.op === 'FusedBatchNorm' || n.op === 'FusedBatchNormV3') {
      // inputs: x, scale, offset, mean, variance
      for (const i of n.inputs.slice(3, 5)) out.add(i);
    } else if ((n.op === '_FusedConv2D' || n.op === '_FusedMatMul') && attrStrings(n, 'fused_ops')[0] === 'FusedBatchNorm') {
      // inputs: x, filter, scale, offset, mean, variance
      for (const i of n.inputs.slice(4, 6)) out.add(i);
    }
  }
  return out;
}

/** The weights the given nodes depend on, grouped into blocks by the rule above. */
export function graphBlocks(graph: ParsedGraph, upstream: ReadonlySet<string>, rule?: BlockRule): GraphBlock[] {
  const position = new Map(graph.order.map((n, k) => [n.name, k]));
  // First reader of each const in topological order: names unscoped weights, and orders blocks.
  const firstReader = new Map<string, string>();
  const firstUpstreamUse = new Map<string, number>();
  for (const n of graph.order) {
    for (const i of n.inputs) {
      if (!firstReader.has(i)) firstReader.set(i, n.name);
      if (upstream.has(n.name) && !firstUpstreamUse.has(i)) firstUpstreamUse.set(i, position.get(n.name)!);
    }
  }
  const naming = (w: string): string[] => collapseRepeats((w.includes('/') ? w : (firstReader.get(w) ?? w)).split('/'));
  const allWeights = [...graph.nodes.keys()].filter((n) => isFloatWeight(graph, n));
  const prefix = commonScopeLength(allWeights.map(naming));
  const statistics = statisticNames(graph);

  const blocks = new Map<string, { first: number; weights: Array<GraphWeight & { first: number }> }>();
  for (const w of allWeights) {
    if (!upstream.has(w)) continue;
    const segments = naming(w);
    const scope = segments[Math.min(prefix, segments.length - 1)];
    const block = applyRule(rule, stripBlockSuffix(scope));
    const shape = graph.consts.get(w)!.shape;
    const first = firstUpstreamUse.get(w) ?? position.get(w) ?? 0;
    const entry = blocks.get(block) ?? { first, weights: [] };
    entry.first = Math.min(entry.first, first);
    entry.weights.push({ name: w, shape, params: shape.reduce((a, b) => a * b, 1), statistic: statistics.has(w), first });
    blocks.set(block, entry);
  }
  return [...blocks.entries()]
    .sort((a, b) => a[1].first - b[1].first)
    .map(([name, { weights }]) => {
      const ordered = weights.sort((a, b) => a.first - b.first).map(({ first: _first, ...w }) => w);
      return {
        name,
        weights: ordered,
        params: ordered.reduce((s, w) => s + w.params, 0),
        trainableParams: ordered.reduce((s, w) => s + (w.statistic ? 0 : w.params), 0),
      };
    });
}

/** How many leading scope segments every name's scope shares, leaving each name at least one scope segment. */
function commonScopeLength(names: string[][]): number {
  if (names.length === 0) return 0;
  const dirs = names.map((n) => n.slice(0, -1));
  const limit = Math.max(0, Math.min(...dirs.map((d) => d.length)) - 1);
  let k = 0;
  while (k < limit && dirs.every((d) => d[k] === dirs[0][k])) k++;
  return k;
}

/** `a/a/b` -> `a/b`: an outer scope that repeats itself adds no information. */
function collapseRepeats(segments: string[]): string[] {
  return segments.filter((seg, k) => k === 0 || seg !== segments[k - 1]);
}
