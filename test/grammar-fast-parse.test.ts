// parseEmo reads a file without syntax errors with a strict parser that builds the AST directly
// (grammar/fast-parse.ts) and leaves files with errors to chevrotain's recovering parser. The strict parser
// must accept exactly the files on which chevrotain reports nothing, and give the AST chevrotain's path
// gives: checked on every spec in the repository (whole and cut short), on random derivations of the
// grammar, and on random one-token edits of them (most of which are errors).

import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PUNCTUATION, repoSpecs, ROOT } from './spec-files.ts';
import { fastParse } from '../grammar/fast-parse.ts';
import { scan } from '../grammar/scan.ts';
import { parseEmo } from '../grammar/parse.ts';
import { emoParser } from '../grammar/parser.ts';

/** Whether chevrotain's parser finds any syntax error in `text` (lexer errors aside: both paths share them). */
function chevrotainFindsError(text: string): boolean {
  const parser = emoParser();
  parser.input = scan(text).tokens;
  parser.file();
  return parser.errors.length > 0 || parser.junk.length > 0 || parser.skipped.length > 0;
}

function strictAccepts(text: string): boolean {
  const zero = { start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 }, file: '' };
  return fastParse(scan(text).tokens, { tokenSpan: () => zero, spanOf: () => zero }) !== null;
}

/** Both paths on one text: the strict one accepts iff chevrotain finds no error, and the results agree. */
function expectSameParse(text: string, label: string): boolean {
  const accepted = strictAccepts(text);
  expect(accepted, `${label}: strict parser ${accepted ? 'accepts' : 'rejects'} it`).toBe(!chevrotainFindsError(text));
  expect(parseEmo(text, 'x.emo'), label).toEqual(parseEmo(text, 'x.emo', { recoveringOnly: true }));
  return accepted;
}

// A random derivation of the grammar in grammar/parser.ts, as text. Words include the keywords, which
// the grammar takes as names in many places.
const WORDS = ['conv', 'fc', 'relu', 'x', 'lr', 'flip', 'residual', 'repeat', 'block', 'data', 'model', 'extends', 'import', 'experiment'];
const SECTIONS = ['data', 'augment', 'model', 'backbone', 'head', 'train', 'sweep'];
const KEYWORDS = ['experiment', 'extends', 'import', 'block', 'residual', 'repeat', ...SECTIONS];
const SCALARS = ['3', '0.5', '-1e-3', '48x48', '160x160x3', '"s"', '"a \\"q\\""', '$lr', 'builtin:faces'];

class Derivation {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  private rand(n: number): number {
    // xorshift32: deterministic per seed, so a failure names its seed.
    this.state ^= this.state << 13;
    this.state ^= this.state >>> 17;
    this.state ^= this.state << 5;
    return (this.state >>> 0) % n;
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[this.rand(xs.length)]!;
  }
  private many(max: number, f: () => string, sep: string): string {
    return Array.from({ length: this.rand(max + 1) }, f).join(sep);
  }
  private nl(): string {
    return this.pick(['\n', '\n', ';', '\n\n', ' # note\n', '\r\n']);
  }
  private value(depth: number): string {
    const r = this.rand(depth > 1 ? 4 : 10);
    if (r < 2) return this.pick(WORDS);
    if (r < 4) return this.pick(SCALARS);
    if (r < 7) return `[${this.rand(2) ? '\n' : ''}${this.many(3, () => this.value(depth + 1), this.pick([', ', ',\n']))}]`;
    return `{${this.many(2, () => `${this.pick(WORDS)}: ${this.value(depth + 1)}`, ', ')}}`;
  }
  private arg(depth: number): string {
    return this.rand(3) ? this.value(depth) : `${this.pick(WORDS)}=${this.value(depth)}`;
  }
  private call(depth: number): string {
    const repeat = this.rand(5) ? '' : `repeat ${this.rand(12) + 1} `;
    if (depth < 2 && !this.rand(6)) return `${repeat}residual ${this.rand(2) ? 'relu ' : ''}${this.block(depth + 1)}`;
    return `${repeat}${this.pick(WORDS)} ${this.many(3, () => this.arg(depth), ' ')}`;
  }
  private pipeline(depth: number): string {
    return [this.call(depth), ...Array.from({ length: this.rand(3) }, () => this.call(depth))].join(this.pick([' | ', ' |\n', '\n  | ']));
  }
  private block(depth: number): string {
    return `{${this.nl()}${this.many(3, () => this.pipeline(depth), this.nl())}${this.rand(2) ? this.nl() : ''}}`;
  }
  private section(): string {
    const header = this.many(2, () => this.pick([...WORDS, '"s"', '$v']), ' ');
    return `${this.pick(SECTIONS)} ${header} ${this.rand(4) ? this.block(0) : ''}`;
  }
  private item(): string {
    switch (this.rand(4)) {
      case 0:
        return `import "${this.pick(WORDS)}.emo"`;
      case 1:
        return `experiment ${this.pick(WORDS)} ${this.rand(2) ? `extends ${this.pick(WORDS)} ` : ''}{${this.nl()}${this.many(3, () => this.section(), this.nl())}${this.nl()}}`;
      case 2: {
        const params = this.rand(2)
          ? `(${this.many(3, () => `${this.pick(WORDS)}${this.rand(2) ? `=${this.value(1)}` : ''}`, ',\n ')})`
          : '';
        return `block ${this.pick(WORDS)}${params} ${this.rand(3) ? '' : `residual ${this.rand(2) ? 'relu ' : ''}`}${this.block(0)}`;
      }
      default:
        return this.section();
    }
  }
  file(): string {
    return `${this.rand(2) ? this.nl() : ''}${this.many(4, () => this.item(), this.nl())}${this.rand(2) ? '\n' : ''}`;
  }
  /** One token-sized edit: delete, duplicate or replace a piece of the text. */
  edit(text: string): string {
    const pieces = text.split(/(\s+|[{}[\](),;|=:])/).filter((p) => p !== '');
    // Edit a token, not the blanks between tokens (which would mostly change nothing).
    const tokens = pieces.flatMap((p, k) => (/^[ \t]+$/.test(p) ? [] : [k]));
    const i = tokens.length ? tokens[this.rand(tokens.length)]! : 0;
    const other = this.pick([...PUNCTUATION, 'conv', '3', '"s"', 'repeat', 'residual', 'data', 'import', 'extends', 'block']);
    const keywords = tokens.filter((k) => KEYWORDS.includes(pieces[k]!));
    switch (this.rand(4)) {
      case 0:
        pieces.splice(i, 1);
        break;
      case 1:
        pieces.splice(i, 0, ` ${other} `);
        break;
      case 2:
        pieces[i] = other;
        break;
      default:
        // One keyword for another, where the grammar wants a particular one (`experiment x import y {`).
        if (keywords.length) pieces[keywords[this.rand(keywords.length)]!] = this.pick(KEYWORDS);
    }
    return pieces.join('');
  }
}

