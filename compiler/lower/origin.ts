// The AST call each IR layer was lowered from. The IR stays plain JSON (its `src` is a line and column
// for people); tools that point into or edit the source (lint's locations and fixes) need the node
// itself, with its offsets and the pipeline around it. A WeakMap keyed by the layer object carries it
// beside the IR without entering it, and without finding calls again by line and column.

import type { Call, Pipeline } from '../../grammar/ast.ts';
import type { LayerIR } from '../ir.ts';

export interface LayerOrigin {
  call: Call;
  /** The `a | b | c` line the call is in. */
  pipeline: Pipeline;
  file: string;
}

const origins = new WeakMap<LayerIR, LayerOrigin>();

export function recordOrigin(layer: LayerIR, origin: LayerOrigin): void {
  origins.set(layer, origin);
}

/** Where a layer of a compiled IR was written; undefined for an IR read back from JSON. */
export function originOf(layer: LayerIR): LayerOrigin | undefined {
  return origins.get(layer);
}
