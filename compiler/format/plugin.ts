// The prettier plugin for .emo: languages, parser, printer and options, in prettier's plugin shape.
// Prettier loads it by path through prettier-plugin.mjs (which registers tsx first); `emoc fmt` passes
// this module to prettier.format directly, so both run the very same code.

import type { AstPath, Doc, Options, Parser, Printer, SupportOption } from 'prettier';
import type { EmoFile } from '../../grammar/ast.ts';
import { parseEmo } from '../../grammar/parse.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { printEmo } from './print.ts';

/** What the parser hands the printer: the AST and the text its spans point into. */
export interface EmoRoot {
  type: 'emo-root';
  ast: EmoFile;
  text: string;
}

/** A file with syntax errors is never formatted: its recovered AST may have lost text. */
export class EmoSyntaxError extends SyntaxError {
  /** Where prettier's CLI looks for the position of a parse error. */
  readonly loc: { start: { line: number; column: number } };
  constructor(readonly diagnostics: Diagnostic[]) {
    const d = diagnostics[0];
    super(`${d.message} (${d.line}:${d.column})`);
    this.loc = { start: { line: d.line, column: d.column } };
  }
}

export const languages = [
  {
    name: 'emo',
    parsers: ['emo'],
    extensions: ['.emo'],
    vscodeLanguageIds: ['emo'],
  },
];

const emoParser: Parser<EmoRoot> = {
  astFormat: 'emo-ast',
  parse(text: string, options: Options): EmoRoot {
    const { ast, diagnostics } = parseEmo(text, options.filepath ?? '<input>');
    if (diagnostics.length) throw new EmoSyntaxError(diagnostics);
    return { type: 'emo-root', ast, text };
  },
  locStart: () => 0,
  locEnd: (node: EmoRoot) => node.text.length,
};

export const parsers = { emo: emoParser };

const emoPrinter: Printer<EmoRoot> = {
  print(path: AstPath<EmoRoot>, options): Doc {
    const root = path.node;
    return printEmo(root.ast, root.text, {
      printWidth: options.printWidth,
      tabWidth: options.tabWidth,
      align: (options as { emoAlign?: boolean }).emoAlign !== false,
    });
  },
};

export const printers = { 'emo-ast': emoPrinter };

export const options: Record<string, SupportOption> = {
  emoAlign: {
    type: 'boolean',
    category: 'Emo',
    default: true,
    description: 'Align consecutive pipelines at their | and trailing comments into one column.',
  },
};

export const defaultOptions = { tabWidth: 2, useTabs: false };
