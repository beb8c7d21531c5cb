// Rules over training settings.

import { settingLocation } from '../locate.ts';
import type { Rule, RuleFinding } from '../types.ts';

/** Learning rates the optimizers are used with in practice; outside them training stalls or diverges. */
export const LR_RANGES = { adam: [1e-5, 1e-2], adamw: [1e-5, 1e-2], sgd: [1e-4, 1] } as const;

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
