// The data section -> DataIR: where the images come from, the classes, the decode size, the validation
// split and the per-pixel preprocessing.

import type { Section } from '../../grammar/ast.ts';
import { describeValue, type CallReader } from '../args.ts';
import { DEFAULTS } from '../defaults.ts';
import { EMOTIONS, type DataIR, type PathSource, type TestSplit } from '../ir.ts';
import { didYouMean } from '../suggest.ts';
import { BUILTIN_SOURCES, isOneOf, orList, PATH_SOURCES, PREPROCESS_MODES, TEST_WORDS } from '../vocabulary.ts';
import type { LowerContext } from './context.ts';
import { readSize3 } from './sizes.ts';

type Source = DataIR['source'];

export function lowerData(ctx: LowerContext, section: Section | undefined): DataIR {
  const s = ctx.settings(section);
  let source: Source = { kind: 'builtin', name: 'faces', images: DEFAULTS.builtinImages };
  const src = s.get('source');
  if (src) source = readSource(ctx, src) ?? source;
  const images = s.get('images');
  if (images) source = readImages(ctx, images, source);
  const cls = s.get('classes');
  const classes = cls ? (readClasses(ctx, cls, source) ?? [...EMOTIONS]) : [...EMOTIONS];
  const inp = s.get('input');
  const input = (inp && readSize3(ctx, inp)) || DEFAULTS.input;
  let valSplit = DEFAULTS.valSplit;
  const split = s.get('split');
  if (split) {
    const rule = { positional: true, required: true, above: 0, below: 1, what: 'the validation split', example: 'split 0.2' };
    valSplit = split.number('split', rule) ?? valSplit;
    split.finish();
  }
  let preprocess: DataIR['preprocess'] = DEFAULTS.preprocess;
  const pre = s.get('preprocess');
  if (pre) {
    const choice = pre.take((v) => v.kind === 'word');
    const word = choice?.kind === 'word' ? choice.name : '';
    if (isOneOf(PREPROCESS_MODES, word)) preprocess = word;
    else ctx.reportUnknown('E013', choice?.span ?? pre.call.span, `preprocess is ${orList(PREPROCESS_MODES)}`, word, PREPROCESS_MODES);
    pre.finish();
  }
  const testSetting = s.get('test');
  const test = testSetting ? readTest(ctx, testSetting, source) : source.kind === 'builtin' ? null : 'auto';
  return { source, classes, input, valSplit, preprocess, test };
}

/**
 * `test "path"` (a folder of class folders, or a FER2013 CSV), `test [folder|sfew|fer2013] "path"`,
 * `test auto` or `test none`. Without the setting a path source looks for its own test split ('auto');
 * the built-in faces have none.
 */
function readTest(ctx: LowerContext, r: CallReader, source: Source): TestSplit {
  const kind = r.take((v) => v.kind === 'word' && (isOneOf(PATH_SOURCES, v.name) || isOneOf(TEST_WORDS, v.name)));
  const where = r.take((v) => v.kind === 'string');
  const example = 'for example: test "data/test", test fer2013 "test.csv", test auto or test none';
  r.finish(`test takes: "path" | [folder|sfew|fer2013] "path" | ${orList(TEST_WORDS)}`);
  const word = kind?.kind === 'word' ? kind.name : undefined;
  if (where?.kind === 'string') {
    if (word !== undefined && !isOneOf(PATH_SOURCES, word)) {
      ctx.report('E065', kind!.span, `'test ${word}' takes no path`, example);
      return null;
    }
    const guess: PathSource = where.value.toLowerCase().endsWith('.csv') ? 'fer2013' : 'folder';
    return { kind: word !== undefined && isOneOf(PATH_SOURCES, word) ? word : guess, path: where.value };
  }
  if (word === 'none') return null;
  if (word === 'auto') {
    if (source.kind === 'builtin')
      ctx.report('E065', kind!.span, 'builtin:faces has no test split of its own', 'give the test images a source: test "path"');
    return source.kind === 'builtin' ? null : 'auto';
  }
  // Arguments left over were reported by finish(); only a bare `test` (or `test folder`) still needs saying.
  if (word !== undefined || r.call.args.length === 0)
    ctx.report('E065', r.call.span, word ? `test ${word} needs a quoted path` : 'test needs a quoted path, auto or none', example);
  return source.kind === 'builtin' ? null : 'auto';
}

