// Rules over training settings.

import { settingLocation } from '../locate.ts';
import type { Rule, RuleFinding } from '../types.ts';

/** Learning rates the optimizers are used with in practice; outside them training stalls or diverges. */
const LR_RANGES = { adam: [1e-5, 1e-2], adamw: [1e-5, 1e-2], sgd: [1e-4, 1] } as const;

export const learningRateRange: Rule = {
  id: 'learning-rate-range',
  severity: 'warning',
  doc: `learning rate outside ${LR_RANGES.adam.join('..')} for adam or ${LR_RANGES.sgd.join('..')} for sgd: training stalls or diverges`,
  check: (ctx) =>
    ctx.experiments.flatMap((ir): RuleFinding[] => {
      const { kind, lr } = ir.train.optimizer;
      const [lo, hi] = LR_RANGES[kind];
      if (lr >= lo && lr <= hi) return [];
      return [
        {
          at: settingLocation(ir, ctx, 'train', ['lr', 'optimizer']),
          message: `learning rate ${lr} is ${lr < lo ? 'below' : 'above'} the usual range for ${kind} (${lo}..${hi})`,
          hint: kind !== 'sgd' ? 'try lr=1e-3' : 'try lr=0.01',
        },
      ];
    }),
};

/**
 * Decoupled weight decay is multiplied by the learning rate: AdamW's usual values (0.01-0.1, PyTorch's
 * default 0.01) are some 100x SGD's (1e-4..5e-3). An SGD value carried over to adamw barely decays,
 * and an adamw value on sgd shrinks the kernels by lr*wd per step, far faster than any SGD recipe.
 */
const WEIGHT_DECAY_RANGES = { adamw: [1e-3, 0.3], sgd: [1e-5, 1e-2] } as const;

export const weightDecayRange: Rule = {
  id: 'weight-decay-range',
  severity: 'warning',
  doc: `weight-decay outside ${WEIGHT_DECAY_RANGES.adamw.join('..')} for adamw or ${WEIGHT_DECAY_RANGES.sgd.join('..')} for sgd: decoupled decay scales with lr, so the two optimizers' usual values differ ~100x`,
  check: (ctx) =>
    ctx.experiments.flatMap((ir): RuleFinding[] => {
      const o = ir.train.optimizer;
      if (o.kind === 'adam' || !o.weightDecay) return [];
      const [lo, hi] = WEIGHT_DECAY_RANGES[o.kind];
      if (o.weightDecay >= lo && o.weightDecay <= hi) return [];
      const why = o.weightDecay < lo ? 'barely decays the weights' : 'shrinks the weights faster than training can use them';
      return [
        {
          at: settingLocation(ir, ctx, 'train', ['optimizer']),
          message: `weight-decay ${o.weightDecay} ${why} with ${o.kind} (usual: ${lo}..${hi}; the decay is multiplied by lr)`,
          hint: o.kind === 'adamw' ? 'try weight-decay=0.05' : 'try weight-decay=5e-4',
        },
      ];
    }),
};
