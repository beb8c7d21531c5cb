// A value written as one token (number, size, string, builtin, variable or word), for both AST builders:
// the strict one (fast-parse.ts) and the recovering one (parse.ts).

import type { IToken } from 'chevrotain';
import type * as A from './ast.ts';

export function tokenValue(t: IToken, span: A.Span): A.Value {
  switch (t.tokenType.name) {
    case 'NumberLit':
      return { kind: 'number', value: Number(t.image), raw: t.image, span };
    case 'Size':
      return { kind: 'size', dims: t.image.split('x').map(Number), raw: t.image, span };
    case 'StringLit':
      return { kind: 'string', value: unquote(t.image), raw: t.image, span };
    case 'UnterminatedString':
      return { kind: 'string', value: unquote(t.image + '"'), raw: t.image + '"', span };
    case 'BuiltinRef':
      return { kind: 'builtin', name: t.image.slice('builtin:'.length), span };
    case 'Variable':
      return { kind: 'variable', name: t.image.slice(1), span };
    default:
      return { kind: 'word', name: t.image, span };
  }
}

/** The offset just past a token. The lexer tracks start offsets only (grammar/lexer.ts), so tokens have no
 * endOffset. */
export function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

export function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}
