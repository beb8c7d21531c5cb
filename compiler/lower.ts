// Effective sections (after reuse and sweep expansion) -> IR parts, one lowerer per section under
// lower/. Every default becomes explicit (defaults.ts); the words each section accepts come from
// vocabulary.ts.

import type { Section } from '../grammar/ast.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { AugmentIR, BackboneIR, DataIR, LayerIR, TrainIR } from './ir.ts';
import { lowerAugment } from './lower/augment.ts';
import { lowerBackbone } from './lower/backbone.ts';
import { LowerContext } from './lower/context.ts';
import { lowerData } from './lower/data.ts';
import { lowerLayers } from './lower/layers.ts';
import { lowerTrain } from './lower/train.ts';

export { DEFAULTS } from './defaults.ts';
export { ACTIVATIONS, LAYER_NAMES, MODEL_DIRECTIVES, SETTINGS } from './vocabulary.ts';

/** Lowers the sections of one experiment (or sweep point), adding every problem to `diagnostics`. */
export class Lowerer {
  private readonly ctx: LowerContext;

  constructor(file: string, diagnostics: Diagnostic[]) {
    this.ctx = new LowerContext(file, diagnostics);
  }

  data(section: Section | undefined): DataIR {
    return lowerData(this.ctx, section);
  }

  augment(section: Section | undefined): AugmentIR {
    return lowerAugment(this.ctx, section);
  }

  backbone(section: Section | undefined): BackboneIR | null {
    return lowerBackbone(this.ctx, section);
  }

  train(section: Section | undefined): TrainIR {
    return lowerTrain(this.ctx, section);
  }

  /** A model or head block. */
  layers(section: Section): LayerIR[] {
    return lowerLayers(this.ctx, section);
  }
}
