// Argument readers for layer calls. They are module-level functions rather than closures inside the
// layer lowerer: it runs once per layer of every experiment, and each named closure would be re-created
// (and, under tsx's keepNames, re-named with Object.defineProperty) on every call.

import type { CallReader } from '../args.ts';
import type { Activation, Padding } from '../ir.ts';
import { ACTIVATIONS, PADDINGS } from '../vocabulary.ts';

/** A layer's activation word (positional or `activation=`); linear when it names none. */
export function readActivation(r: CallReader): { activation: Activation; explicit: boolean } {
  const a = r.word('activation', ACTIVATIONS, { positional: true }) as Activation | undefined;
  return { activation: a ?? 'linear', explicit: a !== undefined };
}

// `k3`, `s2x1`: compiled once, not per argument tested.
const UNIT_PATTERNS: Record<'k' | 's', { starts: RegExp; full: RegExp }> = {
  k: { starts: /^k\d/, full: /^k(\d+)(?:x(\d+))?$/ },
  s: { starts: /^s\d/, full: /^s(\d+)(?:x(\d+))?$/ },
};

/** Whether a word is written as a kernel (`k3`) or stride (`s2`), valid or not. */
export function isUnitWord(word: string, prefix: 'k' | 's'): boolean {
  return UNIT_PATTERNS[prefix].starts.test(word);
}

/** A kernel (`k3`, `k3x5`) or stride (`s2`) word: `prefix` is 'k' or 's'. */
export function readUnits(r: CallReader, prefix: 'k' | 's'): [number, number] | undefined {
  const { starts, full } = UNIT_PATTERNS[prefix];
  const v = r.take((x) => x.kind === 'word' && starts.test(x.name));
  if (!v || v.kind !== 'word') return undefined;
  const m = full.exec(v.name);
  if (!m) {
    r.report('E013', v.span, `cannot read '${v.name}'`, `write ${prefix}N or ${prefix}NxM, for example ${prefix}3`);
    return undefined;
  }
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 1 || b < 1) {
    const what = prefix === 'k' ? 'a kernel' : 'a stride';
    r.report('E013', v.span, `'${v.name}': ${what} must be at least 1`, `for example ${prefix}${prefix === 'k' ? 3 : 1}`);
    return undefined;
  }
  return [a, b];
}

/** `kernel=3` / `stride=2` as a square pair. */
export function readKeyPair(r: CallReader, key: string): [number, number] | undefined {
  const n = r.number(key, { integer: true, min: 1 });
  return n === undefined ? undefined : [n, n];
}

export function readPadding(r: CallReader): Padding | undefined {
  return r.word('padding', PADDINGS, { positional: true }) as Padding | undefined;
}

/** Bias is on unless the layer says `nobias` or `bias=false`. */
export function readBias(r: CallReader): boolean {
  if (r.flag('nobias')) return false;
  const b = r.key('bias');
  return b?.kind !== 'word' || b.name !== 'false';
}

const PADDING_CHOICE = `[${PADDINGS.join('|')}]`;

/** What each layer takes, for the hint of an unexpected argument: built once, read for every layer. */
const USAGE = new Map<string, string>([
  ['conv', `conv takes: FILTERS kN sN ${PADDING_CHOICE} [activation] [nobias]`],
  ['fc', 'fc takes: UNITS [activation] [nobias]'],
  ['maxpool', `maxpool takes: [SIZE] [sN] ${PADDING_CHOICE}`],
  ['avgpool', `avgpool takes: [SIZE] [sN] ${PADDING_CHOICE}`],
  ['residual', 'residual takes: [activation] { LAYERS }'],
]);

/** What a layer takes, for the hint of an unexpected argument. */
export function usage(layer: string): string | undefined {
  return USAGE.get(layer);
}
