// A fine-tuned backbone runs on every batch (no feature cache), so its experiment is fed images like a
// network trained from scratch: the image feed reads the network's input shape and pixel scaling from
// the IR, and for a backbone those are not the head's (a feature vector) but the pixels the backbone
// layer takes: the data (or crop) size, raw 0..255 (the layer applies the backbone's own preprocessing).

import type { ExperimentIR } from '../../compiler/ir.ts';
import { networkInput } from '../../compiler/validate.ts';

/** The backbone layer's name in every fine-tuned model (the trainer finds the backbone's weights by it). */
export const BACKBONE_LAYER = 'backbone';

export function isFinetuned(ir: ExperimentIR): boolean {
  return ir.backbone !== null && !ir.backbone.frozen;
}

/** The IR the image feed should see: unchanged unless the backbone is fine-tuned. */
export function imageFeedIR(ir: ExperimentIR): ExperimentIR {
  if (!isFinetuned(ir)) return ir;
  return {
    ...ir,
    data: { ...ir.data, preprocess: 'none' },
    shapes: { ...ir.shapes, input: networkInput(ir.data, ir.augment) },
  };
}
