// Rules over data and augmentation settings.

import type { ExperimentIR, RandomAug } from '../../ir.ts';
import { AUGMENT_STRENGTHS, isOneOf, RANDOM_AUGMENTS } from '../../vocabulary.ts';
import { settingLocation } from '../locate.ts';
import type { Rule, RuleFinding } from '../types.ts';

export const cropNotSmaller: Rule = {
  id: 'crop-not-smaller',
  severity: 'error',
  doc: 'a 10-crop or random crop not smaller than the input: the crops are all the whole image (or do not fit)',
  fromCompiler: (d) => d.code === 'E033',
  check: (ctx) =>
    ctx.experiments.flatMap((ir: ExperimentIR): RuleFinding[] => {
      const [h, w] = ir.data.input;
      const crops = [
        ...ir.augment.train.flatMap((a) => ('size' in a && Array.isArray(a.size) ? [{ setting: a.kind, size: a.size }] : [])),
        ...(ir.augment.test.kind === 'tencrop' ? [{ setting: 'test', size: ir.augment.test.size }] : []),
      ];
      // Larger crops are the compiler's E033, reported under this rule; equal ones only lint sees.
      return crops
        .filter((c) => c.size[0] === h && c.size[1] === w)
        .map((c) => ({
          at: settingLocation(ir, ctx, 'augment', [c.setting]),
          message: `the ${c.size.join('x')} ${c.setting === 'randomcrop' ? 'random crop' : '10-crop'} is the whole ${h}x${w} input`,
          hint: `crop smaller than the input, for example ${Math.round(h * 0.9)}`,
        }));
    }),
};

export const testCropWithoutTrainingCrop: Rule = {
  id: 'test-crop-without-training-crop',
  severity: 'warning',
  doc: 'test-time 10-crop with no training crop: the network is tested on crops it never trained on',
  check: (ctx) =>
    ctx.experiments.flatMap((ir): RuleFinding[] => {
      if (ir.augment.test.kind !== 'tencrop' || ir.augment.train.some((a) => a.kind === 'tencrop' || a.kind === 'randomcrop')) return [];
      return [
        {
          at: settingLocation(ir, ctx, 'augment', ['test']),
          message: `${ir.name} averages ${ir.augment.test.size.join('x')} test crops but trains on whole images`,
          hint: `add: tencrop ${ir.augment.test.size[0]} (or randomcrop) to the augment block`,
        },
      ];
    }),
};

/** Beyond this, rotation shows faces at angles no FER photo has (the data sets are of upright, aligned faces). */
const MAX_USEFUL_ROTATION = 30;

const strengthOf = (a: RandomAug): number => (a as unknown as Record<string, number>)[AUGMENT_STRENGTHS[a.kind].key];

export const augmentNoEffect: Rule = {
  id: 'augment-no-effect',
  severity: 'warning',
  doc: 'a random augmentation of strength 0 (rotate 0, erase 0, ...) does nothing',
  check: (ctx) =>
    ctx.experiments.flatMap((ir): RuleFinding[] =>
      // A sweep point of strength 0 is a deliberate baseline: only plain experiments are checked.
      ir.sweep
        ? []
        : ir.augment.train
            .filter((a): a is RandomAug => isOneOf(RANDOM_AUGMENTS, a.kind) && strengthOf(a as RandomAug) === 0)
            .map((a) => ({
              at: settingLocation(ir, ctx, 'augment', [a.kind]),
              message: `${a.kind} ${AUGMENT_STRENGTHS[a.kind].key}=0 leaves every image as it is`,
              hint: `give a strength, for example: ${AUGMENT_STRENGTHS[a.kind].example}, or remove the line`,
            })),
    ),
};

export const rotationTooLarge: Rule = {
  id: 'rotation-too-large',
  severity: 'warning',
  doc: `rotate beyond ${MAX_USEFUL_ROTATION} degrees: the network trains on tilted faces it will never be shown`,
  check: (ctx) =>
    ctx.experiments.flatMap((ir): RuleFinding[] =>
      ir.augment.train
        .filter((a) => a.kind === 'rotate' && a.degrees > MAX_USEFUL_ROTATION)
        .map((a) => ({
          at: settingLocation(ir, ctx, 'augment', ['rotate']),
          message: `rotate ${(a as { degrees: number }).degrees} tilts faces further than the upright, aligned faces of FER data sets`,
          hint: `10 to ${MAX_USEFUL_ROTATION} degrees is the usual range for faces`,
        })),
    ),
};
