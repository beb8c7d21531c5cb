// Shape inference and cost through a graph backbone at a chosen input size, for the ops emoc can train
// (compiler/graph-ops.ts). This decides whether a smaller input than the native one is allowed (every
// spatial size stays >= 1, every fixed Reshape still fits, channels agree) and gives `explain` its MFLOPs.
//
// Shapes carry a batch of 1 (NHWC): the cost is per image, and a Reshape that would fold pixels into the
// batch shows up as a leading dimension other than 1, which is refused.
//
// FLOPs convention (per image): a multiply-add is 2 FLOPs (Conv2D, depthwise, MatMul: `macs` counts them
// once); a bias add, activation or element-wise op is 1 per output element (a fused op counts each fused
// step, a batch norm 2: scale and shift); Softmax 3 per element (exp, sum, divide); max/avg pooling k*k per
// output element; Mean/Sum 1 per input element; Identity, Reshape, Squeeze, ConcatV2 and Pad are free.

import { attrBool, attrInts, attrString, attrStrings, type GraphNode, type ParsedGraph } from './parse.ts';

export type ShapePass =
  | { ok: true; shapes: Map<string, number[]>; macs: number; flops: number; assumptions: string[] }
  | { ok: false; node: string; reason: string; assumptions: string[] };

class Refusal extends Error {}

const UNARY = new Set(['Identity', 'Neg', 'Abs', 'Square', 'Sqrt', 'Rsqrt', 'Relu', 'Relu6', 'Elu', 'LeakyRelu', 'Sigmoid', 'Tanh']);
const BINARY = new Set(['Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum', 'Prelu']);
/** FLOPs per output element of each step a _Fused* op may carry in `fused_ops`. */
const FUSED_COST: Record<string, number> = { BiasAdd: 1, FusedBatchNorm: 2 };

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * Shapes of the `upstream` nodes of `graph` for an input of [h, w, c] (batch 1), with their cost.
 * `consts` holds the values of small int32 constants (readGraphConsts); without it a Mean/Sum over two axes
 * of an NHWC tensor is taken to pool the spatial axes (noted in `assumptions`), and a Reshape, Pad or
 * ConcatV2 is refused because its operand is unknown.
 */
