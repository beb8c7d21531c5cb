// The augment section -> AugmentIR: training views in the order written, and the test-time views.

import type { Section } from '../../grammar/ast.ts';
import type { Value } from '../../grammar/ast.ts';
import type { CallReader } from '../args.ts';
import type { AugmentIR, RandomAug, TestAug, TrainAug } from '../ir.ts';
import { AUGMENT_STRENGTHS, CROP_KINDS, ERASE_SIZE, isOneOf, RANDOM_AUGMENTS } from '../vocabulary.ts';
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
    } else if (isOneOf(RANDOM_AUGMENTS, name)) {
      const aug = readRandomAug(ctx, name, r);
      if (aug) train.push(aug);
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

/**
 * `rotate 10` or `rotate degrees=10` (and so on for each random augmentation): the strength is the one
 * number, positional or under its key; `erase P` also takes `size=F`. Out of range is E060.
 */
function readRandomAug(ctx: LowerContext, name: RandomAug['kind'], r: CallReader): RandomAug | undefined {
  const rule = AUGMENT_STRENGTHS[name];
  const v = r.key(rule.key) ?? r.take((x) => x.kind === 'number');
  const size = name === 'erase' ? r.key(ERASE_SIZE.key) : undefined;
  r.finish(`for example: ${rule.example}`);
  if (!v) {
    ctx.report(
      'E012',
      r.call.span,
      `'${name}' needs a strength: ${rule.what}`,
      `for example: ${rule.example} (or ${name} ${rule.key}=...)`,
    );
    return undefined;
  }
  const strength = inRange(ctx, name, rule.key, v, rule.min, rule.max, false, rule.example);
  if (strength === undefined) return undefined;
  if (name !== 'erase') return { kind: name, [rule.key]: strength } as RandomAug;
  let area: number | undefined = ERASE_SIZE.default;
  if (size) area = inRange(ctx, name, ERASE_SIZE.key, size, ERASE_SIZE.above, ERASE_SIZE.max, true, 'erase 0.5 size=0.2');
  return area === undefined ? undefined : { kind: 'erase', p: strength, size: area };
}

/** A number in [min, max] (or (min, max] when `openMin`); otherwise E013 (not a number) or E060 (out of range). */
function inRange(
  ctx: LowerContext,
  name: string,
  key: string,
  v: Value,
  min: number,
  max: number,
  openMin: boolean,
  example: string,
): number | undefined {
  if (v.kind !== 'number') {
    ctx.report(
      'E013',
      v.span,
      `${name} ${key} must be a number, not ${v.kind === 'word' ? `'${v.name}'` : v.kind}`,
      `for example: ${example}`,
    );
    return undefined;
  }
  const n = v.value;
  const ok = Number.isFinite(n) && (openMin ? n > min : n >= min) && n <= max;
  if (!ok) {
    const range = openMin ? `greater than ${min} and at most ${max}` : `between ${min} and ${max}`;
    ctx.report('E060', v.span, `${name} ${key} must be ${range}, not ${v.raw}`, `for example: ${example}`);
    return undefined;
  }
  return n;
}
