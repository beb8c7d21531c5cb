// Property tests of the front end: whatever the text, `compile` returns diagnostics (never throws), and
// every diagnostic's span lies inside the text it points into.
//
// Runs are seeded so a failure reproduces; set FC_SEED to explore other seeds (FC_RUNS for more runs).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { compile, type CompileResult } from '../compiler/compile.ts';
import { PUNCTUATION } from './spec-files.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SPECS = path.join(ROOT, 'specs');
const specNames = fs
  .readdirSync(SPECS)
  .filter((f) => f.endsWith('.emo'))
  .sort();
const specTexts = new Map(specNames.map((f) => [path.join(SPECS, f), fs.readFileSync(path.join(SPECS, f), 'utf8')]));

const RUNS = Number(process.env.FC_RUNS ?? 200);
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20240611;
const params = { numRuns: RUNS, seed: SEED };

const MAIN = path.join(SPECS, '__property__.emo');

/** Throws with a readable message when a diagnostic points outside its text. */
function checkSpans(r: CompileResult, files: Map<string, string>): void {
  for (const d of r.diagnostics) {
    const text = files.get(d.file) ?? r.program.texts.get(d.file);
    if (text === undefined) throw new Error(`diagnostic in a file with no text: ${JSON.stringify(d)}`);
    const lines = text.split('\n');
    const inside = (line: number, column: number) =>
      Number.isInteger(line) &&
      Number.isInteger(column) &&
      line >= 1 &&
      line <= lines.length &&
      column >= 1 &&
      column <= lines[line - 1].length + 1;
    if (!inside(d.line, d.column))
      throw new Error(`start ${d.line}:${d.column} outside the text (${lines.length} lines): ${JSON.stringify(d)}`);
    if (!inside(d.endLine, d.endColumn)) {
      throw new Error(
        `end ${d.endLine}:${d.endColumn} outside the text (line ${d.endLine} has ${lines[d.endLine - 1]?.length} characters): ${JSON.stringify(d)}`,
      );
    }
    if (d.endLine < d.line || (d.endLine === d.line && d.endColumn < d.column)) throw new Error(`end before start: ${JSON.stringify(d)}`);
  }
}

/** Compiles `text` as a file in specs/ (so imports of the real specs resolve) and checks the two properties. */
function compileChecked(text: string): void {
  const files = new Map(specTexts);
  files.set(MAIN, text);
  let r: CompileResult;
  try {
    r = compile(MAIN, { text, readFile: (f) => (f === MAIN ? text : specTexts.get(f)), checkPackages: false });
  } catch (e) {
    throw new Error(`compile threw on ${JSON.stringify(text)}: ${(e as Error).stack}`);
  }
  try {
    checkSpans(r, files);
  } catch (e) {
    throw new Error(`${(e as Error).message}\ninput: ${JSON.stringify(text)}`);
  }
}

// The language's tokens, including broken ones.
const TOKENS = [
  'experiment',
  'extends',
  'import',
  'data',
  'augment',
  'model',
  'backbone',
  'head',
  'train',
  'sweep',
  'e',
  'base',
  's1',
  'faces',
  'heads',
  'tiny',
  ...PUNCTUATION,
  '\n',
  '\n',
  '\r\n',
  '"faces"',
  '"face-data.emo"',
  '"s1.emo"',
  '"open',
  '"{tap}-h{hidden}"',
  '""',
  '160x160x3',
  '32x32x1',
  '144x144',
  '8x8',
  '7',
  '0',
  '-1',
  '1e-3',
  '0.5',
  '2',
  '128',
  '1.5',
  '.5',
  '99999999999999999999',
  'builtin:faces',
  'builtin:cats',
  '$hidden',
  '$tap',
  '$',
  'none',
  'conv',
  'fc',
  'flatten',
  'maxpool',
  'avgpool',
  'bn',
  'dropout',
  'l2norm',
  'softmax',
  'relu',
  'tanh',
  'k3',
  'k0',
  'k5x3',
  'kx',
  's2',
  's0',
  'valid',
  'same',
  'nobias',
  'default',
  'activation',
  'padding',
  'tap',
  'frozen',
  'finetune',
  'faceres',
  'mobilefacenet',
  'concat',
  'l2',
  'in',
  'name',
  'source',
  'input',
  'classes',
  'split',
  'flip',
  'tencrop',
  'randomcrop',
  'rotate',
  'zoom',
  'shift',
  'erase',
  'degrees=10',
  'size=0.2',
  'test',
  'epochs',
  'batch',
  'optimizer',
  'adam',
  'sgd',
  'lr',
  'seed',
  'schedule',
  'step',
  'every',
  'early-stop',
  'val_acc',
  'class-weights',
  'balanced',
  'train.lr',
  'data.split',
  'x.y',
  'adamw',
  'weight-decay=5e-4',
  'label-smoothing',
  'clip-norm',
  'cosine',
  'warmup=2',
  'onecycle',
  'rise=0.3',
  '# comment',
  '#',
  '@',
  '%',
  '\t',
  '\\',
  'é',
  '😀',
  'block',
  'residual',
  'repeat',
  '(',
  ')',
  'convbn',
  'basic',
  '$filters',
  'filters',
  'k=3',
  'stride=2',
];
const SEPARATORS = [' ', ' ', ' ', '', '\n', '  ', '\t'];