export function inferShapes(
  graph: ParsedGraph,
  upstream: ReadonlySet<string>,
  input: readonly [number, number, number],
  consts?: ReadonlyMap<string, readonly number[]>,
): ShapePass {
  const shapes = new Map<string, number[]>();
  const assumptions: string[] = [];
  let macs = 0;
  let flops = 0;
  const firstInput = graph.placeholders[0]?.name;
  for (const node of graph.order) {
    if (!upstream.has(node.name)) continue;
    try {
      const got = shapeOf(node);
      shapes.set(node.name, got.shape);
      macs += got.macs ?? 0;
      flops += got.flops;
    } catch (e) {
      if (e instanceof Refusal) return { ok: false, node: node.name, reason: e.message, assumptions };
      throw e;
    }
  }
  return { ok: true, shapes, macs, flops, assumptions };

  function shapeOf(node: GraphNode): { shape: number[]; flops: number; macs?: number } {
    const arg = (k: number): number[] => {
      const name = node.inputs[k];
      const s = name === undefined ? undefined : shapes.get(name);
      if (!s) throw new Refusal(`node '${node.name}' (${node.op}) reads '${name ?? `input ${k}`}', which the graph does not define`);
      return s;
    };
    const value = (k: number, what: string): readonly number[] => {
      const name = node.inputs[k];
      const v = name === undefined ? undefined : consts?.get(name);
      if (!v) throw new Refusal(`node '${node.name}' (${node.op}) needs the value of its ${what} '${name}', which was not given`);
      return v;
    };
    const op = node.op;
    if (op === 'Placeholder' || op === 'PlaceholderWithDefault') {
      if (node.name !== firstInput) throw new Refusal(`the graph has a second input '${node.name}'; a backbone takes one image`);
      const dims = (node.attr.shape?.shape?.dim ?? []).map((d) => Number(d.size));
      if (dims.length === 4 && dims[3] > 0 && dims[3] !== input[2]) {
        throw new Refusal(`the graph's input '${node.name}' takes ${dims[3]} channels, not ${input[2]}`);
      }
      return { shape: [1, ...input], flops: 0 };
    }
    if (op === 'Const') {
      const info = graph.consts.get(node.name);
      if (!info) throw new Refusal(`constant '${node.name}' is missing from the weights manifest`);
      return { shape: info.shape, flops: 0 };
    }
    if (UNARY.has(op)) {
      const x = arg(0);
      return { shape: x, flops: op === 'Identity' ? 0 : size(x) };
    }
    if (op === 'Softmax') {
      const x = arg(0);
      return { shape: x, flops: 3 * size(x) };
    }
    if (BINARY.has(op)) {
      const out = broadcast(arg(0), arg(1));
      return { shape: out, flops: size(out) };
    }
    if (op === 'BiasAdd') {
      const x = arg(0);
      const b = arg(1);
      if (b.length !== 1 || b[0] !== x[x.length - 1]) throw new Refusal(`bias ${fmt(b)} does not fit ${fmt(x)}`);
      return { shape: x, flops: size(x) };
    }
    if (op === 'FusedBatchNorm' || op === 'FusedBatchNormV3') {
      nhwc();
      const x = arg(0);
      return { shape: x, flops: 2 * size(x) };
    }
    if (op === 'Conv2D' || op === '_FusedConv2D' || op === 'DepthwiseConv2dNative' || op === 'FusedDepthwiseConv2dNative') {
      nhwc();
      const x = arg(0);
      const f = arg(1);
      if (x.length !== 4 || f.length !== 4) throw new Refusal(`${op} needs a 4-d input and filter, got ${fmt(x)} and ${fmt(f)}`);
      const [kh, kw, ci, co] = f;
      if (x[3] !== ci) throw new Refusal(`filter '${node.inputs[1]}' takes ${ci} channels, the input has ${x[3]}`);
      const depthwise = op.includes('Depthwise');
      const outC = depthwise ? ci * co : co;
      const [oh, ow] = window(x, kh, kw, attrInts(node, 'dilations') ?? [1, 1, 1, 1]);
      const m = oh * ow * outC * kh * kw * (depthwise ? 1 : ci);
      const out = [1, oh, ow, outC];
      return { shape: out, macs: m, flops: 2 * m + fusedCost() * size(out) };
    }
    if (op === 'MatMul' || op === '_FusedMatMul') {
      const a = arg(0);
      const b = arg(1);
      if (a.length !== 2 || b.length !== 2) throw new Refusal(`MatMul needs 2-d operands, got ${fmt(a)} and ${fmt(b)}`);
      const [m, k] = attrBool(node, 'transpose_a') ? [a[1], a[0]] : a;
      const [k2, n] = attrBool(node, 'transpose_b') ? [b[1], b[0]] : b;
      if (k !== k2) throw new Refusal(`MatMul '${node.inputs[1]}' takes ${k2} features, the input has ${k} ${fmt(a)}`);
      const out = [m, n];
      return { shape: out, macs: m * k * n, flops: 2 * m * k * n + fusedCost() * size(out) };
    }
    if (op === 'MaxPool' || op === 'AvgPool') {
      nhwc();
      const x = arg(0);
      const [, kh, kw] = attrInts(node, 'ksize') ?? [1, 1, 1, 1];
      const [oh, ow] = window(x, kh, kw, [1, 1, 1, 1]);
      const out = [1, oh, ow, x[3]];
      return { shape: out, flops: size(out) * kh * kw };
    }
    if (op === 'Mean' || op === 'Sum') {
      const x = arg(0);
      const axes = reductionAxes(x);
      const keep = attrBool(node, 'keep_dims');
      const out = keep ? x.map((d, k) => (axes.has(k) ? 1 : d)) : x.filter((_, k) => !axes.has(k));
      return { shape: out, flops: size(x) };
    }
    if (op === 'Reshape') {
      const x = arg(0);
      return { shape: reshape(x, value(1, 'target shape')), flops: 0 };
    }
    if (op === 'Squeeze') {
      const x = arg(0);
      const dims = (attrInts(node, 'squeeze_dims') ?? []).map((d) => (d < 0 ? d + x.length : d));
      // With no axes named TF drops every size-1 axis; the batch axis is only 1 here because cost is per image.
      const drop = dims.length > 0 ? new Set(dims) : new Set(x.flatMap((d, k) => (k > 0 && d === 1 ? [k] : [])));
      for (const k of drop) if (x[k] !== 1) throw new Refusal(`Squeeze of axis ${k} of ${fmt(x)}, which is not 1`);
      return { shape: x.filter((_, k) => !drop.has(k)), flops: 0 };
    }
    if (op === 'ConcatV2') {
      const parts = node.inputs.slice(0, -1).map((_, k) => arg(k));
      const [axisRaw] = value(node.inputs.length - 1, 'axis');
      const rank = parts[0].length;
      const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
      for (const p of parts) {
        if (p.length !== rank || p.some((d, k) => k !== axis && d !== parts[0][k])) {
          throw new Refusal(`ConcatV2 of ${parts.map(fmt).join(' and ')} along axis ${axis}: the other sizes differ`);
        }
      }
      const out = parts[0].map((d, k) => (k === axis ? parts.reduce((s, p) => s + p[k], 0) : d));
      return { shape: out, flops: 0 };
    }
    if (op === 'Pad') {
      const x = arg(0);
      const p = value(1, 'paddings');
      if (p.length !== 2 * x.length) throw new Refusal(`Pad paddings of ${p.length / 2} axes for a ${x.length}-d input`);
      return { shape: x.map((d, k) => d + p[2 * k] + p[2 * k + 1]), flops: 0 };
    }
    throw new Refusal(`op ${op} is not one emoc can run trainably`);

    function nhwc(): void {
      const format = attrString(node, 'data_format') ?? 'NHWC';
      if (format !== 'NHWC') throw new Refusal(`${op} uses data format ${format}; emoc runs NHWC graphs only`);
    }

    function fusedCost(): number {
      return attrStrings(node, 'fused_ops').reduce((s, f) => s + (FUSED_COST[f] ?? 1), 0);
    }

    /** Output [h, w] of a sliding window (conv or pool) by the node's strides and padding. */
    function window(x: number[], kh: number, kw: number, dilations: number[]): [number, number] {
      const strides = attrInts(node, 'strides') ?? [1, 1, 1, 1];
      const padding = attrString(node, 'padding') ?? 'VALID';
      const explicit = attrInts(node, 'explicit_paddings') ?? [];
      const dims = [1, 2].map((axis, k) => {
        const s = strides[axis];
        const eff = ((k === 0 ? kh : kw) - 1) * dilations[axis] + 1;
        const n = x[axis];
        if (padding === 'SAME') return Math.ceil(n / s);
        if (padding === 'VALID') return Math.floor((n - eff) / s) + 1;
        if (padding === 'EXPLICIT') return Math.floor((n + explicit[2 * axis] + explicit[2 * axis + 1] - eff) / s) + 1;
        throw new Refusal(`padding ${padding} is not SAME, VALID or EXPLICIT`);
      });
      if (dims[0] < 1 || dims[1] < 1) {
        throw new Refusal(
          `the input ${input.join('x')} is too small: ${op} '${node.name}' (${kh}x${kw}, stride ${strides[1]}, ` +
            `${padding}) gets ${x[1]}x${x[2]} and would give ${dims[0]}x${dims[1]}`,
        );
      }
      return [dims[0], dims[1]];
    }

    function reductionAxes(x: number[]): Set<number> {
      const name = node.inputs[1];
      const v = name === undefined ? undefined : consts?.get(name);
      if (v) return new Set(v.map((a) => (a < 0 ? a + x.length : a)));
      const declared = name === undefined ? undefined : graph.consts.get(name)?.shape;
      if (x.length === 4 && declared?.length === 1 && declared[0] === 2) {
        assumptions.push(`${op} '${node.name}' taken to pool axes 1 and 2 (global pooling): the value of '${name}' was not read`);
        return new Set([1, 2]);
      }
      throw new Refusal(`node '${node.name}' (${op}) needs the value of its axes '${name}', which was not given`);
    }

    function reshape(x: number[], target: readonly number[]): number[] {
      const total = size(x);
      const known = target.filter((d) => d !== -1);
      const fixed = size(known);
      const free = target.length - known.length;
      if (free > 1) throw new Refusal(`Reshape to ${fmt(target)} has more than one -1`);
      const fill = free === 1 ? total / fixed : 1;
      if (!Number.isInteger(fill) || (free === 0 && fixed !== total) || (free === 1 && fill < 1)) {
        throw new Refusal(
          `the input ${input.join('x')} does not fit Reshape '${node.name}': ${fmt(x)} (${total} values) cannot become ${fmt(target)}`,
        );
      }
      const out = target.map((d) => (d === -1 ? fill : d));
      if (out[0] !== 1) {
        throw new Refusal(
          `the input ${input.join('x')} does not fit Reshape '${node.name}': ${fmt(x)} to ${fmt(target)} would fold ` +
            `pixels into the batch (${out[0]} rows per image)`,
        );
      }
      return out;
    }
  }
}

/** numpy-style broadcast of two shapes, or a refusal naming both. */
function broadcast(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const da = a[a.length - n + k] ?? 1;
    const db = b[b.length - n + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Refusal(`shapes ${fmt(a)} and ${fmt(b)} do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}
