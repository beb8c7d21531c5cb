// A tfjs-converter graph model (model.json + weight shards) run as a *trainable* network: a small
// interpreter over the graph's nodes, each computed by the differentiable tfjs op of ops.ts, with
// every weight taken either from the stored constant or from a tensor the caller supplies (the
// tf.Variables a fine-tuning run creates). Gradients flow to exactly the overridden weights.
//
// API (for the model/training code):
//   const g = await TrainableGraph.load(modelJsonPath);
//   g.unknownOps(outputs?)            -> [{op, node}] the graph (or the part `outputs` need) cannot run
//   g.assertRunnable(outputs?)        -> throws UntrainableGraphError naming the first such op and node
//   g.weightNames(outputs?)           -> parameter Const names, in the order the network uses them
//   g.weight(name)                    -> the stored constant (owned by g: do not dispose)
//   g.weightUsers(name)               -> the nodes reading it (their names say the layer/block)
//   g.execute(x, outputs, overrides?) -> values of `outputs` (node names, ':0' allowed) for NHWC x
//   g.run(feeds, outputs, overrides?) -> the same from given node values (feeds: name -> tensor), e.g.
//                                       a frozen prefix computed outside the gradient tape
//   g.nodeInputs(node)                -> the nodes `node` reads
//   g.inputName, g.inputShape         -> the image input's node name and declared shape (-1 as null;
//                                       a smaller height/width than declared runs where the graph allows)
//   g.dispose()
//
// Weights are decoded with tf.io.decodeWeights, the same function tfjs-converter's loadGraphModel
// uses, so quantized shards (faceres stores float16) come out as the same float32 values the
// GraphModel computes with; we read the files ourselves rather than borrow a GraphModel's weights so
// no inference executor (and second copy of its bookkeeping) has to stay alive beside the trainable one.

import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { isTrainableGraphOp } from '../../../compiler/graph-ops.ts';
import { ModelFileError } from '../../errors.ts';
import { readModelJson, weightShardPaths } from '../io.ts';
import type { Attrs } from './attrs.ts';
import { UntrainableGraphError } from './errors.ts';
import { fuseRelu6, type Rewritten } from './rewrite.ts';
import { PARAMETER_INPUTS, TRAINABLE_OPS, type GraphNode, type OpEnv } from './ops.ts';

const GRAPH_MODEL_HINT = 'give the model.json of a tfjs graph model (tensorflowjs_converter --output_format=tfjs_graph_model)';
const UNTRAINABLE_HINT = 'keep this backbone frozen (fine-tuning runs only graphs built from the ops in compiler/graph-ops.ts)';

interface RawNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Attrs & { shape?: { shape?: { dim?: { size?: string }[]; unknownRank?: boolean } } };
}

/** A graph node this runtime cannot compute, and why (an op outside the table, or a second output). */
export interface UnknownOp {
  op: string;
  node: string;
}

/** Nodes to run for some outputs, in topological order, with the step after which each value is dead. */
interface Plan {
  nodes: GraphNode[];
  lastUse: Map<string, number>;
}

export class TrainableGraph {
  private readonly plans = new Map<string, Plan>();
  private disposed = false;
  /** The graph as it runs (rewrite.ts); the original stays the one to describe and check. */
  private readonly fast: Rewritten;

  private constructor(
    /** The model.json this graph came from (error messages name it). */
    readonly modelPath: string,
    private readonly nodes: Map<string, GraphNode>,
    /** Nodes that read an output other than the first of some node: node -> the input it reads. */
    private readonly secondOutputs: Map<string, string>,
    private readonly consts: Map<string, tf.Tensor>,
    private readonly params: string[],
    /** The first Placeholder node: the image input execute() feeds (null for a graph without one). */
    readonly inputName: string | null,
    /** The Placeholder's declared shape ([-1, 224, 224, 3] as [null, 224, 224, 3]), or null when unknown. */
    readonly inputShape: (number | null)[] | null,
  ) {
    this.fast = fuseRelu6(nodes, consts);
  }

