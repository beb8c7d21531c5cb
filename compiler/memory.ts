// How much memory one training batch's activations need, from the inferred shapes alone: `check` warns
// (W002) and `explain` prints it, so a 100000x100000 input is caught before the run dies allocating.
// An estimate, not a measurement: float32 activations, each kept once for the forward pass and once as
// its gradient (the input needs no gradient); weights, optimizer state and the backend's scratch space
// are left out, so the real peak is higher.

import type { ExperimentIR, LayerShape } from './ir.ts';
import { UNKNOWN } from './shapes.ts';

const BYTES_PER_FLOAT = 4;

const elements = (shape: readonly number[]): number =>
  shape.length === 0 || shape.includes(UNKNOWN) ? 0 : shape.reduce((a, b) => a * b, 1);

/** Elements of every layer's output, a residual's body and projection included. */
function totalOutputs(layers: readonly LayerShape[]): number {
  return layers.reduce(
    (sum, l) => sum + elements(l.output) + totalOutputs(l.inner ?? []) + (l.shortcut ? elements(l.shortcut.output) : 0),
    0,
  );
}

/** Bytes of forward activations and gradients for one batch of `ir.train.batchSize` images. */
export function batchActivationBytes(ir: ExperimentIR): number {
  // With a backbone the network's input is a feature vector, but the images still go through at the data size.
  const input = elements(ir.backbone ? ir.data.input : ir.shapes.input);
  const outputs = totalOutputs(ir.shapes.layers);
  return BYTES_PER_FLOAT * ir.train.batchSize * (input + 2 * outputs);
}

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 262180352 -> '250 MiB', 3.84e12 -> '3.5 TiB': one decimal below 10, whole numbers above. */
export function formatBytes(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const n = v < 10 ? Math.round(v * 10) / 10 : Math.round(v);
  return `${n.toLocaleString('en-US')} ${UNITS[u]}`;
}
