// Named layer blocks, `repeat N` and residual blocks, expanded at the AST level before sweeps and lowering.
//
// A block call is replaced by the block's layers with its `$parameters` filled from the call's arguments
// (positional in order, then key=value by name, then the defaults). A `residual` block becomes one
// `residual { ... }` call holding those layers; the compiler lowers that to a residual layer and picks its
// shortcut from the shapes (shapes.ts). Expansion happens before sweeps, so a `$var` in a block that is not
// one of its parameters is a sweep variable like any other. Every expanded call keeps its own span (in the
// block's definition, maybe another file) and records the outermost call it came from (`from`).

import type { Arg, BlockDef, Call, Pipeline, Section, Span, Value } from '../grammar/ast.ts';
import { diagnostic, withFix, type Diagnostic } from './diagnostics.ts';
import type { LoadedProgram } from './resolve.ts';
import { closest, didYouMean, suggestFix } from './suggest.ts';
import { ACTIVATIONS, LAYER_NAMES, MODEL_DIRECTIVES } from './vocabulary.ts';

/** Words a block cannot be named: they already mean something in a layer stack. */
const RESERVED_BLOCK_NAMES: ReadonlySet<string> = new Set([
  ...LAYER_NAMES,
  ...ACTIVATIONS,
  ...MODEL_DIRECTIVES,
  'residual',
  'repeat',
  'block',
]);

/** The largest `repeat N`: more is a typo, and would blow the expansion up. */
const MAX_REPEAT = 100;

export interface BlockEntry {
  def: BlockDef;
  file: string;
}

export type BlockTable = Map<string, BlockEntry>;

/** Every call name in these pipelines, inside residuals too (which blocks a stack or block uses). */
export function calledNames(pipes: readonly Pipeline[], out = new Set<string>()): Set<string> {
  for (const p of pipes) {
    for (const c of p.calls) {
      out.add(c.name);
      calledNames(c.body ?? [], out);
    }
  }
  return out;
}

/** Every block declared in the program's files (imports included), with duplicates and bad names reported. */
export function collectBlocks(program: LoadedProgram, diagnostics: Diagnostic[]): BlockTable {
  const table: BlockTable = new Map();
  for (const [file, ast] of program.files) {
    for (const item of ast.items) {
      if (item.kind !== 'block') continue;
      if (RESERVED_BLOCK_NAMES.has(item.name)) {
        diagnostics.push(
          diagnostic(
            'E056',
            file,
            item.nameSpan,
            `a block cannot be named '${item.name}': that word is already a layer or keyword`,
            'give the block another name',
          ),
        );
        continue;
      }
      const prior = table.get(item.name);
      if (prior) {
        // The main file's own block wins over an imported one (as with experiments); two in one file clash.
        if (prior.file === file) {
          diagnostics.push(
            diagnostic('E056', file, item.nameSpan, `block '${item.name}' is declared twice`, 'give each block its own name'),
          );
          continue;
        }
        if (file !== program.main.file) continue;
      }
      if (item.body.length === 0) {
        diagnostics.push(
          diagnostic('E012', file, item.nameSpan, `block '${item.name}' has no layers`, 'write its layers inside the braces'),
        );
      }
      const seen = new Set<string>();
      for (const p of item.params) {
        if (seen.has(p.name))
          diagnostics.push(
            diagnostic('E056', file, p.span, `parameter '${p.name}' of block '${item.name}' is declared twice`, 'remove one of them'),
          );
        seen.add(p.name);
      }
      table.set(item.name, { def: item, file });
    }
  }
  return table;
}

/** `repeat` in a settings section (or a sweep) repeats nothing: reported, so it is not silently ignored. */
export function checkNoRepeat(section: Section, diagnostics: Diagnostic[], file: string): void {
  for (const p of section.body ?? []) {
    for (const c of p.calls) {
      if (c.repeat)
        diagnostics.push(
          diagnostic(
            'E057',
            file,
            c.repeat.span,
            `'repeat' repeats layers; '${section.keyword}' holds settings`,
            'use repeat in a model or head block',
          ),
        );
    }
  }
}

/** A model or head section with every block call, `repeat` and `$parameter` expanded. */
export function expandSection(section: Section, blocks: BlockTable, diagnostics: Diagnostic[], file: string): Section {
  if (!section.body) return section;
  const body = new Expander(blocks, diagnostics, file).pipelines(section.body, null, [], undefined);
  return { ...section, body };
}

