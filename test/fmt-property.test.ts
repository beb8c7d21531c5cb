// Property test of the formatter over generated specs: formatting is idempotent, keeps every comment,
// and the formatted spec compiles to the same IR (src positions aside) and the same diagnostic codes.
// The generator writes each construct in many layouts: extra spaces, `;` separators, pipelines broken
// before or after `|`, lists over lines, blank lines, and comments in every position the grammar allows.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import { withoutSrc } from '../compiler/diff/fields.ts';
import { formatEmo } from '../compiler/format/format.ts';

const RUNS = Number(process.env.FC_RUNS ?? 150);
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 424242;

const space = fc.constantFrom(' ', ' ', '  ', '\t');
const maybeComment = fc.option(fc.constantFrom('# note', '#x', '# a | b; c', '#   spaced   '), { nil: undefined });
/** End of a line: optionally a trailing comment, then a newline, and sometimes a blank line or an own-line comment. */
const eol = fc
  .tuple(maybeComment, fc.constantFrom('', '', '\n', '  # own line\n', '\n# after a blank\n'))
  .map(([c, extra]) => `${c ? ` ${c}` : ''}\n${extra}`);
const number = fc.constantFrom('1', '2', '0.5', '.5', '0.50', '1e-3', '1E-03', '1.', '010', '128', '0.001');

const layer = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('8', '16', '32'),
      fc.constantFrom('k3', 'k5', 'k3x5'),
      fc.constantFrom('', ' s2', ' s1', ' stride=2'),
      fc.constantFrom('', ' valid', ' same', ' relu'),
    )
    .map(([f, k, s, x]) => `conv ${f} ${k}${s}${x}`),
  fc.constantFrom('bn', 'bn momentum=0.99', 'maxpool 2', 'maxpool', 'avgpool 2 s2', 'relu', 'dropout 0.25', 'dropout .5'),
);
const separator = fc.constantFrom(' | ', '|', ' |\n      ', '\n      | ', ' | # c\n  ', '\n  # c\n  | ');
const pipeline = fc
  .tuple(layer, fc.array(fc.tuple(separator, layer), { maxLength: 4 }))
  .map(([first, rest]) => first + rest.map(([s, l]) => s + l).join(''));

const listOf = (items: fc.Arbitrary<string>) =>
  fc
    .tuple(
      fc.array(items, { minLength: 1, maxLength: 4 }),
      fc.constantFrom(', ', ',', ',\n    ', ', # c\n    ', ',\n    # c\n    '),
      fc.constantFrom('', '\n', ' # open\n'),
    )
    .map(([xs, sep, open]) => `[${open}${xs.join(sep)}]`);

// Blocks: definitions with parameters and defaults (residual or not), calls with positional and key=value
// arguments, `repeat N`, and inline residuals on one line or several, with comments inside.
const blockDefs = fc
  .tuple(
    fc.constantFrom('(f, k=3)', '( f,k=3 )', '(f,\n  k=3)', '(f , k = 3)'),
    fc.constantFrom('', ' residual', ' residual relu', '  residual   relu'),
    fc.constantFrom(
      '\n  conv $f kernel=$k same | bn\n',
      ' conv $f kernel=$k same | bn ',
      '\n  # body\n  conv $f kernel=$k same # c\n  | bn\n',
      '\n\n  conv $f kernel=$k same;bn\n  # the end\n',
    ),
    fc.constantFrom('block stem { conv 8 k3 | bn }\n', 'block stem() {\n  conv 8 k3\n  bn   # norm\n}\n'),
  )
  .map(([params, residual, body, stem]) => `block cb${params}${residual} {${body}}\n${stem}\n`);
const blockLine = fc.oneof(
  fc.constantFrom(
    'stem',
    'cb 8',
    'cb 16 k=5',
    'cb f=8',
    'cb  8  k = 1',
    'repeat 2 cb 8',
    'repeat  3 stem',
    'repeat 2 cb 8 | relu',
    'cb 8|maxpool 2',
  ),
  fc.constantFrom(
    'residual { conv 8 k3 same | bn }',
    'residual relu {conv 8 k3 same; bn}',
    'residual {\n      conv 8 k3 same # c\n      bn\n    } | relu',
    'residual { # open\n      cb 8\n      # own line\n    }',
    'repeat 2 residual { bn }',
  ),
);

