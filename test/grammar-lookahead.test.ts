// The build's parser takes its lookahead from a table recorded ahead of time (grammar/lookahead.ts) instead
// of deriving it from the grammar at start. It must parse exactly as chevrotain's own: the same tree, the
// same errors, the same recovery, on every spec in the repository (whole and cut short) and on random
// token soup.

import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { CstElement, CstNode, IToken } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import { PUNCTUATION, repoSpecs, ROOT } from './spec-files.ts';
import { scan } from '../grammar/scan.ts';
import { RecordingLookahead, TableLookahead } from '../grammar/lookahead.ts';
import { EmoParser, MAX_LOOKAHEAD } from '../grammar/parser.ts';
import * as T from '../grammar/lexer.ts';

const recorder = new RecordingLookahead({ maxLookahead: MAX_LOOKAHEAD });
const derived = new EmoParser(recorder);
const fromTable = new EmoParser(new TableLookahead(recorder.table, T.allTokens, { maxLookahead: MAX_LOOKAHEAD }));

const tok = (t: IToken) => `${t.tokenType.name}@${t.startOffset}${t.isInsertedInRecovery ? '+' : ''}`;
function tree(n: CstElement): unknown {
  if (!('children' in n)) return tok(n);
  const node = n as CstNode;
  return {
    name: node.name,
    recovered: node.recoveredNode ?? false,
    children: Object.entries(node.children).map(([k, v]) => [k, v.map(tree)]),
  };
}

function parseWith(parser: EmoParser, text: string) {
  parser.input = scan(text).tokens;
  const cst = parser.file();
  return {
    cst: tree(cst),
    errors: parser.errors.map((e) => `${e.name} ${e.message} at ${tok(e.token)}`),
    junk: parser.junk.map((j) => `${j.context} ${tok(j.token)}`),
    skipped: parser.skipped.map(tok),
  };
}

describe('the recorded lookahead table', () => {
  it('covers every OR, OPTION and MANY of the grammar, with paths of known tokens', () => {
    const keys = Object.keys(recorder.table);
    expect(keys.some((k) => k.includes('/Alternation/'))).toBe(true);
    expect(keys.some((k) => k.includes('/Repetition/'))).toBe(true);
    expect(keys.some((k) => k.includes('/Option/'))).toBe(true);
    const names = new Set([...T.allTokens.map((t) => t.name), 'EOF']);
    for (const alts of Object.values(recorder.table))
      for (const alt of alts) for (const p of alt) for (const n of p) expect(names.has(n)).toBe(true);
  });

  it('parses every spec in the repository, whole and cut short, exactly as the derived lookahead does', () => {
    const files = repoSpecs();
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      for (const cut of [text.length, Math.floor(text.length / 2), Math.floor(text.length / 3), Math.floor((text.length * 3) / 4)]) {
        const part = text.slice(0, cut);
        expect(parseWith(fromTable, part), `${path.relative(ROOT, f)} cut at ${cut}`).toEqual(parseWith(derived, part));
      }
    }
  });

  it('parses random token soup exactly as the derived lookahead does (errors and recovery included)', () => {
    const words = [
      'experiment',
      'extends',
      'import',
      'block',
      'residual',
      'repeat',
      'data',
      'model',
      'train',
      'sweep',
      'augment',
      'head',
      'backbone',
      'conv',
      'fc',
      'relu',
      'x',
      ...PUNCTUATION,
      '"s"',
      '3',
      '0.5',
      '48x48',
      '$lr',
      'builtin:faces',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { maxLength: 40 }), (ws) => {
        const text = ws.join(' ');
        expect(parseWith(fromTable, text)).toEqual(parseWith(derived, text));
      }),
      { numRuns: 400, seed: 14 },
    );
  });
});
