// The input size a user-converted tfjs graph model fixes, read from its model.json without TensorFlow:
// the runtime feeds a graph the size its input placeholder states and uses the spec's `input` only when
// the placeholder leaves the size open (runtime/backbones/load.ts), so the compiler compares the two.

/** [h, w, c] of the graph's first input placeholder when every one is fixed; null when open or unreadable. */
export function graphInputShape(modelJson: string): [number, number, number] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(modelJson);
  } catch {
    return null; // not this check's business: loading the model reports a broken file
  }
  const nodes = (parsed as { modelTopology?: { node?: unknown } })?.modelTopology?.node;
  if (!Array.isArray(nodes)) return null;
  // tfjs-converter takes the placeholders, in graph order, as the model's inputs.
  const input = nodes.find((n) => typeof n?.op === 'string' && n.op.startsWith('Placeholder'));
  const dims: unknown = input?.attr?.shape?.shape?.dim;
  if (!Array.isArray(dims) || dims.length !== 4) return null;
  const sizes = dims.slice(1).map((d) => Number(d?.size));
  if (sizes.some((s) => !Number.isInteger(s) || s < 1)) return null;
  return [sizes[0], sizes[1], sizes[2]];
}