describe('the strict parser (fast path of parseEmo)', () => {
  it('gives the same result as chevrotain on every spec in the repository, whole and cut short', () => {
    const files = repoSpecs();
    expect(files.length).toBeGreaterThan(5);
    let accepted = 0;
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      for (const cut of [text.length, Math.floor(text.length / 2), Math.floor(text.length / 3), Math.floor((text.length * 3) / 4)]) {
        if (expectSameParse(text.slice(0, cut), `${path.relative(ROOT, f)} cut at ${cut}`)) accepted++;
      }
    }
    // Most whole specs are valid: the fast path is taken, not only the fallback.
    expect(accepted).toBeGreaterThan(files.length / 2);
  });

  it('accepts random derivations of the grammar and builds the AST chevrotain builds', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const text = new Derivation(seed).file();
        if (expectSameParse(text, `derivation ${seed}:\n${text}`)) accepted++;
      }),
      { numRuns: 300, seed: 1 },
    );
    expect(accepted).toBeGreaterThan(250);
  });

  it('rejects exactly the edited derivations in which chevrotain finds an error', () => {
    let rejected = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const d = new Derivation(seed);
        let text = d.file();
        for (let k = 1 + (seed % 2); k > 0 && text.length > 0; k--) text = d.edit(text);
        if (!expectSameParse(text, `edited derivation ${seed}:\n${text}`)) rejected++;
      }),
      { numRuns: 1500, seed: 2 },
    );
    expect(rejected).toBeGreaterThan(50);
  });

  it('rejects near misses of the grammar, which chevrotain reports', () => {
    const nearMisses = [
      'experiment x import y {\n}\n',
      'experiment x extends {\n}\n',
      'experiment {\n}\n',
      'import data\n',
      'import "a.emo" "b.emo"\n',
      'block b(k=) {\n  conv 8 k3\n}\n',
      'block b(x y) {\n}\n',
      'model {\n  conv [1, ]\n}\n',
      'model {\n  conv {a: 1,}\n}\n',
      'model {\n  conv {a 1}\n}\n',
      'data 3 {\n}\n',
      'model {\n  conv 8 | | bn\n}\n',
      'model {\n  repeat 2\n}\n',
      'model { conv 8 } }\n',
      'experiment e {\n  data {\n  }\n  conv 8\n}\n',
    ];
    for (const text of nearMisses) {
      expect(strictAccepts(text), text).toBe(false);
      expectSameParse(text, text);
    }
  });

  it('keeps the recovering path for a file with an error: every error is reported', () => {
    const { diagnostics } = parseEmo('experiment e {\n  model {\n    conv 8 = 3\n    fc 7 ]\n  }\n}\n', 'x.emo');
    expect(diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['E002 3:12', 'E002 4:10']);
  });
});
