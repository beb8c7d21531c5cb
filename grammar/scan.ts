// The lexer parseEmo runs: a hand-written scanner that cuts a text into exactly the tokens, comments and
// errors that chevrotain's lexer (grammar/lexer.ts, `emoLexer()`) makes from the token definitions there,
// as chevrotain tokens of the same token types, so both parsers (fast-parse.ts and chevrotain's in
// parser.ts) read them unchanged. test/grammar-scan.test.ts holds the two to that on every spec, every
// spec cut short and random texts.
//
// Why: chevrotain's lexer tries the token patterns in order at every offset (regular expressions, and a
// second one for a keyword's longer identifier); on a 5,000-line spec that and building the lexer at start
// were ~40 ms of a ~350 ms `emoc check` process, most of it running before V8 had optimised anything.
//
// How chevrotain decides, restated for one character of lookahead: the first definition in allTokens that
// matches at the offset wins (so `160x160` is a Size before it is a number, `builtin:faces` a BuiltinRef
// before it is a name), except that a keyword gives way to an identifier that matches longer
// (`dataset`, `model-2`). Where nothing matches, the characters up to the next offset where something
// does are one error.

import type { ILexingError, IToken, TokenType } from 'chevrotain';
import * as T from './lexer.ts';

export interface Scanned {
  tokens: IToken[];
  comments: IToken[];
  errors: ILexingError[];
}

// Both tables are read off the definitions in lexer.ts, so punctuation and keywords are written once; a
// token of another shape needs its own branch in scan(), which the comparison with chevrotain would show.
/** Single-character tokens by character code: those whose pattern is one (escaped) character. */
const SINGLE: (TokenType | undefined)[] = [];
/** Words that are keywords when a whole identifier is exactly the word: the tokens that give way to a
 * longer identifier. */
const KEYWORDS = new Map<string, TokenType>();
for (const t of T.allTokens) {
  const source = t.PATTERN instanceof RegExp ? t.PATTERN.source : '';
  if (t.LONGER_ALT === T.Identifier) KEYWORDS.set(source, t);
  else if (source.replace(/^\\/, '').length === 1) SINGLE[source.at(-1)!.charCodeAt(0)] = t;
}

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const DOLLAR = 36;
const MINUS = 45;
const DOT = 46;
const BACKSLASH = 92;
const LOWER_X = 120;
const PLUS = 43;
const BUILTIN = 'builtin:';

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** [A-Za-z_] */
const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
/** [A-Za-z0-9_] */
const isWordChar = (c: number): boolean => isLetter(c) || isDigit(c);
/** What `.` in a regular expression does not match (so `\` cannot escape it). */
const isLineTerminator = (c: number): boolean => c === LF || c === CR || c === 0x2028 || c === 0x2029;

