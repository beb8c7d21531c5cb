// Speed rewrites of a graph before it runs trainably; each leaves every value the graph computes
// unchanged except the intermediate nodes it removes.
//
// relu6 chains: Keras' ReLU(max_value=6) converts to Relu -> Minimum(6) -> Maximum(0) (faceres has 27).
// Computed as written, a training step pays three forward and about a dozen backward element-wise
// passes per layer (Minimum and Maximum take gradients for both operands, the scalar one summed
// away); in a faceres step at 96x96 on wasm that was ~30% of all kernel time. max(min(x, 6), 0) is
// relu6(x) for every x, and relu6(relu(x)) = relu6(x), so the chain becomes one Relu6 node.

import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from './ops.ts';

export interface Rewritten {
  /** The graph with each rewritten chain's last node replaced (same name, new op and inputs). */
  nodes: Map<string, GraphNode>;
  /** Nodes no longer computed; a plan that must produce one of them runs the original graph. */
  removed: Set<string>;
}

export function fuseRelu6(nodes: Map<string, GraphNode>, consts: Map<string, tf.Tensor>): Rewritten {
  const consumers = new Map<string, number>();
  for (const n of nodes.values()) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const scalar = (name: string, value: number): boolean => {
    const t = consts.get(name);
    return !!t && t.dtype === 'float32' && t.size === 1 && t.dataSync()[0] === value;
  };
  /** The non-constant operand of a binary node whose other operand is the scalar `value`, if so. */
  const against = (node: GraphNode, value: number): string | null => {
    if (node.inputs.length !== 2) return null;
    const [a, b] = node.inputs as [string, string];
    if (scalar(b, value)) return a;
    if (scalar(a, value)) return b;
    return null;
  };
  const out = new Map(nodes);
  const removed = new Set<string>();
  for (const max of nodes.values()) {
    if (max.op !== 'Maximum') continue;
    const minName = against(max, 0);
    const min = minName ? nodes.get(minName) : undefined;
    if (!min || min.op !== 'Minimum' || consumers.get(min.name) !== 1) continue;
    let x = against(min, 6);
    if (!x) continue;
    const dropped = [min.name];
    const relu = nodes.get(x);
    if (relu?.op === 'Relu' && consumers.get(relu.name) === 1) {
      dropped.push(relu.name);
      x = relu.inputs[0]!;
    }
    out.set(max.name, { name: max.name, op: 'Relu6', inputs: [x], attr: {} });
    dropped.forEach((d) => removed.add(d));
  }
  return { nodes: out, removed };
}