interface From {
  block: string;
  call: Span;
}

class Expander {
  constructor(
    private readonly blocks: BlockTable,
    private readonly diagnostics: Diagnostic[],
    private readonly file: string,
  ) {}

  pipelines(pipes: readonly Pipeline[], env: Map<string, Value> | null, stack: readonly string[], from: From | undefined): Pipeline[] {
    const out: Pipeline[] = [];
    // Indexed loops and no per-call arrays while calls expand to themselves: this runs on every layer of
    // every experiment, mostly before V8 optimises it.
    for (let i = 0; i < pipes.length; i++) {
      const p = pipes[i];
      // null while every call so far expanded to itself (most do: no block, repeat or residual).
      let calls: Call[] | null = null;
      for (let k = 0; k < p.calls.length; k++) {
        const c = p.calls[k];
        const expanded = this.call(c, env, stack, from);
        if (calls === null) {
          if (expanded.length === 1 && expanded[0] === c) continue;
          calls = p.calls.slice(0, k);
        }
        for (let e = 0; e < expanded.length; e++) calls.push(expanded[e]);
      }
      // A pipeline that expanded to itself is kept as it is.
      if (calls === null) out.push(p);
      else if (calls.length) out.push({ ...p, calls });
    }
    return out;
  }

  private call(written: Call, env: Map<string, Value> | null, stack: readonly string[], from: From | undefined): Call[] {
    const c = env ? substitute(written, env) : written;
    let times = 1;
    if (c.repeat) {
      const n = c.repeat.count;
      if (!Number.isInteger(n) || n < 1 || n > MAX_REPEAT) {
        this.report(
          'E057',
          c.repeat.span,
          `repeat needs a whole number from 1 to ${MAX_REPEAT}, not ${c.repeat.raw}`,
          `for example: repeat 2 ${c.name}`,
        );
      } else times = n;
    }
    const once = this.once(c.repeat ? { ...c, repeat: undefined } : c, env, stack, from);
    if (times === 1) return once;
    const out: Call[] = [];
    for (let i = 0; i < times; i++) out.push(...once);
    return out;
  }

  private once(c: Call, env: Map<string, Value> | null, stack: readonly string[], from: From | undefined): Call[] {
    if (c.body) {
      if (c.body.length === 0) {
        this.report('E012', c.nameSpan, 'a residual needs at least one layer', 'for example: residual { conv 64 k3 same | bn }');
        return [];
      }
      // The body's `$parameters` were filled with the call's (substitute); block calls inside bind their own.
      return [
        {
          ...c,
          body: this.pipelines(c.body, null, stack, from),
          ...(from ? { from } : {}),
        },
      ];
    }
    const entry = this.blocks.get(c.name);
    if (!entry) {
      if (!isLayerWord(c.name) && this.blocks.size > 0) {
        // A misspelt block: say so when the closest known name is a block (a misspelt layer gets E011 later).
        const suggested = closest(c.name, [...this.blocks.keys(), ...LAYER_NAMES]);
        if (suggested && this.blocks.has(suggested)) {
          // The same did-you-mean fix as a misspelt layer's, so `emoc lint --fix` corrects it.
          const { hint, fix } = suggestFix(c.name, c.nameSpan, [suggested]);
          this.diagnostics.push(withFix(diagnostic('E050', this.file, c.nameSpan, `unknown block '${c.name}'`, hint), fix));
          return [];
        }
      }
      return [from ? { ...c, from } : c];
    }
    const { def } = entry;
    if (stack.includes(def.name)) {
      const cycle = [...stack.slice(stack.indexOf(def.name)), def.name].join(' -> ');
      this.report(
        'E054',
        c.nameSpan,
        `block '${def.name}' calls itself (${cycle})`,
        'a block cannot use itself, directly or through other blocks',
      );
      return [];
    }
    const bound = this.bind(c, def);
    if (!bound) return [];
    const outer = from ?? { block: def.name, call: c.span };
    const body = this.pipelines(def.body, bound, [...stack, def.name], outer);
    if (def.residual) {
      if (body.length === 0) return [];
      const args = def.activation ? [def.activation] : [];
      return [{ kind: 'call', name: 'residual', nameSpan: c.nameSpan, args, body, span: c.span, from: outer }];
    }
    return body.flatMap((p) => p.calls);
  }

