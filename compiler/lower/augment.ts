// The augment section -> AugmentIR: training views in the order written, and the test-time views.

import type { Section } from '../../grammar/ast.ts';
import type { AugmentIR, TestAug, TrainAug } from '../ir.ts';
import { CROP_KINDS, isOneOf } from '../vocabulary.ts';
import type { LowerContext } from './context.ts';
import { readCropSize } from './sizes.ts';

export function lowerAugment(ctx: LowerContext, section: Section | undefined): AugmentIR {
  const train: TrainAug[] = [];
  let test: TestAug = { kind: 'none' };
  for (const [name, r] of ctx.settings(section)) {
    if (name === 'flip') {
      r.finish();
      train.push({ kind: 'flip' });
    } else if (isOneOf(CROP_KINDS, name)) {
      const size = readCropSize(ctx, r);
      if (size) train.push({ kind: name, size });
    } else if (name === 'test') {
      if (r.flag('none')) r.finish();
      else if (r.take((v) => v.kind === 'word' && v.name === 'tencrop')) {
        const size = readCropSize(ctx, r);
        if (size) test = { kind: 'tencrop', size };
      } else {
        ctx.report('E013', r.call.span, 'test augmentation is tencrop N or none', 'for example: test tencrop 144');
      }
    }
  }
  if (train.some((a) => a.kind === 'tencrop') && train.some((a) => a.kind === 'randomcrop')) {
    ctx.report('E027', section!.keywordSpan, 'tencrop and randomcrop both crop the training images', 'keep one of them');
  }
  return { train, test };
}
