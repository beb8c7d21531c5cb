// Before a saved model with a fine-tuned backbone is deserialised, its pretrained part must be ready
// (tfjs-layers builds layers synchronously; see prepare.ts). Registers the GraphBackbone layer class too.

import { decodeRef, GraphBackbone } from './graph-backbone-layer.ts';
import { prepareForRef } from './prepare.ts';

interface SavedLayer {
  class_name?: string;
  config?: { ref?: unknown };
}

/** Prepares every GraphBackbone layer a saved model.json topology holds; `where` names the model folder. */
export async function prepareSavedBackbones(topology: unknown, where: string): Promise<void> {
  // tfjs saves a model's topology as { class_name, config: { layers } }.
  const layers = (topology as { config?: { layers?: SavedLayer[] } } | undefined)?.config?.layers ?? [];
  for (const l of layers) {
    if (l.class_name === GraphBackbone.className && typeof l.config?.ref === 'string') await prepareForRef(decodeRef(l.config.ref), where);
  }
}
