// parseEmo's scanner (grammar/scan.ts) must cut every text exactly as chevrotain's lexer does from the
// token definitions in grammar/lexer.ts: the same tokens (type, text, offset), the same comments and the
// same errors (offset, length). Checked on every spec in the repository, on each cut short, and on random
// texts built from the characters where the definitions' edges are.

import * as fs from 'node:fs';
import type { IToken } from 'chevrotain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PUNCTUATION, repoSpecs } from './spec-files.ts';
import { emoLexer } from '../grammar/lexer.ts';
import { scan } from '../grammar/scan.ts';

const show = (t: IToken) => [t.tokenType.name, t.image, t.startOffset];

function expectSameAsChevrotain(text: string, label: string): void {
  const ours = scan(text);
  const theirs = emoLexer().tokenize(text);
  expect(ours.tokens.map(show), label).toEqual(theirs.tokens.map(show));
  expect(ours.comments.map(show), label).toEqual((theirs.groups.comments ?? []).map(show));
  expect(
    ours.errors.map((e) => [e.offset, e.length]),
    label,
  ).toEqual(theirs.errors.map((e) => [e.offset, e.length]));
  // The parsers compare token types by index: the scanner's must be the definitions' own.
  for (const t of ours.tokens) expect(t.tokenTypeIdx).toBe(t.tokenType.tokenTypeIdx);
}

describe('scan', () => {
  it('reads the language as written', () => {
    const types = (text: string) => scan(text).tokens.map((t) => [t.tokenType.name, t.image]);
    expect(types('data dataset model-2 head.x')).toEqual([
      ['Data', 'data'],
      ['Identifier', 'dataset'],
      ['Identifier', 'model-2'],
      ['Identifier', 'head.x'],
    ]);
    expect(types('input 160x160x3 1x2x3x4 builtin:faces builtin: $w -1.5e-3 .5 x-')).toEqual([
      ['Identifier', 'input'],
      ['Size', '160x160x3'],
      ['NumberLit', '1'],
      ['Identifier', 'x2x3x4'],
      ['BuiltinRef', 'builtin:faces'],
      ['Identifier', 'builtin'],
      ['Colon', ':'],
      ['Variable', '$w'],
      ['NumberLit', '-1.5e-3'],
      ['NumberLit', '.5'],
      ['Identifier', 'x'],
    ]);
    const s = scan('a "b\\"c" "open\r\n# note\n@@ !b');
    expect(s.tokens.map((t) => [t.tokenType.name, t.image])).toEqual([
      ['Identifier', 'a'],
      ['StringLit', '"b\\"c"'],
      ['UnterminatedString', '"open'],
      ['Newline', '\r\n'],
      ['Newline', '\n'],
      ['Identifier', 'b'],
    ]);
    expect(s.comments.map((t) => t.image)).toEqual(['# note']);
    // `@@` is one error up to the blank (a token: skipped), `!` another.
    expect(s.errors.map((e) => [e.offset, e.length])).toEqual([
      [23, 2],
      [26, 1],
    ]);
    expect(scan('x-').errors.map((e) => [e.offset, e.length])).toEqual([[1, 1]]);
  });

  it('matches chevrotain on every spec in the repository, whole and cut short', () => {
    const specs = repoSpecs();
    expect(specs.length).toBeGreaterThan(10);
    for (const file of specs) {
      const text = fs.readFileSync(file, 'utf8');
      expectSameAsChevrotain(text, file);
      for (let cut = 7; cut < text.length; cut += 97) expectSameAsChevrotain(text.slice(0, cut), `${file} cut at ${cut}`);
    }
  });

  it("matches chevrotain on random text around the definitions' edges", () => {
    const pieces = [
      ...PUNCTUATION,
      ...'aZ_09xXeE-+.$"\\#@é \t\r'.split(''),
      '\u2028',
      '\r\n',
      'builtin:',
      'data',
      'residual',
      'conv',
      '160x160x3',
      '1.5e-3',
      '"s"',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
        expectSameAsChevrotain(parts.join(''), JSON.stringify(parts.join('')));
      }),
      { numRuns: 3000, seed: 14 },
    );
  });
});