/** `source builtin:faces` or `source [folder|sfew|fer2013] "path"` (a .csv path reads as fer2013). */
function readSource(ctx: LowerContext, r: CallReader): Source | undefined {
  const kind = r.take((v) => v.kind === 'word' && isOneOf(PATH_SOURCES, v.name));
  const builtin = r.take((v) => v.kind === 'builtin');
  const where = r.take((v) => v.kind === 'string');
  let source: Source | undefined;
  if (builtin?.kind === 'builtin') {
    if (!isOneOf(BUILTIN_SOURCES, builtin.name)) {
      ctx.report('E023', builtin.span, `unknown built-in dataset 'builtin:${builtin.name}'`, "the built-in dataset is 'builtin:faces'");
    }
    source = { kind: 'builtin', name: 'faces', images: DEFAULTS.builtinImages };
  } else if (where?.kind === 'string') {
    const guess: PathSource = where.value.toLowerCase().endsWith('.csv') ? 'fer2013' : 'folder';
    source = { kind: kind?.kind === 'word' ? (kind.name as PathSource) : guess, path: where.value };
  } else {
    const example = 'for example: source "data/faces" or source fer2013 "fer2013.csv"';
    ctx.report('E023', r.call.span, 'source needs builtin:faces or a quoted path', example);
  }
  r.finish('source takes: builtin:faces | [folder|sfew|fer2013] "path"');
  return source;
}

/** `images N`: how many built-in faces to generate. */
function readImages(ctx: LowerContext, r: CallReader, source: Source): Source {
  const n = r.number('images', { positional: true, required: true, integer: true, min: 7, what: 'the image count' });
  r.finish();
  if (source.kind !== 'builtin') ctx.report('W001', r.call.nameSpan, "'images' only applies to builtin:faces", 'remove it');
  return source.kind === 'builtin' && n !== undefined ? { ...source, images: n } : source;
}

/** `classes [a, b, ...]`: at least two, each once; the built-in faces only have the seven emotions. */
function readClasses(ctx: LowerContext, r: CallReader, source: Source): string[] | undefined {
  const list = r.take((v) => v.kind === 'list');
  r.finish();
  if (list?.kind !== 'list') {
    ctx.report('E012', r.call.span, 'classes needs a list', 'for example: classes [angry, happy, sad]');
    return undefined;
  }
  const names: string[] = [];
  for (const item of list.items) {
    if (item.kind !== 'word' && item.kind !== 'string') {
      ctx.report('E013', item.span, `a class is a name, not ${describeValue(item)}`);
      continue;
    }
    const name = item.kind === 'word' ? item.name : item.value;
    if (names.includes(name)) {
      // A repeat is never the first item: drop it with the comma before it.
      const k = list.items.indexOf(item);
      const start = list.items[k - 1].span.end.offset;
      const fix = { title: `remove the second '${name}'`, start, end: item.span.end.offset, replacement: '' };
      ctx.report('E015', item.span, `class '${name}' is listed twice`, 'list each class once', fix);
    } else if (source.kind === 'builtin' && !isOneOf(EMOTIONS, name)) {
      const message = `unknown class '${name}': the built-in faces have ${EMOTIONS.join(', ')}`;
      // A quoted class would lose its quotes in a plain replacement: only words get the fix.
      if (item.kind === 'word') ctx.reportUnknown('E024', item.span, message, name, EMOTIONS);
      else ctx.report('E024', item.span, message, didYouMean(name, EMOTIONS));
    } else names.push(name);
  }
  if (names.length >= 2) return names;
  ctx.report('E013', list.span, 'a classifier needs at least 2 classes');
  return undefined;
}
