// The backbone section -> BackboneIR: a registry backbone (its input, preprocessing and taps known) or a
// user-converted graph model (`weights "path"`, input and taps given by the spec).

import type { Section, Value } from '../../grammar/ast.ts';
import { describeValue, type CallReader } from '../args.ts';
import { BACKBONES, type BackboneSpec } from '../backbones.ts';
import { FINETUNE, GRAPH_BACKBONE_INPUT } from '../defaults.ts';
import type { BackboneIR } from '../ir.ts';
import { GRAPH_PREPROCESS } from '../vocabulary.ts';
import type { LowerContext } from './context.ts';
import { readSize3 } from './sizes.ts';

const KNOWN = Object.keys(BACKBONES).join(', ');

export function lowerBackbone(ctx: LowerContext, section: Section | undefined): BackboneIR | null {
  if (!section) return null;
  const header = section.header[0];
  const name = header?.kind === 'word' ? header.name : undefined;
  if (!name) {
    ctx.report('E012', section.keywordSpan, 'backbone needs a name', `for example: backbone faceres { tap avgpool } (known: ${KNOWN})`);
    return null;
  }
  const s = ctx.settings(section);
  const weightsArg = s.get('weights');
  const weights = weightsArg ? readWeights(ctx, weightsArg) : null;
  const spec: BackboneSpec | undefined = BACKBONES[name];
  if (!spec && weights === null) {
    const fallback = `known backbones: ${KNOWN}; or give weights "path/model.json" for your own graph model`;
    ctx.reportUnknown('E020', header!.span, `unknown backbone '${name}'`, name, Object.keys(BACKBONES), fallback);
    return null;
  }
  const inp = s.get('input');
  if (!inp && !spec) {
    ctx.report('E012', section.keywordSpan, `backbone '${name}' is your own model: give its input size`, 'for example: input 160x160x3');
  }
  const input = (inp && readSize3(ctx, inp)) || spec?.input || GRAPH_BACKBONE_INPUT;

  const tapHint = spec ? `taps of ${name}: ${Object.keys(spec.taps).join(', ')}, concat` : 'for example: tap "node/name"';
  const tap = s.get('tap');
  if (!tap) ctx.report('E012', section.keywordSpan, 'backbone needs a tap', tapHint);
  const { taps, width } = tap ? readTaps(ctx, tap, name, spec, tapHint) : { taps: [], width: 0 };

  let frozen = true;
  let finetune = 0;
  let lrScale: number = FINETUNE.lrScale;
  let frozenEpochs: number = FINETUNE.after;
  s.get('frozen')?.finish();
  const ft = s.get('finetune');
  if (ft) {
    const what = 'the number of blocks to fine-tune';
    finetune = ft.number('blocks', { positional: true, required: true, integer: true, min: 1, what, example: 'finetune 2' }) ?? 1;
    lrScale =
      ft.number('lr', { above: 0, max: 100, what: "the backbone's learning-rate multiplier", example: 'finetune 2 lr=0.1' }) ?? lrScale;
    const after = { integer: true, min: 0, what: 'the epochs the head trains alone first', example: 'finetune 2 after=1' };
    frozenEpochs = ft.number('after', after) ?? frozenEpochs;
    ft.finish();
    frozen = false;
    if (s.get('frozen')) ctx.report('E027', ft.call.nameSpan, "'frozen' and 'finetune' contradict each other", 'keep one');
  }
  let preprocess = spec?.preprocess[0] ?? 'fixed';
  const pre = s.get('preprocess');
  if (pre) {
    const choices: readonly string[] = spec?.preprocess ?? GRAPH_PREPROCESS;
    const p = pre.take((v) => v.kind === 'word');
    pre.finish();
    const word = p?.kind === 'word' ? p.name : '';
    if (choices.includes(word)) preprocess = word;
    else {
      const message = `backbone '${name}' takes preprocess ${choices.join(' or ')}`;
      ctx.reportUnknown('E013', p?.span ?? pre.call.span, message, word, choices);
    }
  }
  const src = ctx.src(section.keywordSpan);
  return { name, weights, taps, width: taps.length ? width : null, input, preprocess, frozen, finetune, lrScale, frozenEpochs, src };
}

function readWeights(ctx: LowerContext, r: CallReader): string | null {
  const w = r.take((v) => v.kind === 'string');
  r.finish();
  if (w?.kind === 'string') return w.value;
  ctx.report('E012', r.call.span, 'weights needs a quoted path to a model.json', 'for example: weights "models/facenet/model.json"');
  return null;
}

/**
 * `tap NAME`, `tap [a, b]`, `tap concat` or quoted graph node names. The width is the sum of the named
 * taps' widths; null once a graph node (width known only by running the model) is among them.
 */
function readTaps(ctx: LowerContext, r: CallReader, name: string, spec: BackboneSpec | undefined, hint: string) {
  const v = r.take(() => true);
  r.finish();
  const items: Value[] = v?.kind === 'list' ? v.items : v ? [v] : [];
  const taps: string[] = [];
  let width: number | null = 0;
  const add = (tap: string) => {
    taps.push(tap);
    if (width !== null) width += spec!.taps[tap].width;
  };
  for (const item of items) {
    if (item.kind === 'string') {
      taps.push(item.value);
      width = null;
    } else if (item.kind === 'word' && spec && item.name === 'concat') spec.concat.forEach(add);
    else if (item.kind === 'word' && spec?.taps[item.name]) add(item.name);
    else if (item.kind === 'word') {
      const known = spec ? [...Object.keys(spec.taps), 'concat'] : [];
      const fallback = spec ? `taps of ${name}: ${known.join(', ')}; or a graph node name in quotes` : 'give a graph node name in quotes';
      ctx.reportUnknown('E021', item.span, `unknown tap '${item.name}' for backbone '${name}'`, item.name, known, fallback);
    } else ctx.report('E013', item.span, `a tap is a name or a quoted node name, not ${describeValue(item)}`);
  }
  if (items.length === 0) ctx.report('E012', v?.span ?? r.call.span, 'tap needs at least one tap', hint);
  return { taps, width };
}