const model = fc
  .tuple(
    fc.array(fc.tuple(fc.oneof(pipeline, blockLine), eol), { minLength: 0, maxLength: 5 }),
    fc.constantFrom('fc 7 | softmax', 'fc 7 softmax', 'fc 7', 'fc 5 | softmax'),
    fc.boolean(),
  )
  .map(
    ([lines, last, defaults]) =>
      `  model {${defaults ? ' # defaults\n    default activation relu\n' : '\n'}${lines.map(([p, e]) => `    ${p}${e}`).join('')}    flatten\n    fc ${'$hidden'}; ${last}\n  }\n`,
  );

const data = fc
  .tuple(fc.constantFrom('48x48x1', '64x64x3'), number, fc.boolean())
  .map(([input, split, oneLine]) =>
    oneLine
      ? `  data { input ${input}; split ${split === '010' ? '0.1' : split.startsWith('1') ? '0.2' : split} }\n`
      : `  data {\n    source builtin:faces # faces\n    input ${input}\n  }\n`,
  );
const train = fc
  .tuple(
    number,
    fc.constantFrom('adam', 'sgd', 'adamw   weight-decay=5e-4', 'sgd nesterov weight-decay=1e-4'),
    fc.boolean(),
    fc.constantFrom(
      '',
      '    label-smoothing 0.1\n',
      '    schedule cosine warmup=1 min=1e-5\n    clip-norm  5\n',
      '    schedule onecycle rise=0.25 # peak\n',
    ),
  )
  .map(
    ([lr, opt, weights, recipe]) =>
      `  train {\n    optimizer ${opt} lr=${lr}\n    epochs 3;  seed 7\n${recipe}${weights ? '    class-weights {disgust: 4, # rare\n      fear: 1.50}\n' : ''}  }\n`,
  );
const augment = fc.constantFrom(
  '',
  '  augment { flip }\n',
  '  augment {\n    tencrop 40 # crops\n    test tencrop 40\n  }\n',
  '  augment {\n    randomcrop 40; flip\n    rotate degrees=10 # turn\n    zoom 0.1\n    shift  fraction=.05\n    brightness 0.2; contrast amount=0.3\n    erase 0.5 size=0.2\n  }\n',
);
const sweep = listOf(fc.constantFrom('none', '16', '32', '64')).map((l) => `  sweep {\n    hidden in ${l}\n  }\n`);

const spec = fc
  .tuple(
    fc.constantFrom('', '# header\n\n', '\n\n# header\n'),
    data,
    augment,
    model,
    train,
    sweep,
    fc.constantFrom('', '\n\n', '\n# the end\n'),
    fc.array(space, { maxLength: 1 }),
    fc.option(blockDefs, { nil: '' }),
  )
  .map(([head, d, a, m, t, s, tail, sp, blocks]) => `${head}${blocks}experiment${sp.join('') || ' '}gen {\n${d}${a}\n${m}${t}${s}}${tail}`);

async function fmt(text: string): Promise<string> {
  const r = await formatEmo(text, { filepath: 'gen.emo' });
  if (!r.ok) throw new Error(`not formatted: ${JSON.stringify(r.diagnostics[0])}\n${text}`);
  return r.text;
}

const compiled = (text: string) => compile('gen.emo', { text, checkPackages: false, readFile: () => undefined });
const comments = (text: string) => (text.match(/#[^\n]*/g) ?? []).map((c) => c.trimEnd()).sort();

describe('formatting generated specs', () => {
  it('is idempotent, keeps every comment and compiles to the same IR', async () => {
    await fc.assert(
      fc.asyncProperty(spec, async (text) => {
        const once = await fmt(text);
        expect(await fmt(once)).toBe(once);
        expect(comments(once)).toEqual(comments(text));
        const before = compiled(text);
        const after = compiled(once);
        expect(withoutSrc(after.experiments)).toEqual(withoutSrc(before.experiments));
        expect(after.diagnostics.map((d) => d.code)).toEqual(before.diagnostics.map((d) => d.code));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
