// Rules over the spec's text structure (AST): its imports and sweeps.

import * as path from 'node:path';
import type { EmoFile, Import } from '../../../grammar/ast.ts';
import { calledNames } from '../../blocks.ts';
import { spanLocation } from '../locate.ts';
import type { LintContext, Rule, RuleFinding } from '../types.ts';

export const sweepSingleValue: Rule = {
  id: 'sweep-single-value',
  severity: 'warning',
  doc: 'a sweep axis with one value sweeps nothing: set the value directly',
  check: (ctx) =>
    ctx.result.ast.items.flatMap((item): RuleFinding[] => {
      if (item.kind !== 'experiment') return [];
      return item.sections
        .filter((s) => s.keyword === 'sweep')
        .flatMap((s) => s.body ?? [])
        .flatMap((p) => {
          const call = p.calls[0];
          const list = call.args[1];
          if (call.name === 'name' || list?.kind !== 'list' || list.items.length !== 1) return [];
          return [
            {
              at: spanLocation(list.span, ctx.file),
              message: `sweep axis '${call.name}' has one value`,
              hint: call.name.includes('.')
                ? `set ${call.name} in its section instead`
                : `replace $${call.name} with the value and drop the axis`,
            },
          ];
        });
    }),
};

/** Names a file declares, as `experiment:NAME` and `SECTION:NAME`. */
function declarations(ast: EmoFile): string[] {
  return ast.items.flatMap((i) =>
    i.kind === 'experiment'
      ? [`experiment:${i.name}`]
      : i.kind === 'block'
        ? [`block:${i.name}`]
        : i.header[0]?.kind === 'word'
          ? [`${i.keyword}:${i.header[0].name}`]
          : [],
  );
}

/** Names the main file uses from elsewhere: bases it extends and named sections it references. */
function uses(ast: EmoFile): Set<string> {
  const out = new Set<string>();
  for (const item of ast.items) {
    // Blocks are used by calling them, in a stack or in another block.
    if (item.kind === 'block') {
      for (const name of calledNames(item.body)) out.add(`block:${name}`);
      continue;
    }
    if (item.kind !== 'experiment') {
      for (const name of calledNames(item.body ?? [])) out.add(`block:${name}`);
      continue;
    }
    if (item.base) out.add(`experiment:${item.base}`);
    for (const s of item.sections) {
      if (s.header[0]?.kind === 'word') out.add(`${s.keyword}:${s.header[0].name}`);
      for (const name of calledNames(s.body ?? [])) out.add(`block:${name}`);
    }
  }
  return out;
}

function importTarget(ctx: LintContext, imp: Import): string {
  return path.normalize(path.join(path.dirname(ctx.result.program.main.file), imp.path));
}

/** The files an import brings in: the file itself and, transitively, what it imports. */
function closure(ctx: LintContext, file: string, seen = new Set<string>()): Set<string> {
  const ast = ctx.result.program.files.get(file);
  if (!ast || seen.has(file)) return seen;
  seen.add(file);
  for (const imp of ast.imports) closure(ctx, path.normalize(path.join(path.dirname(file), imp.path)), seen);
  return seen;
}

export const unusedImport: Rule = {
  id: 'unused-import',
  severity: 'warning',
  doc: 'an import none of whose experiments or named sections the spec uses (fixable)',
  check: (ctx) => {
    const main = ctx.result.ast;
    const used = uses(main);
    return main.imports.flatMap((imp): RuleFinding[] => {
      const target = importTarget(ctx, imp);
      if (!ctx.result.program.files.has(target)) return [];
      const declared = [...closure(ctx, target)].flatMap((f) => declarations(ctx.result.program.files.get(f)!));
      if (declared.some((d) => used.has(d))) return [];
      const text = ctx.result.program.texts.get(main.file) ?? '';
      const fix = {
        title: `remove the import of '${imp.path}'`,
        start: imp.span.start.offset,
        end: lineEnd(text, imp.span.end.offset),
        replacement: '',
      };
      return [{ at: spanLocation(imp.span, ctx.file), message: `nothing from '${imp.path}' is used`, hint: 'remove the import', fix }];
    });
  },
};

/** The end of the line (past its newline) when only blanks or a comment follow `offset`, else `offset`. */
function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  const end = nl < 0 ? text.length : nl + 1;
  return /^[ \t]*(#.*)?\r?\n?$/.test(text.slice(offset, end)) ? end : offset;
}
