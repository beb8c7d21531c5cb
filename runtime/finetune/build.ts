// The model of an experiment whose backbone is fine-tuned: its pretrained part prepared (prepare.ts),
// then images -> GraphBackbone layer -> head.

import type * as tfl from '@tensorflow/tfjs-layers';
import type { ExperimentIR } from '../../compiler/ir.ts';
import { buildModelOnBackbone } from '../model.ts';
import { GraphBackbone } from './graph-backbone-layer.ts';
import { BACKBONE_LAYER, imageFeedIR } from './image-ir.ts';
import { prepareForIR } from './prepare.ts';

export async function buildFinetuneModel(ir: ExperimentIR): Promise<tfl.LayersModel> {
  const prepared = await prepareForIR(ir.backbone!, ir.file);
  const layer = new GraphBackbone({ ref: prepared.ref, name: BACKBONE_LAYER });
  return buildModelOnBackbone(ir, imageFeedIR(ir).shapes.input, layer);
}
