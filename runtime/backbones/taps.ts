// Taps: named feature vectors read out of a graph model. A tap is a graph node, maybe pooled
// ('globalavg') or L2-normalised ('l2norm' of another tap). Any raw node name is a tap too, so users
// can read any layer of any graph backbone without model surgery (`model.execute(x, nodes)` returns
// internal nodes).

import * as tf from '@tensorflow/tfjs-core';
import type { BackboneSpec, TapSpec } from '../../compiler/backbones.ts';
import { expandTaps } from './resolve.ts';

/** How a tap's node value becomes [n, width]. 'auto' (raw node names): pool 4-D maps, flatten the rest. */
export type TapOp = TapSpec['op'] | 'auto';

export interface TapPlan {
  /** The name the spec used: a registry tap or a raw node name. */
  name: string;
  node: string;
  op: TapOp;
  /** For l2norm: the tap it normalises. */
  of?: string;
  /** Registry width, or null for raw nodes until probed. */
  width: number | null;
}

/** Resolves tap names ('concat' expands to the registry's concat list) into plans, in order. */
export function planTaps(spec: BackboneSpec | undefined, names: string[]): TapPlan[] {
  return expandTaps(spec, names).map((name) => planTap(spec, name));
}

function planTap(spec: BackboneSpec | undefined, name: string): TapPlan {
  const t = spec?.taps[name];
  if (!t) return { name, node: name, op: 'auto', width: null };
  if (t.op === 'l2norm' && (!t.of || !spec?.taps[t.of])) {
    // internal: the registry (compiler/backbones.ts) is emoc's own table, not user input.
    throw new Error(`registry tap '${name}' of '${spec?.name}' normalises unknown tap '${t.of}'`);
  }
  return { name, node: t.node, op: t.op, of: t.of, width: t.width };
}

/** Graph nodes to execute for these plans (l2norm reads its base tap's node), without repeats. */
export function nodesFor(spec: BackboneSpec | undefined, plans: TapPlan[]): string[] {
  const nodes = new Set<string>();
  const visit = (p: TapPlan): void => {
    if (p.op === 'l2norm') visit(planTap(spec, p.of!));
    else nodes.add(p.node);
  };
  plans.forEach(visit);
  return [...nodes];
}

/**
 * The [n, width] value of each plan, from the executed node values. Call inside tf.tidy.
 * The l2 norm gets a tiny epsilon so an all-zero feature (a blank image after ReLU) stays finite.
 */
export function tapValues(spec: BackboneSpec | undefined, plans: TapPlan[], nodeValues: Map<string, tf.Tensor>): tf.Tensor2D[] {
  const value = (p: TapPlan): tf.Tensor2D => {
    if (p.op === 'l2norm') {
      const base = value(planTap(spec, p.of!));
      const norm = tf.sqrt(tf.add(tf.sum(tf.square(base), 1, true), 1e-12));
      return tf.div(base, norm) as tf.Tensor2D;
    }
    const v = nodeValues.get(p.node);
    // internal: `nodeValues` holds every node nodesFor() asked the graph to execute.
    if (!v) throw new Error(`graph node '${p.node}' produced no value`);
    const n = v.shape[0];
    const pool = p.op === 'globalavg' || (p.op === 'auto' && v.rank === 4);
    if (pool) {
      // internal: only registry taps say globalavg (a user's raw node is 'auto'), so a wrong rank is a registry bug.
      if (v.rank !== 4) throw new Error(`tap '${p.name}': globalavg needs a 4-D node, '${p.node}' is ${v.rank}-D`);
      return tf.mean(v, [1, 2]) as tf.Tensor2D;
    }
    return tf.reshape(v, [n, -1]) as tf.Tensor2D;
  };
  return plans.map(value);
}
