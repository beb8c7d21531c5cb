// What the compiler knows about fine-tuning a graph backbone, read from its model.json without TensorFlow:
// which ops on the way to the taps emoc cannot train (E034 names the first), how the weights divide into
// blocks for `finetune N`, the tap shapes and the cost per image at a chosen input size (whether a smaller
// input than the native one is allowed; `explain`'s MFLOPs), and trainable vs frozen parameter counts.
// The runtime's trainable interpreter (runtime/backbones/trainable/) uses `trainableWeights` to choose which
// constants become variables, so both sides count blocks the same way.
//
// The parts: backbone-graph/parse.ts (model.json -> nodes), blocks.ts (the block rule, documented there),
// shapes.ts (shape inference and the FLOPs convention, documented there), consts.ts (small int constants
// read from the weight shards).

import { isTrainableGraphOp } from './graph-ops.ts';
import { graphBlocks, type BlockRule, type GraphBlock } from './backbone-graph/blocks.ts';
import { nodeOf, parseGraph, upstreamOf } from './backbone-graph/parse.ts';
import { inferShapes } from './backbone-graph/shapes.ts';

export { FACERES_BLOCK_RULE, stripBlockSuffix, type BlockRule, type GraphBlock, type GraphWeight } from './backbone-graph/blocks.ts';
export { GraphModelError } from './backbone-graph/parse.ts';
export { readGraphConsts } from './backbone-graph/consts.ts';

export interface AnalyseOptions {
  /** [h, w, c] the graph is fed (the backbone's native input or the spec's smaller one). */
  input: readonly [number, number, number];
  /** Tap nodes (a `:0` suffix is ignored). Only what they depend on counts. */
  outputs: readonly string[];
  /** The backbone's own block mapping (registry), e.g. FACERES_BLOCK_RULE. */
  blockRule?: BlockRule;
  /** Values of small int32 constants (readGraphConsts); see shapes.ts for what happens without them. */
  consts?: ReadonlyMap<string, readonly number[]>;
}

export interface UnknownGraphOp {
  node: string;
  op: string;
}

export interface GraphAnalysis {
  /** [h, w, c] of the graph's input placeholder where fixed (the native size), else null. */
  nativeInput: [number, number, number] | null;
  input: [number, number, number];
  /** Requested outputs that name no node of the graph. */
  missingOutputs: string[];
  /** Ops the outputs depend on that emoc cannot train, in topological order (one entry per node). */
  unknownOps: UnknownGraphOp[];
  /** Blocks of weights the outputs depend on, first to last (`finetune N` trains the last N). */
  blocks: GraphBlock[];
  /** Sum of the blocks' params. */
  params: number;
  /** False when the graph cannot run at `input` (or cannot be analysed): see `reason`. */
  inputOk: boolean;
  reason?: string;
  /** The node the refusal is about, when there is one. */
  reasonNode?: string;
  /** Shape of each requested output at `input`, without the batch axis (null when !inputOk). */
  outputShapes: Record<string, number[] | null>;
  /** Cost per image at `input` (convention in backbone-graph/shapes.ts); null when !inputOk. */
  flopsPerImage: number | null;
  /** Multiply-adds of the convolutions and matmuls alone, per image. */
  macsPerImage: number | null;
  /** Guesses the shape pass made for lack of constant values (pass `consts` to avoid them). */
  assumptions: string[];
}

/**
 * Analyses a tfjs graph model for fine-tuning. Throws GraphModelError only when `modelJson` is not a tfjs
 * graph model (not JSON, no topology, a cycle); everything about the spec's choices is in the result.
 */
export function analyseGraph(modelJson: string, opts: AnalyseOptions): GraphAnalysis {
  const graph = parseGraph(modelJson);
  const outputs = opts.outputs.map(nodeOf);
  const missingOutputs = outputs.filter((o) => !graph.nodes.has(o));
  const upstream = upstreamOf(graph, outputs);
  const unknownOps = graph.order.filter((n) => upstream.has(n.name) && !isTrainableGraphOp(n.op)).map((n) => ({ node: n.name, op: n.op }));
  const blocks = graphBlocks(graph, upstream, opts.blockRule);
  const input: [number, number, number] = [opts.input[0], opts.input[1], opts.input[2]];
  const base = {
    nativeInput: nativeInput(graph.placeholders[0]?.attr.shape?.shape?.dim),
    input,
    missingOutputs,
    unknownOps,
    blocks,
    params: blocks.reduce((s, b) => s + b.params, 0),
  };
  const refuse = (reason: string, reasonNode?: string, assumptions: string[] = []): GraphAnalysis => ({
    ...base,
    inputOk: false,
    reason,
    ...(reasonNode ? { reasonNode } : {}),
    outputShapes: Object.fromEntries(outputs.map((o) => [o, null])),
    flopsPerImage: null,
    macsPerImage: null,
    assumptions,
  });
  if (missingOutputs.length > 0) return refuse(`the graph has no node '${missingOutputs[0]}'`);
  if (input.some((d) => !Number.isInteger(d) || d < 1)) return refuse(`input ${input.join('x')} is not a positive size`);
  if (unknownOps.length > 0) {
    const first = unknownOps[0];
    return refuse(`op ${first.op} (node '${first.node}') is not one emoc can run trainably`, first.node);
  }
  const pass = inferShapes(graph, upstream, input, opts.consts);
  if (!pass.ok) return refuse(pass.reason, pass.node, pass.assumptions);
  return {
    ...base,
    inputOk: true,
    outputShapes: Object.fromEntries(outputs.map((o) => [o, pass.shapes.get(o)!.slice(1)])),
    flopsPerImage: pass.flops,
    macsPerImage: pass.macs,
    assumptions: pass.assumptions,
  };
}

function nativeInput(dims: Array<{ size?: string | number }> | undefined): [number, number, number] | null {
  if (!dims || dims.length !== 4) return null;
  const s = dims.slice(1).map((d) => Number(d.size));
  return s.every((d) => Number.isInteger(d) && d > 0) ? [s[0], s[1], s[2]] : null;
}

export interface FinetuneParams {
  /** Names of the blocks that train (the last `finetune`), first to last. */
  trainedBlocks: string[];
  /** Const node names that become trainable variables (batch-norm statistics excluded). */
  trainableWeights: string[];
  trainable: number;
  /** Everything else the outputs depend on (earlier blocks and the trained blocks' statistics). */
  frozen: number;
}

/**
 * Trainable and frozen parameters when the last `finetune` blocks train (0 = frozen backbone).
 * Throws RangeError outside 0..blocks.length: check `finetune` against `analysis.blocks.length` first.
 */
export function paramsFor(analysis: Pick<GraphAnalysis, 'blocks'>, finetune: number): FinetuneParams {
  const n = analysis.blocks.length;
  if (!Number.isInteger(finetune) || finetune < 0 || finetune > n) {
    throw new RangeError(`finetune ${finetune} is outside 0..${n} (the backbone has ${n} blocks)`);
  }
  const trained = analysis.blocks.slice(n - finetune);
  const trainable = trained.reduce((s, b) => s + b.trainableParams, 0);
  const total = analysis.blocks.reduce((s, b) => s + b.params, 0);
  return {
    trainedBlocks: trained.map((b) => b.name),
    trainableWeights: trained.flatMap((b) => b.weights.filter((w) => !w.statistic).map((w) => w.name)),
    trainable,
    frozen: total - trainable,
  };
}