  /** Reads model.json and its weight shards. Throws ModelFileError for files that are not a usable graph model. */
  static async load(modelJsonPath: string): Promise<TrainableGraph> {
    const json = await readModelJson(modelJsonPath);
    const topology = json.modelTopology as { node?: RawNode[]; library?: { function?: unknown[] } } | undefined;
    if (!topology?.node) throw new ModelFileError('has no modelTopology.node: not a tfjs graph model', modelJsonPath, GRAPH_MODEL_HINT);
    const specs = (json.weightsManifest ?? []).flatMap((g) => g.weights);
    const shards = await Promise.all(
      weightShardPaths(modelJsonPath, json).map(async (p) => {
        const b = await readFile(p).catch((err: Error) => {
          throw new ModelFileError(`cannot read weight file ${p} (${err.message})`, modelJsonPath, GRAPH_MODEL_HINT);
        });
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
      }),
    );
    const need = specs.reduce((n, s) => n + tf.util.sizeFromShape(s.shape) * bytesPer(s), 0);
    const have = shards.reduce((n, b) => n + b.byteLength, 0);
    // String weights have no fixed size: tfjs checks those while decoding.
    if (have < need && !specs.some((s) => s.dtype === 'string'))
      throw new ModelFileError(`weight files hold ${have} bytes; the manifest needs ${need}`, modelJsonPath, GRAPH_MODEL_HINT);
    let decoded: tf.NamedTensorMap;
    try {
      decoded = tf.io.decodeWeights(shards, specs);
    } catch (err) {
      throw new ModelFileError(`cannot decode its weights (${(err as Error).message})`, modelJsonPath, GRAPH_MODEL_HINT);
    }

    const nodes = new Map<string, GraphNode>();
    const secondOutputs = new Map<string, string>();
    for (const raw of topology.node) {
      const inputs: string[] = [];
      for (const ref of raw.input ?? []) {
        if (ref.startsWith('^')) continue; // control dependency: no data, and execution order is data order here
        const [name, index] = ref.split(':') as [string, string | undefined];
        if (index !== undefined && index !== '0' && !secondOutputs.has(raw.name)) secondOutputs.set(raw.name, ref);
        inputs.push(name);
      }
      nodes.set(raw.name, { name: raw.name, op: raw.op, inputs, attr: raw.attr ?? {} });
    }
    const consts = new Map<string, tf.Tensor>();
    for (const node of nodes.values()) {
      if (node.op !== 'Const') continue;
      const t = decoded[node.name];
      if (!t) {
        tf.dispose(Object.values(decoded));
        tf.dispose([...consts.values()]);
        throw new ModelFileError(`Const node '${node.name}' has no entry in the weights manifest`, modelJsonPath, GRAPH_MODEL_HINT);
      }
      consts.set(node.name, t);
    }
    tf.dispose(
      Object.entries(decoded)
        .filter(([name]) => !consts.has(name))
        .map(([, t]) => t),
    );
    for (const node of nodes.values()) {
      for (const input of node.inputs) {
        if (!nodes.has(input)) {
          tf.dispose([...consts.values()]);
          throw new ModelFileError(`node '${node.name}' reads '${input}', which is not in the graph`, modelJsonPath, GRAPH_MODEL_HINT);
        }
      }
    }
    const placeholder = topology.node.find((n) => n.op === 'Placeholder');
    const dims = placeholder?.attr?.shape?.shape;
    const inputShape = dims?.dim && !dims.unknownRank ? dims.dim.map((d) => (Number(d.size ?? -1) < 0 ? null : Number(d.size))) : null;
    return new TrainableGraph(
      modelJsonPath,
      nodes,
      secondOutputs,
      consts,
      parameterNames(nodes, consts),
      placeholder?.name ?? null,
      inputShape,
    );
  }

