// Tokens of the .emo language.
//
// Newlines are tokens: a statement ends at the end of its line (or at `;`), so settings can take bare
// words as values (`optimizer sgd`, `preprocess whiten`) without swallowing the next line. Comments are
// kept in their own group so the formatter can put them back.

import { createToken, Lexer, type TokenType } from 'chevrotain';
import { SKIP_GRAMMAR_VALIDATIONS } from './build-mode.ts';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t]+/, group: Lexer.SKIPPED });
export const Newline = createToken({ name: 'Newline', pattern: /\r?\n/, line_breaks: true, label: 'end of line' });
export const Comment = createToken({ name: 'Comment', pattern: /#[^\r\n]*/, group: 'comments' });

export const LCurly = createToken({ name: 'LCurly', pattern: /{/, label: "'{'" });
export const RCurly = createToken({ name: 'RCurly', pattern: /}/, label: "'}'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/, label: "']'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/, label: "';'" });
export const Pipe = createToken({ name: 'Pipe', pattern: /\|/, label: "'|'" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });

export const StringLit = createToken({ name: 'StringLit', pattern: /"(?:[^"\\\r\n]|\\.)*"/, label: 'string' });
/** A string whose closing quote is missing before the end of the line; the AST builder reports it. */
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\r\n]|\\.)*/, label: 'string' });

/** `160x160x3`, `144x144`: sizes come before numbers so `160` is not taken alone. */
export const Size = createToken({ name: 'Size', pattern: /\d+(?:x\d+){1,2}(?![A-Za-z0-9_])/, label: 'size' });
export const NumberLit = createToken({
  name: 'NumberLit',
  pattern: /-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/,
  label: 'number',
});
export const BuiltinRef = createToken({ name: 'BuiltinRef', pattern: /builtin:[A-Za-z0-9_-]+/, label: 'builtin:NAME' });
export const Variable = createToken({ name: 'Variable', pattern: /\$[A-Za-z_][A-Za-z0-9_]*/, label: '$variable' });

/** Every word-like token (identifiers and keywords) is a Name, so keywords can still be values. */
export const Name = createToken({ name: 'Name', pattern: Lexer.NA, label: 'name' });
export const Identifier = createToken({
  name: 'Identifier',
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*/,
  categories: [Name],
  label: 'name',
});

/** Keywords that open top-level declarations and experiment sections. */
export const SectionKeyword = createToken({ name: 'SectionKeyword', pattern: Lexer.NA, label: 'section' });

function keyword(word: string, categories: TokenType[] = []): TokenType {
  return createToken({
    name: word[0].toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [Name, ...categories],
    label: `'${word}'`,
  });
}

export const Experiment = keyword('experiment');
export const Extends = keyword('extends');
export const Import = keyword('import');
/** `block NAME(params) [residual] { ... }`: a named, parameterised layer block (top level only). */
export const Block = keyword('block');
/** `residual { ... }` in a layer stack, or after a block's parameters: input added to output. */
export const Residual = keyword('residual');
/** `repeat N call`: the call N times. */
export const Repeat = keyword('repeat');
export const SECTION_NAMES = ['data', 'augment', 'model', 'backbone', 'head', 'train', 'sweep'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];
export const sectionTokens: TokenType[] = SECTION_NAMES.map((word) => keyword(word, [SectionKeyword]));

/** Catch-all so an unexpected character becomes one token error instead of stopping the lexer. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  Newline,
  Comment,
  LCurly,
  RCurly,
  LBracket,
  RBracket,
  Comma,
  Semicolon,
  Pipe,
  Equals,
  StringLit,
  UnterminatedString,
  BuiltinRef,
  Colon,
  LParen,
  RParen,
  Size,
  NumberLit,
  Variable,
  Experiment,
  Extends,
  Import,
  Block,
  Residual,
  Repeat,
  ...sectionTokens,
  SectionKeyword,
  Name,
  Identifier,
];

let lexer: Lexer | undefined;

/** chevrotain's lexer for these tokens: the definition grammar/scan.ts (what parseEmo runs) must cut
 * every text exactly as, and the reference its tests compare it with. Built on first use: building it
 * analyses every pattern. */
export function emoLexer(): Lexer {
  lexer ??= new Lexer(allTokens, {
    ensureOptimizations: true,
    positionTracking: 'onlyOffset',
    skipValidations: SKIP_GRAMMAR_VALIDATIONS,
  });
  return lexer;
}
