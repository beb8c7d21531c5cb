// Size arguments several sections share: an image size (data and backbone `input`) and a crop size.

import type { CallReader } from '../args.ts';
import type { LowerContext } from './context.ts';

/** `input HxWxC`: channels 1 (grey) or 3 (colour). */
export function readSize3(ctx: LowerContext, r: CallReader): [number, number, number] | undefined {
  const v = r.take((x) => x.kind === 'size');
  r.finish();
  if (v?.kind !== 'size' || v.dims.length !== 3) {
    ctx.report('E013', v?.span ?? r.call.span, 'input is HEIGHTxWIDTHxCHANNELS', 'for example: input 160x160x3');
    return undefined;
  }
  const [h, w, c] = v.dims;
  if (h < 1 || w < 1) ctx.report('E013', v.span, 'input height and width must be at least 1');
  else if (c !== 1 && c !== 3) ctx.report('E013', v.span, `input channels must be 1 (grey) or 3 (colour), not ${c}`);
  else return [h, w, c];
  return undefined;
}

/** A crop size: `N` (square) or `HxW`. */
export function readCropSize(ctx: LowerContext, r: CallReader): [number, number] | undefined {
  const v = r.take((x) => x.kind === 'number' || x.kind === 'size');
  r.finish();
  if (!v) {
    ctx.report('E012', r.call.span, `'${r.call.name}' needs a crop size`, `for example: ${r.call.name} 144`);
    return undefined;
  }
  const dims = v.kind === 'number' ? [v.value, v.value] : v.kind === 'size' ? v.dims : [];
  if (dims.length !== 2 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    ctx.report('E013', v.span, 'a crop size is N or HEIGHTxWIDTH with whole numbers of at least 1');
    return undefined;
  }
  return [dims[0], dims[1]];
}