const tokenSoup = fc
  .array(fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom(...SEPARATORS)), { maxLength: 60 })
  .map((parts) => parts.map(([t, s]) => t + s).join(''));

const charSoup = fc.string({ unit: fc.constantFrom(...'{}[]|=:;,"\n\r#$ \tx0k3.-e'.split('')), maxLength: 80 });

/** A plausible experiment with random parts left out or repeated. */
const experimentish = fc
  .record({
    name: fc.constantFrom('e', 'a-b', 'x.y', 'experiment', 'model'),
    base: fc.option(fc.constantFrom('e', 's1', 'nope'), { nil: undefined }),
    sections: fc.array(
      fc.tuple(
        fc.constantFrom('data', 'augment', 'model', 'backbone', 'head', 'train', 'sweep', 'bogus'),
        fc.array(fc.array(fc.constantFrom(...TOKENS.filter((t) => !t.includes('\n'))), { maxLength: 5 }), { maxLength: 6 }),
        fc.boolean(),
      ),
      { maxLength: 6 },
    ),
  })
  .map(({ name, base, sections }) => {
    const body = sections.map(([kw, lines, braces]) =>
      braces ? `  ${kw} {\n${lines.map((l) => `    ${l.join(' ')}`).join('\n')}\n  }` : `  ${kw} ${lines[0]?.join(' ') ?? ''}`,
    );
    return `experiment ${name}${base ? ` extends ${base}` : ''} {\n${body.join('\n')}\n}\n`;
  });

describe('random text never throws and every diagnostic lies inside the input', () => {
  it('arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), charSoup), (text) =>
        compileChecked(text),
      ),
      params,
    );
  });

  it('strings built from the language tokens', () => {
    fc.assert(
      fc.property(tokenSoup, (text) => compileChecked(text)),
      params,
    );
  });

  it('experiment-shaped text with random sections and lines', () => {
    fc.assert(
      fc.property(experimentish, (text) => compileChecked(text)),
      params,
    );
  });

  it('edge cases', () => {
    for (const text of [
      '',
      '\n',
      '\r\n',
      '\r',
      '{',
      '}',
      '[',
      '"',
      '#',
      'experiment',
      'experiment e {',
      'experiment e {\n  model {\n',
      'import',
      'import "',
      '\uFEFFexperiment e {}',
    ])
      compileChecked(text);
  });
});

/** A spec split into tokens: words, numbers, punctuation, strings, comments, whitespace runs. */
const lex = (text: string): string[] => text.match(/"[^"\n]*"?|#[^\n]*|\r?\n|[ \t]+|[A-Za-z0-9_$.:-]+|./g) ?? [];

