// Typed reading of a call's arguments, reporting every problem as a diagnostic on the argument's span.

import type { Arg, Call, KeyValueArg, Span, Value } from '../grammar/ast.ts';
import { diagnostic, withFix, type Code, type Diagnostic, type Fix } from './diagnostics.ts';

export class CallReader {
  readonly positional: Value[] = [];
  // A call has a handful of arguments and a reader is made for every layer and setting of every
  // experiment, so plain arrays with linear search serve here instead of a Map and a Set per call, and
  // the loops index them: most of a `check` runs before V8 optimises anything, and a for-of loop in
  // unoptimised code allocates an iterator and a result object per step.
  /** key=value arguments; for a key given twice (reported), the last one. */
  private readonly keyed: KeyValueArg[] = [];
  private readonly consumed: Arg[] = [];
  /** Every `key=` this call was asked for: what an unexpected one's hint lists (made on first ask). */
  private asked: string[] | undefined;

  constructor(
    readonly call: Call,
    readonly file: string,
    readonly diagnostics: Diagnostic[],
    /** The other settings of the section, to recognise two settings written on one line. */
    readonly siblings: readonly string[] = [],
  ) {
    const args = call.args;
    for (let k = 0; k < args.length; k++) {
      const a = args[k];
      if (a.kind !== 'keyvalue') {
        this.positional.push(a);
        continue;
      }
      const i = this.keyed.findIndex((k) => k.key === a.key);
      if (i >= 0) {
        // The last one is the one in force, so the fix drops the earlier one with the blank before it.
        const earlier = this.keyed[i];
        const j = call.args.indexOf(earlier);
        const start = (j > 0 ? call.args[j - 1].span : call.nameSpan).end.offset;
        const fix = { title: `remove the earlier '${a.key}='`, start, end: earlier.span.end.offset, replacement: '' };
        this.report('E015', a.keySpan, `'${a.key}' is given twice`, 'keep one', fix);
        this.keyed[i] = a;
      } else this.keyed.push(a);
    }
  }

  report(code: Code, span: Span, message: string, hint?: string, fix?: Fix): void {
    this.diagnostics.push(withFix(diagnostic(code, this.file, span, message, hint), fix));
  }

  /** The next positional value not yet consumed that satisfies `test`. */
  take(test: (v: Value) => boolean): Value | undefined {
    const positional = this.positional;
    for (let k = 0; k < positional.length; k++) {
      const p = positional[k];
      if (this.consumed.includes(p) || !test(p)) continue;
      this.consumed.push(p);
      return p;
    }
    return undefined;
  }

  /** A key=value argument, marked consumed. */
  key(name: string): Value | undefined {
    if (!this.asked) this.asked = [name];
    else if (!this.asked.includes(name)) this.asked.push(name);
    const keyed = this.keyed;
    for (let k = 0; k < keyed.length; k++) {
      const kv = keyed[k];
      if (kv.key !== name) continue;
      if (!this.consumed.includes(kv)) this.consumed.push(kv);
      return kv.value;
    }
    return undefined;
  }

  /** A number from `key=` or the first unconsumed positional number. */
  number(name: string, opts: NumberRule & { positional?: boolean; required?: boolean }): number | undefined {
    const v = this.key(name) ?? (opts.positional ? this.take(isNumber) : undefined);
    if (!v) {
      if (opts.required)
        this.report(
          'E012',
          this.call.span,
          `'${this.call.name}' needs ${opts.what ?? name}`,
          opts.example ? `for example: ${opts.example}` : undefined,
        );
      return undefined;
    }
    return this.checkNumber(v, name, opts);
  }

  checkNumber(v: Value, name: string, rule: NumberRule): number | undefined {
    if (v.kind !== 'number') {
      this.report(
        'E013',
        v.span,
        `${rule.what ?? name} must be a number, not ${describeValue(v)}`,
        rule.example ? `for example: ${rule.example}` : undefined,
      );
      return undefined;
    }
    return checkRange(v.value, v.span, name, rule, this);
  }

  /** A word from `key=` or among the unconsumed positional words. */
  word(name: string, choices: readonly string[], opts: { positional?: boolean } = {}): string | undefined {
    const keyed = this.key(name);
    if (keyed) {
      if (keyed.kind === 'word' && choices.includes(keyed.name)) return keyed.name;
      this.report('E013', keyed.span, `${name} must be one of ${choices.join(', ')}`, undefined);
      return undefined;
    }
    if (!opts.positional) return undefined;
    const v = this.take((p) => p.kind === 'word' && choices.includes(p.name));
    return v?.kind === 'word' ? v.name : undefined;
  }

  flag(name: string): boolean {
    return !!this.take((p) => p.kind === 'word' && p.name === name);
  }

  /** Report every argument that nothing consumed. */
  finish(hint?: string): void {
    const args = this.call.args;
    for (let k = 0; k < args.length; k++) {
      const a = args[k];
      if (this.consumed.includes(a)) continue;
      // `epochs 1 optimizer adam` reads as one call with five arguments; say what happened once
      // instead of reporting every word after the second setting name.
      if (a.kind === 'word' && a.name !== this.call.name && this.siblings.includes(a.name)) {
        this.report('E014', a.span, `'${a.name}' starts another setting: settings go one per line`, `put '${a.name}' on its own line`);
        return;
      }
      const span = a.kind === 'keyvalue' ? a.keySpan : a.span;
      const what = a.kind === 'keyvalue' ? `'${a.key}='` : describeValue(a);
      const takes =
        a.kind === 'keyvalue' && this.asked ? `'${this.call.name}' takes ${this.asked.map((k) => `${k}=`).join(', ')}` : undefined;
      this.report('E014', span, `unexpected argument ${what} for '${this.call.name}'`, hint ?? takes);
    }
  }
}

const isNumber = (v: Value): boolean => v.kind === 'number';

export interface NumberRule {
  what?: string;
  example?: string;
  integer?: boolean;
  min?: number;
  max?: number;
  /** Exclusive bounds. */
  above?: number;
  below?: number;
}

export function checkRange(n: number, span: Span, name: string, rule: NumberRule, r: { report: CallReader['report'] }): number | undefined {
  const what = rule.what ?? name;
  if (!Number.isFinite(n)) {
    r.report('E013', span, `${what} must be a finite number`);
    return undefined;
  }
  if (rule.integer && !Number.isInteger(n)) {
    r.report('E013', span, `${what} must be a whole number, not ${n}`);
    return undefined;
  }
  if (rule.min !== undefined && n < rule.min) {
    r.report('E013', span, `${what} must be at least ${rule.min}, not ${n}`);
    return undefined;
  }
  if (rule.max !== undefined && n > rule.max) {
    r.report('E013', span, `${what} must be at most ${rule.max}, not ${n}`);
    return undefined;
  }
  if (rule.above !== undefined && n <= rule.above) {
    r.report('E013', span, `${what} must be greater than ${rule.above}, not ${n}`);
    return undefined;
  }
  if (rule.below !== undefined && n >= rule.below) {
    r.report('E013', span, `${what} must be less than ${rule.below}, not ${n}`);
    return undefined;
  }
  return n;
}

export function describeValue(v: Value): string {
  switch (v.kind) {
    case 'number':
      return v.raw;
    case 'word':
      return `'${v.name}'`;
    case 'string':
      return v.raw;
    case 'size':
      return v.raw;
    case 'builtin':
      return `builtin:${v.name}`;
    case 'variable':
      return `$${v.name}`;
    case 'list':
      return 'a list';
    case 'map':
      return 'a map';
  }
}