  /**
   * Nodes the graph (or only the part computing `outputs`) uses that this runtime cannot compute, in
   * execution order: ops outside compiler/graph-ops.ts, and nodes reading a second output of a
   * multi-output op (only first outputs are computed).
   */
  unknownOps(outputs?: string[]): UnknownOp[] {
    const order = this.order(outputs ? outputs.map(stripOutput) : this.sinks());
    const found: UnknownOp[] = [];
    for (const node of order) {
      if (!isTrainableGraphOp(node.op)) found.push({ op: node.op, node: node.name });
      else if (this.secondOutputs.has(node.name)) found.push({ op: node.op, node: node.name });
    }
    return found;
  }

  /** Throws UntrainableGraphError naming the first node unknownOps() reports. */
  assertRunnable(outputs?: string[]): void {
    const first = this.unknownOps(outputs)[0];
    if (first) this.refuse(this.nodes.get(first.node)!);
  }

  private refuse(node: GraphNode): never {
    const second = this.secondOutputs.get(node.name);
    const why =
      isTrainableGraphOp(node.op) && second
        ? `node '${node.name}' (${node.op}) reads '${second}', a second output of a multi-output op, which emoc does not compute`
        : `op '${node.op}' (node '${node.name}') has no trainable implementation in emoc`;
    throw new UntrainableGraphError(why, this.modelPath, UNTRAINABLE_HINT, node.op, node.name);
  }

  /**
   * The Const nodes that are the network's parameters (see ops.ts PARAMETER_INPUTS), in the order the
   * network first uses them; with `outputs`, only those the outputs depend on (faceres' avgpool tap
   * needs none of its feats/gender/age heads).
   */
  weightNames(outputs?: string[]): string[] {
    if (!outputs) return [...this.params];
    const used = new Set(this.order(outputs.map(stripOutput)).map((n) => n.name));
    return this.params.filter((p) => used.has(p));
  }

  /** The stored value of Const node `name` (a parameter or any other constant). Owned by this graph. */
  weight(name: string): tf.Tensor {
    const t = this.consts.get(name);
    // internal: callers ask for names weightNames() gave them.
    if (!t) throw new Error(`'${name}' is not a Const node of ${this.modelPath}`);
    return t;
  }

  /** The nodes that read Const `name` (their names carry the layer, e.g. 'conv_dw_1/depthwise'), in file order. */
  weightUsers(name: string): string[] {
    return [...this.nodes.values()].filter((n) => n.inputs.includes(name)).map((n) => n.name);
  }

  /**
   * Runs the nodes `outputs` need on NHWC input `input` and returns their values, in `outputs` order.
   * Const `name` is read from `overrides` when present (same shape; typically a tf.Variable), else the
   * stored constant. Intermediate values are disposed as soon as no later node needs them; works
   * inside tf.tidy and under tf.grads / tf.variableGrads (gradients reach only the overrides).
   */
  execute(input: tf.Tensor4D, outputs: string[], overrides?: ReadonlyMap<string, tf.Tensor>): tf.Tensor[] {
    if (!this.inputName)
      throw new UntrainableGraphError('the graph has no input (Placeholder node)', this.modelPath, UNTRAINABLE_HINT, 'Placeholder', '');
    return this.run(new Map([[this.inputName, input]]), outputs, overrides);
  }