type Op =
  | { kind: 'deleteToken' | 'duplicateToken' | 'deleteChar'; at: number }
  | { kind: 'insertToken'; at: number; token: string }
  | { kind: 'insertChar'; at: number; char: string }
  | { kind: 'swapTokens'; at: number; with: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('deleteToken' as const, 'duplicateToken' as const, 'deleteChar' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insertToken' as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant('insertChar' as const), at: fc.nat(), char: fc.constantFrom(...'{}[]|=:;,"\n#$ x0@'.split('')) }),
  fc.record({ kind: fc.constant('swapTokens' as const), at: fc.nat(), with: fc.nat() }),
);

function mutate(text: string, ops: Op[]): string {
  let tokens = lex(text);
  for (const o of ops) {
    const n = tokens.length;
    switch (o.kind) {
      case 'deleteToken':
        if (n) tokens.splice(o.at % n, 1);
        break;
      case 'duplicateToken':
        if (n) tokens.splice(o.at % n, 0, tokens[o.at % n]);
        break;
      case 'insertToken':
        tokens.splice(o.at % (n + 1), 0, o.token);
        break;
      case 'swapTokens':
        if (n) {
          const i = o.at % n;
          const j = o.with % n;
          [tokens[i], tokens[j]] = [tokens[j], tokens[i]];
        }
        break;
      case 'deleteChar':
      case 'insertChar': {
        const flat = tokens.join('');
        const at = o.at % (flat.length + 1);
        const next = o.kind === 'insertChar' ? flat.slice(0, at) + o.char + flat.slice(at) : flat.slice(0, at) + flat.slice(at + 1);
        tokens = lex(next);
        break;
      }
    }
  }
  return tokens.join('');
}

// Blocks, repeat and residuals (named, imported parameters, recursion) get edited like the specs.
const BLOCKS_SPEC = fs.readFileSync(path.join(ROOT, 'test/fixtures/fmt/blocks.output.emo'), 'utf8');
const blockish = fc
  .tuple(
    fc.constantFrom(
      'block b(f, s=1) {',
      'block b(f) residual {',
      'block b residual relu {',
      'block b(f, f) {',
      'block b(',
      'block conv(f) {',
    ),
    fc.array(fc.constantFrom('conv $f k3 s$s', 'b $f', 'residual { conv 8 k3 | bn }', 'repeat 2 b 8', 'repeat 0 bn', 'fc $g', 'bn'), {
      maxLength: 3,
    }),
    fc.array(
      fc.constantFrom(
        'b 8',
        'b f=8 s=2',
        'b',
        'b 1 2 3',
        'bb 8',
        'repeat 3 b 8 | relu',
        'residual relu { conv 8 k3 s2 valid }',
        'residual',
        'repeat x',
      ),
      { maxLength: 4 },
    ),
  )
  .map(
    ([head, body, calls]) =>
      `${head}\n  ${body.join('\n  ')}\n}\nexperiment e {\n  data { input 48x48x1 }\n  model {\n    ${calls.join('\n    ')}\n    avgpool | fc 7\n  }\n}\n`,
  );

describe('blocks: random definitions and calls, and edits of a spec with blocks', () => {
  it('generated block definitions and calls', () => {
    fc.assert(
      fc.property(blockish, (text) => compileChecked(text)),
      params,
    );
  });

  it('the blocks fixture with 1 to 8 random edits', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 8 }), (ops) => compileChecked(mutate(BLOCKS_SPEC, ops))),
      params,
    );
  });
});

describe('mutated specs never throw and every diagnostic lies inside the input', () => {
  it('the lexer used for mutations gives the spec back unchanged', () => {
    for (const text of specTexts.values()) if (lex(text).join('') !== text) throw new Error('lex is not lossless');
  });

  it('every spec of specs/ with 1 to 4 random token or character edits', () => {
    fc.assert(
      fc.property(fc.constantFrom(...specTexts.values()), fc.array(op, { minLength: 1, maxLength: 4 }), (text, ops) =>
        compileChecked(mutate(text, ops)),
      ),
      params,
    );
  });

  it('every spec of specs/ with many edits', () => {
    fc.assert(
      fc.property(fc.constantFrom(...specTexts.values()), fc.array(op, { minLength: 5, maxLength: 30 }), (text, ops) =>
        compileChecked(mutate(text, ops)),
      ),
      params,
    );
  });
});
