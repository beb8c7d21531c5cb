// "Does the network end in softmax?" decided once. Training (the loss), evaluation and predict read
// the answer to know whether the outputs are probabilities or raw scores; lint reads it too. The
// compiler refuses any layer after the final softmax (E036), so in a valid IR the answer is simply
// whether the last layer is a softmax.

import type { LayerIR } from './ir.ts';

/** A softmax layer, or an fc/conv whose activation is softmax. */
export function isSoftmax(layer: LayerIR): boolean {
  return (
    (layer.kind === 'activation' && layer.fn === 'softmax') ||
    ((layer.kind === 'fc' || layer.kind === 'conv') && layer.activation === 'softmax')
  );
}

/** Index of the last softmax in the stack, or -1. */
export function finalSoftmax(layers: readonly LayerIR[]): number {
  for (let i = layers.length - 1; i >= 0; i--) if (isSoftmax(layers[i])) return i;
  return -1;
}

/** Whether the network's outputs are class probabilities (it ends in softmax) rather than scores. */
export function endsInSoftmax(layers: readonly LayerIR[]): boolean {
  return layers.length > 0 && finalSoftmax(layers) === layers.length - 1;
}