export function scan(text: string): Scanned {
  const tokens: IToken[] = [];
  const comments: IToken[] = [];
  const errors: ILexingError[] = [];
  const n = text.length;
  const at = (i: number): number => (i < n ? text.charCodeAt(i) : -1);
  const token = (type: TokenType, start: number, end: number): IToken =>
    ({ image: text.slice(start, end), startOffset: start, tokenTypeIdx: type.tokenTypeIdx, tokenType: type }) as IToken;

  /** The end of a number (/-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/) starting at `i`, or -1. */
  const numberEnd = (i: number): number => {
    if (at(i) === MINUS) i++;
    if (isDigit(at(i))) {
      while (isDigit(at(i))) i++;
      if (at(i) === DOT) i++;
      while (isDigit(at(i))) i++;
    } else if (at(i) === DOT && isDigit(at(i + 1))) {
      i += 2;
      while (isDigit(at(i))) i++;
    } else return -1;
    const e = at(i);
    if (e === 101 || e === 69) {
      const sign = at(i + 1) === PLUS || at(i + 1) === MINUS ? 1 : 0;
      if (isDigit(at(i + 1 + sign))) {
        i += 1 + sign;
        while (isDigit(at(i))) i++;
      }
    }
    return i;
  };

  /** The end of a size (/\d+(?:x\d+){1,2}(?![A-Za-z0-9_])/) starting at the digit at `i`, or -1. Backing
   * off a digit run or a group always leaves a digit or an `x` next, so only the longest reading can end
   * before a non-word character. */
  const sizeEnd = (i: number): number => {
    while (isDigit(at(i))) i++;
    let groups = 0;
    while (groups < 2 && at(i) === LOWER_X && isDigit(at(i + 1))) {
      i += 2;
      while (isDigit(at(i))) i++;
      groups++;
    }
    return groups > 0 && !isWordChar(at(i)) ? i : -1;
  };

  /** Whether some token matches at `i`: where an error's run of unreadable characters ends. */
  const startsToken = (i: number): boolean => {
    const c = at(i);
    if (c === SPACE || c === TAB || c === LF || c === HASH || c === QUOTE || SINGLE[c] !== undefined) return true;
    if (c === CR) return at(i + 1) === LF;
    if (isLetter(c)) return true;
    if (c === DOLLAR) return isLetter(at(i + 1));
    return numberEnd(i) !== -1;
  };

  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      i++;
      while (at(i) === SPACE || at(i) === TAB) i++;
      continue;
    }
    if (c === LF || (c === CR && at(i + 1) === LF)) {
      const end = c === LF ? i + 1 : i + 2;
      tokens.push(token(T.Newline, i, end));
      i = end;
      continue;
    }
    const single = SINGLE[c];
    if (single !== undefined) {
      tokens.push(token(single, i, i + 1));
      i++;
      continue;
    }
    if (isLetter(c)) {
      const start = i;
      if (c === 98 && text.startsWith(BUILTIN, i) && isBuiltinChar(at(i + BUILTIN.length))) {
        i += BUILTIN.length;
        while (isBuiltinChar(at(i))) i++;
        tokens.push(token(T.BuiltinRef, start, i));
        continue;
      }
      i++;
      while (isWordChar(at(i))) i++;
      while ((at(i) === MINUS || at(i) === DOT) && isWordChar(at(i + 1))) {
        i += 2;
        while (isWordChar(at(i))) i++;
      }
      const image = text.slice(start, i);
      const type = KEYWORDS.get(image) ?? T.Identifier;
      tokens.push({ image, startOffset: start, tokenTypeIdx: type.tokenTypeIdx, tokenType: type } as IToken);
      continue;
    }
    if (c === HASH) {
      const start = i;
      while (i < n && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i++;
      comments.push(token(T.Comment, start, i));
      continue;
    }
    if (c === QUOTE) {
      const start = i++;
      let closed = false;
      for (;;) {
        const d = at(i);
        if (d === QUOTE) {
          i++;
          closed = true;
          break;
        }
        if (d === BACKSLASH && i + 1 < n && !isLineTerminator(text.charCodeAt(i + 1))) i += 2;
        else if (d === -1 || d === BACKSLASH || d === LF || d === CR) break;
        else i++;
      }
      tokens.push(token(closed ? T.StringLit : T.UnterminatedString, start, i));
      continue;
    }
    if (c === DOLLAR && isLetter(at(i + 1))) {
      const start = i;
      i += 2;
      while (isWordChar(at(i))) i++;
      tokens.push(token(T.Variable, start, i));
      continue;
    }
    const size = isDigit(c) ? sizeEnd(i) : -1;
    if (size !== -1) {
      tokens.push(token(T.Size, i, size));
      i = size;
      continue;
    }
    const num = numberEnd(i);
    if (num !== -1) {
      tokens.push(token(T.NumberLit, i, num));
      i = num;
      continue;
    }
    // Nothing matches here: one error up to the next offset where something does.
    const start = i;
    do i++;
    while (i < n && !startsToken(i));
    errors.push({ offset: start, length: i - start, line: undefined, column: undefined, message: 'unexpected character' });
  }
  return { tokens, comments, errors };
}

/** [A-Za-z0-9_-]: the characters of a builtin's name. */
function isBuiltinChar(c: number): boolean {
  return isWordChar(c) || c === MINUS;
}