  /**
   * Like execute, but starting from given values of any nodes (`feeds`: node name -> value), which
   * are not computed again, nor anything only they need. A fine-tuning step whose first blocks are
   * frozen can compute the frozen part once outside tf.variableGrads and run only the trainable rest
   * under it, so the gradient tape holds the tail of the network alone.
   */
  run(feeds: ReadonlyMap<string, tf.Tensor>, outputs: string[], overrides?: ReadonlyMap<string, tf.Tensor>): tf.Tensor[] {
    // internal: using a graph after dispose() is a bug in the caller.
    if (this.disposed) throw new Error(`TrainableGraph ${this.modelPath} was disposed`);
    const wanted = outputs.map(stripOutput);
    const plan = this.plan(wanted, [...feeds.keys()].map(stripOutput));
    for (const [name, t] of overrides ?? []) {
      const c = this.consts.get(name);
      // internal: the caller builds overrides from weightNames() and weight(name).shape.
      if (!c) throw new Error(`override '${name}' is not a Const node of ${this.modelPath}`);
      if (!tf.util.arraysEqual(c.shape, t.shape)) throw new Error(`override '${name}' has shape [${t.shape}]; the weight is [${c.shape}]`);
    }
    const external = new Set<tf.Tensor>([...feeds.values(), ...this.consts.values(), ...(overrides?.values() ?? [])]);
    const env: OpEnv = {
      where: this.modelPath,
      feed: (node) => {
        // internal: plan() refuses graphs whose other inputs nobody feeds.
        throw new Error(`graph input '${node.name}' was not fed`);
      },
      constant: (node) => overrides?.get(node.name) ?? this.consts.get(node.name)!,
    };
    const keep = new Set(wanted);
    return tf.tidy(() => {
      const values = new Map<string, tf.Tensor>([...feeds].map(([n, t]) => [stripOutput(n), t]));
      plan.nodes.forEach((node, step) => {
        const fn = TRAINABLE_OPS[node.op as keyof typeof TRAINABLE_OPS];
        values.set(
          node.name,
          fn(
            node.inputs.map((n) => values.get(n)!),
            node,
            env,
          ),
        );
        // Free what no later node reads: keeps a forward pass at a few live activations, not all of them.
        for (const n of new Set(node.inputs)) {
          const v = values.get(n)!;
          if (plan.lastUse.get(n) === step && !keep.has(n) && !external.has(v)) v.dispose();
        }
      });
      // Return fresh handles for a Const or a fed value asked for as an output, so the caller may dispose every result.
      return wanted.map((n) => (external.has(values.get(n)!) ? tf.clone(values.get(n)!) : values.get(n)!));
    });
  }

  /** The names of the nodes `node` reads (its data inputs), e.g. to find where a block begins. */
  nodeInputs(node: string): string[] {
    const n = this.nodes.get(stripOutput(node));
    // internal: callers ask about nodes of this graph (names from weightUsers or the registry).
    if (!n) throw new Error(`'${node}' is not a node of ${this.modelPath}`);
    return [...n.inputs];
  }

  /** Frees the stored constants. Overrides belong to the caller and are left alone. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose([...this.consts.values()]);
    this.consts.clear();
  }

  private plan(wanted: string[], fed: string[]): Plan {
    const key = `${wanted.join('\n')}\n<-\n${fed.join('\n')}`;
    const cached = this.plans.get(key);
    if (cached) return cached;
    for (const w of [...wanted, ...fed]) {
      // internal: outputs are tap node names the compiler checked against the graph.
      if (!this.nodes.has(w)) throw new Error(`'${w}' is not a node of ${this.modelPath}`);
    }
    // Unknown ops are looked for in the graph as written, so the message names the file's own node.
    const unknown = topoOrder(this.nodes, wanted, new Set(fed)).find((n) => !isTrainableGraphOp(n.op) || this.secondOutputs.has(n.name));
    if (unknown) this.refuse(unknown);
    const runs = [...wanted, ...fed].some((n) => this.fast.removed.has(n)) ? this.nodes : this.fast.nodes;
    const nodes = topoOrder(runs, wanted, new Set(fed));
    const unfed = nodes.find((n) => n.op === 'Placeholder');
    if (unfed) {
      throw new UntrainableGraphError(
        `the graph needs input '${unfed.name}' besides '${this.inputName}'; emoc feeds a backbone one image input`,
        this.modelPath,
        UNTRAINABLE_HINT,
        unfed.op,
        unfed.name,
      );
    }
    const lastUse = new Map<string, number>();
    nodes.forEach((node, step) => node.inputs.forEach((n) => lastUse.set(n, step)));
    const plan = { nodes, lastUse };
    this.plans.set(key, plan);
    return plan;
  }

  /** Nodes nothing reads (the graph's outputs), in file order. */
  private sinks(): string[] {
    const read = new Set([...this.nodes.values()].flatMap((n) => n.inputs));
    return [...this.nodes.keys()].filter((n) => !read.has(n));
  }

