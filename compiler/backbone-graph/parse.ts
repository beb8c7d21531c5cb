// Reads a tfjs-converter graph model.json (topology + weightsManifest) into plain nodes, without TensorFlow.
// Only what the backbone analysis needs: each node's op, data inputs and attributes decoded to numbers and
// strings, each constant's dtype and shape (from the weights manifest, where tfjs-converter puts every
// constant), a topological order and the set of nodes an output depends on.

export class GraphModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphModelError';
  }
}

/** A graph node with its data inputs resolved to node names (control inputs `^x` dropped, `x:0` -> `x`). */
export interface GraphNode {
  name: string;
  op: string;
  inputs: string[];
  /** Raw tfjs attr object; read it through the `attr*` helpers below. */
  attr: Record<string, RawAttr>;
  /** Position in the file, the tie-break that keeps the topological order close to the file's. */
  index: number;
}

/** One constant's declaration from the weights manifest (or the Const node's own tensor attr). */
export interface ConstInfo {
  dtype: string;
  shape: number[];
}

export interface ParsedGraph {
  nodes: Map<string, GraphNode>;
  /** Every node, inputs before the nodes that read them; file order where the file is already ordered. */
  order: GraphNode[];
  consts: Map<string, ConstInfo>;
  /** The graph's input placeholders, in file order (tfjs-converter's input order). */
  placeholders: GraphNode[];
}

interface RawAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  list?: { i?: Array<string | number>; s?: string[]; f?: number[] };
  shape?: { dim?: Array<{ size?: string | number }> };
  type?: string;
  tensor?: { dtype?: string; tensorShape?: { dim?: Array<{ size?: string | number }> } };
}

interface RawNode {
  name?: unknown;
  op?: unknown;
  input?: unknown;
  attr?: unknown;
}

/** `x:1` names output 1 of node x; every op the analysis knows reads output 0, so the node is what matters. */
export function nodeOf(ref: string): string {
  const bare = ref.startsWith('^') ? ref.slice(1) : ref;
  const colon = bare.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(bare.slice(colon + 1)) ? bare.slice(0, colon) : bare;
}

export function parseGraph(modelJson: string): ParsedGraph {
  let parsed: unknown;
  try {
    parsed = JSON.parse(modelJson);
  } catch (e) {
    throw new GraphModelError(`model.json is not valid JSON (${(e as Error).message})`);
  }
  const top = parsed as { modelTopology?: { node?: unknown }; weightsManifest?: unknown };
  const raw = top?.modelTopology?.node;
  if (!Array.isArray(raw)) throw new GraphModelError('model.json has no modelTopology.node: not a tfjs graph model');
  const nodes = new Map<string, GraphNode>();
  (raw as RawNode[]).forEach((n, index) => {
    if (typeof n?.name !== 'string' || typeof n.op !== 'string') {
      throw new GraphModelError(`model.json node ${index} has no name or op`);
    }
    const inputs = Array.isArray(n.input)
      ? (n.input as unknown[]).filter((s): s is string => typeof s === 'string' && !s.startsWith('^')).map(nodeOf)
      : [];
    const attr = n.attr && typeof n.attr === 'object' ? (n.attr as Record<string, RawAttr>) : {};
    nodes.set(n.name, { name: n.name, op: n.op, inputs, attr, index });
  });
  const consts = readConstInfo(top.weightsManifest, nodes);
  const order = topologicalOrder(nodes);
  const placeholders = [...nodes.values()].filter((n) => n.op === 'Placeholder' || n.op === 'PlaceholderWithDefault');
  return { nodes, order, consts, placeholders };
}

/** dtype and shape of every Const: the manifest first (tfjs-converter externalises all of them), else the node's tensor attr. */
function readConstInfo(manifest: unknown, nodes: Map<string, GraphNode>): Map<string, ConstInfo> {
  const out = new Map<string, ConstInfo>();
  if (Array.isArray(manifest)) {
    for (const group of manifest as Array<{ weights?: unknown }>) {
      if (!Array.isArray(group?.weights)) continue;
      for (const w of group.weights as Array<{ name?: unknown; shape?: unknown; dtype?: unknown }>) {
        if (typeof w?.name !== 'string' || !Array.isArray(w.shape)) continue;
        out.set(w.name, { dtype: String(w.dtype ?? 'float32'), shape: (w.shape as unknown[]).map(Number) });
      }
    }
  }
  for (const n of nodes.values()) {
    if (n.op !== 'Const' || out.has(n.name)) continue;
    const t = n.attr.value?.tensor;
    const dims = t?.tensorShape?.dim ?? [];
    const dtype = t?.dtype ?? n.attr.dtype?.type ?? 'DT_FLOAT';
    out.set(n.name, { dtype: tfDtype(dtype), shape: dims.map((d) => Number(d.size ?? 0)) });
  }
  return out;
}

/** 'DT_FLOAT' -> 'float32', the manifest's spelling. */
function tfDtype(dt: string): string {
  const map: Record<string, string> = { DT_FLOAT: 'float32', DT_INT32: 'int32', DT_BOOL: 'bool', DT_STRING: 'string' };
  return map[dt] ?? dt.toLowerCase();
}

/**
 * Depth-first post-order over the nodes in file order: a node comes after all its inputs, and a file that is
 * already topological (tfjs-converter writes them so) keeps its order. Iterative, so a deep graph cannot
 * overflow the stack. An input naming no node is left out (the shape pass reports it).
 */
function topologicalOrder(nodes: Map<string, GraphNode>): GraphNode[] {
  const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: placed
  const order: GraphNode[] = [];
  for (const root of nodes.values()) {
    if (state.has(root.name)) continue;
    const stack: Array<{ node: GraphNode; next: number }> = [{ node: root, next: 0 }];
    state.set(root.name, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.node.inputs.length) {
        const child = nodes.get(top.node.inputs[top.next++]);
        if (!child) continue;
        const s = state.get(child.name);
        if (s === 1) throw new GraphModelError(`model.json has a cycle through node '${child.name}'`);
        if (s === 2) continue;
        state.set(child.name, 1);
        stack.push({ node: child, next: 0 });
      } else {
        state.set(top.node.name, 2);
        order.push(top.node);
        stack.pop();
      }
    }
  }
  return order;
}

/** The names of every node the given nodes depend on through data inputs, themselves included. */
export function upstreamOf(graph: ParsedGraph, outputs: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const todo = outputs.filter((o) => graph.nodes.has(o));
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const i of graph.nodes.get(name)!.inputs) if (graph.nodes.has(i) && !seen.has(i)) todo.push(i);
  }
  return seen;
}

// ---- attribute readers (tfjs stores strings base64-encoded and integers as decimal strings) ----

export function attrString(node: GraphNode, key: string): string | undefined {
  const s = node.attr[key]?.s;
  return s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');
}

export function attrInts(node: GraphNode, key: string): number[] | undefined {
  const list = node.attr[key]?.list?.i;
  return list === undefined ? undefined : list.map(Number);
}

export function attrStrings(node: GraphNode, key: string): string[] {
  return (node.attr[key]?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
}

export function attrBool(node: GraphNode, key: string): boolean {
  return node.attr[key]?.b === true;
}

export function attrFloat(node: GraphNode, key: string): number | undefined {
  return node.attr[key]?.f;
}