  /** Parameter name -> the value it takes in this call, or null when the arguments do not fit (reported). */
  private bind(c: Call, def: BlockDef): Map<string, Value> | null {
    const env = new Map<string, Value>();
    const names = def.params.map((p) => p.name);
    let ok = true;
    let position = 0;
    for (const a of c.args) {
      if (a.kind === 'keyvalue') {
        if (!names.includes(a.key)) {
          const fallback = names.length ? `parameters of '${def.name}': ${names.join(', ')}` : `'${def.name}' takes no arguments`;
          this.report('E052', a.keySpan, `block '${def.name}' has no parameter '${a.key}'`, didYouMean(a.key, names, fallback));
          ok = false;
        } else if (env.has(a.key)) {
          this.report('E052', a.keySpan, `parameter '${a.key}' of block '${def.name}' is given twice`, 'give each parameter once');
          ok = false;
        } else env.set(a.key, a.value);
        continue;
      }
      // Positional arguments fill the parameters in order, skipping any given by name.
      while (position < names.length && env.has(names[position])) position++;
      if (position >= names.length) {
        const n = names.length;
        const takes = n === 0 ? 'takes no arguments' : `takes ${n} argument${n === 1 ? '' : 's'} (${names.join(', ')})`;
        this.report(
          'E051',
          a.span,
          `block '${def.name}' ${takes}, but this is argument ${countPositional(c.args, a)}`,
          'remove the extra argument',
        );
        return null;
      }
      env.set(names[position++], a);
    }
    for (const p of def.params) {
      if (env.has(p.name)) continue;
      if (p.default) env.set(p.name, p.default);
      else {
        this.report(
          'E053',
          c.nameSpan,
          `block '${def.name}' needs a value for '${p.name}'`,
          `for example: ${def.name} ${exampleArgs(def)}`,
        );
        ok = false;
      }
    }
    return ok ? env : null;
  }

  private report(code: Parameters<typeof diagnostic>[0], span: Span, message: string, hint?: string): void {
    this.diagnostics.push(diagnostic(code, this.file, span, message, hint));
  }
}

function isLayerWord(name: string): boolean {
  return (LAYER_NAMES as readonly string[]).includes(name) || (MODEL_DIRECTIVES as readonly string[]).includes(name) || name === 'residual';
}

/** 1-based position of `arg` among the call's positional arguments. */
function countPositional(args: readonly Arg[], arg: Arg): number {
  return args.filter((a) => a.kind !== 'keyvalue').indexOf(arg as Value) + 1;
}

function exampleArgs(def: BlockDef): string {
  return def.params.map((p) => (p.default ? `${p.name}=${sourceOf(p.default)}` : `<${p.name}>`)).join(' ');
}

function sourceOf(v: Value): string {
  switch (v.kind) {
    case 'number':
    case 'size':
    case 'string':
      return v.raw;
    case 'word':
      return v.name;
    case 'builtin':
      return `builtin:${v.name}`;
    case 'variable':
      return `$${v.name}`;
    case 'list':
      return `[${v.items.map(sourceOf).join(', ')}]`;
    case 'map':
      return `{${v.entries.map((e) => `${e.key}: ${sourceOf(e.value)}`).join(', ')}}`;
  }
}

/** The call with each `$parameter` in its arguments (and a residual's body) replaced by its value. */
function substitute(c: Call, env: Map<string, Value>): Call {
  const value = (v: Value): Value => {
    if (v.kind === 'variable') return env.get(v.name) ?? v;
    if (v.kind === 'list') return { ...v, items: v.items.map(value) };
    if (v.kind === 'map')
      return {
        ...v,
        entries: v.entries.map((e) => ({ ...e, value: value(e.value) })),
      };
    return v;
  };
  const args = c.args.map((a): Arg => (a.kind === 'keyvalue' ? { ...a, value: value(a.value) } : value(a)));
  const out: Call = { ...c, args };
  if (c.body)
    out.body = c.body.map((p) => ({
      ...p,
      calls: p.calls.map((x) => substitute(x, env)),
    }));
  return out;
}
