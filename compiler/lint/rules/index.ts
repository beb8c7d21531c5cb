// Every lint rule, in the order `emoc lint --rules` lists them.

import type { Rule } from '../types.ts';
import { repeatOnce, residualEndsInActivation, unusedBlock, unusedBlockParameter } from './blocks.ts';
import { classCountMismatch, duplicateName, featureMapCollapse, unknownTap } from './compiler-mapped.ts';
import { augmentNoEffect, cropNotSmaller, rotationTooLarge, testCropWithoutTrainingCrop } from './data.ts';
import { sweepSingleValue, unusedImport } from './spec.ts';
import {
  activationBeforeSoftmax,
  bnAfterLastFc,
  dropoutRange,
  largeDenseAfterFlatten,
  softmaxDoubled,
  softmaxMissing,
  strideExceedsKernel,
} from './stack.ts';
import { learningRateRange, weightDecayRange } from './train.ts';

export { COMPILER_RULE } from './compiler-mapped.ts';

export const RULES: readonly Rule[] = [
  classCountMismatch,
  softmaxMissing,
  softmaxDoubled,
  activationBeforeSoftmax,
  strideExceedsKernel,
  featureMapCollapse,
  largeDenseAfterFlatten,
  bnAfterLastFc,
  dropoutRange,
  cropNotSmaller,
  testCropWithoutTrainingCrop,
  augmentNoEffect,
  rotationTooLarge,
  learningRateRange,
  weightDecayRange,
  unknownTap,
  sweepSingleValue,
  unusedImport,
  duplicateName,
  unusedBlock,
  unusedBlockParameter,
  repeatOnce,
  residualEndsInActivation,
];