  /** The nodes `targets` depend on, in topological order (depth-first post-order, inputs in input order). */
  /**
   * Where the frozen part ends when only `trainable` weights train: the computed nodes (not Consts) that
   * nodes depending on a trainable weight read, but that depend on none themselves. Feeding their values
   * to run() computes everything the trainable part needs; a caller can compute them without a gradient
   * tape (nothing before them has a gradient to give).
   */
  frontier(trainable: readonly string[], outputs: string[]): string[] {
    const tuned = new Set(trainable);
    const dependent = new Set<string>();
    const cut = new Set<string>();
    for (const node of this.order(outputs.map(stripOutput))) {
      if (node.inputs.some((i) => tuned.has(i) || dependent.has(i))) dependent.add(node.name);
    }
    for (const name of dependent) {
      for (const i of this.nodes.get(name)!.inputs) {
        if (!dependent.has(i) && !tuned.has(i) && this.nodes.get(i)?.op !== 'Const') cut.add(i);
      }
    }
    return [...cut];
  }

  private order(targets: string[]): GraphNode[] {
    return topoOrder(this.nodes, targets, new Set());
  }
}

/** Depth-first post-order from `targets` (iterative: converted graphs can be thousands of nodes deep). */
function topoOrder(nodes: Map<string, GraphNode>, targets: string[], given: ReadonlySet<string>): GraphNode[] {
  // Given nodes count as done: neither they nor what only they need are run.
  const done = new Set<string>(given);
  const out: GraphNode[] = [];
  for (const target of targets) {
    const stack: { name: string; next: number }[] = [{ name: target, next: 0 }];
    const onPath = new Set<string>([target]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (done.has(top.name)) {
        stack.pop();
        onPath.delete(top.name);
        continue;
      }
      const node = nodes.get(top.name)!;
      if (top.next < node.inputs.length) {
        const child = node.inputs[top.next++]!;
        // internal: tfjs graph models are acyclic (control flow ops, which are not in the op table, aside).
        if (onPath.has(child)) throw new Error(`graph cycle through '${child}'`);
        if (!done.has(child)) {
          stack.push({ name: child, next: 0 });
          onPath.add(child);
        }
      } else {
        done.add(top.name);
        out.push(node);
        stack.pop();
        onPath.delete(top.name);
      }
    }
  }
  return out;
}

/** Float Const nodes fed into a parameter input of their consumer, in the order of the whole graph's topological sort. */
function parameterNames(nodes: Map<string, GraphNode>, consts: Map<string, tf.Tensor>): string[] {
  const read = new Set([...nodes.values()].flatMap((n) => n.inputs));
  const sinks = [...nodes.keys()].filter((n) => !read.has(n));
  const names: string[] = [];
  const seen = new Set<string>();
  for (const node of topoOrder(nodes, sinks, new Set())) {
    const isParam = isTrainableGraphOp(node.op) ? PARAMETER_INPUTS[node.op] : undefined;
    if (!isParam) continue;
    node.inputs.forEach((name, i) => {
      const c = consts.get(name);
      if (c && c.dtype === 'float32' && !seen.has(name) && isParam(i, c)) {
        seen.add(name);
        names.push(name);
      }
    });
  }
  return names;
}

const stripOutput = (name: string): string => name.replace(/:0$/, '');

/** Bytes one stored element takes (after quantization, when the manifest says so). */
function bytesPer(spec: tf.io.WeightsManifestEntry): number {
  const q = spec.quantization?.dtype;
  if (q) return q === 'uint8' ? 1 : 2;
  return spec.dtype === 'bool' ? 1 : 4;
}
