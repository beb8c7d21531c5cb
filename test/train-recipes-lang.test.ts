// The training-recipe settings through the front end: the IR of each form with every default
// explicit, golden diagnostics (code, line, column, message and hint written by hand from the text),
// fmt keeping the IR, and a sweep over label smoothing.

import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import { formatEmo } from '../compiler/format/format.ts';

const MAIN = '/virtual/recipes.emo';
const spec = (...train: string[]) =>
  ['experiment e {', '  model {', '    flatten', '    fc 7', '  }', '  train {', ...train.map((t) => `    ${t}`), '  }', '}', ''].join(
    '\n',
  );
const run = (text: string) => compile(MAIN, { text, checkPackages: false });
const trainOf = (text: string) => {
  const r = run(text);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.experiments[0]!.train;
};

describe('training recipes: IR', () => {
  it('adamw, cosine warm-up, label smoothing and clip-norm as written', () => {
    const t = trainOf(
      spec(
        'epochs 6',
        'optimizer adamw lr=2e-3 weight-decay=5e-4',
        'schedule cosine warmup=2 min=1e-5',
        'label-smoothing 0.1',
        'clip-norm 5',
      ),
    );
    expect(t.optimizer).toEqual({ kind: 'adamw', lr: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 5e-4 });
    expect(t.schedule).toEqual({ kind: 'cosine', minLr: 1e-5, warmup: 2 });
    expect(t.labelSmoothing).toBe(0.1);
    expect(t.clipNorm).toBe(5);
  });

  it('every default is explicit: adamw 1e-2, sgd no decay, no warm-up, no smoothing, no clipping', () => {
    expect(trainOf(spec('optimizer adamw')).optimizer).toEqual({
      kind: 'adamw',
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      weightDecay: 0.01,
    });
    const t = trainOf(spec('optimizer sgd lr=0.1 momentum=0.9 nesterov', 'schedule cosine'));
    expect(t.optimizer).toEqual({ kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0 });
    expect(t.schedule).toEqual({ kind: 'cosine', minLr: 0, warmup: 0 });
    expect(t.labelSmoothing).toBe(0);
    expect(t.clipNorm).toBeNull();
    expect(trainOf(spec('optimizer sgd weight-decay=5e-4')).optimizer).toMatchObject({ kind: 'sgd', weightDecay: 5e-4 });
    expect(trainOf(spec('schedule onecycle')).schedule).toEqual({ kind: 'onecycle', rise: 0.3, div: 25, finalDiv: 1e4 });
    expect(trainOf(spec('schedule onecycle rise=0.25 div=10 final-div=100')).schedule).toEqual({
      kind: 'onecycle',
      rise: 0.25,
      div: 10,
      finalDiv: 100,
    });
    expect(trainOf(spec('clip-norm none')).clipNorm).toBeNull();
  });

  it('fmt keeps the IR of every recipe form', async () => {
    const text = spec(
      'epochs 4',
      'optimizer   sgd lr=0.1   nesterov weight-decay=5e-4',
      'schedule onecycle  rise=0.4',
      'label-smoothing 0.05',
      'clip-norm 1',
    );
    const formatted = await formatEmo(text, { filepath: 'recipes.emo' });
    expect(formatted.ok).toBe(true);
    if (!formatted.ok) return;
    expect(formatted.text).toContain('optimizer sgd lr=0.1 nesterov weight-decay=5e-4');
    const strip = (ir: unknown) => JSON.parse(JSON.stringify(ir, (k, v) => (k === 'src' || k === 'hash' ? undefined : v)));
    expect(strip(run(formatted.text).experiments)).toEqual(strip(run(text).experiments));
  });

  it('label smoothing and clip-norm can be swept', () => {
    const sweep = ['  sweep {', '    train.label-smoothing in [0, 0.1]', '    train.clip-norm in [none, 2]', '  }'];
    const text = spec('optimizer adamw').replace('  train {', `${sweep.join('\n')}\n  train {`);
    const r = run(text);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.experiments.map((e) => [e.train.labelSmoothing, e.train.clipNorm])).toEqual([
      [0, null],
      [0, 2],
      [0.1, null],
      [0.1, 2],
    ]);
  });
});

type Golden = { lines: string[]; code: string; line: number; column: number; message: string; hint: string };

// Line 7 is the first train line of `spec` (experiment, model, flatten, fc, }, train), column 5 its first character.
const GOLDEN: Golden[] = [
  {
    lines: ['optimizer adam lr=1e-3 weight-decay=0.1'],
    code: 'E071',
    line: 7,
    column: 28,
    message: "adam does not take weight-decay: decoupled weight decay is the optimizer 'adamw'",
    hint: 'write: optimizer adamw weight-decay=...',
  },
  {
    lines: ['epochs 3', 'schedule cosine warmup=3'],
    code: 'E072',
    line: 8,
    column: 21,
    message: 'a warm-up of 3 epochs leaves no epoch for the cosine of a 3-epoch run',
    hint: 'use warmup=2 or fewer',
  },
  {
    lines: ['label-smoothing 1'],
    code: 'E070',
    line: 7,
    column: 21,
    message: 'label-smoothing must be less than 1, not 1',
    hint: 'for example: label-smoothing 0.1',
  },
  {
    lines: ['label-smoothing -0.1'],
    code: 'E070',
    line: 7,
    column: 21,
    message: 'label-smoothing must be at least 0, not -0.1',
    hint: 'for example: label-smoothing 0.1',
  },
  {
    lines: ['clip-norm 0'],
    code: 'E070',
    line: 7,
    column: 15,
    message: 'clip-norm must be greater than 0, not 0',
    hint: 'for example: clip-norm 5',
  },
  {
    lines: ['optimizer adamw weight-decay=2'],
    code: 'E070',
    line: 7,
    column: 34,
    message: 'weight-decay must be at most 1, not 2',
    hint: 'for example: optimizer adamw weight-decay=5e-4',
  },
  {
    lines: ['schedule cosine warmup=1.5'],
    code: 'E070',
    line: 7,
    column: 28,
    message: 'warmup (epochs) must be a whole number, not 1.5',
    hint: 'for example: schedule cosine warmup=2',
  },
  {
    lines: ['schedule onecycle rise=1'],
    code: 'E070',
    line: 7,
    column: 28,
    message: 'rise (a fraction of training) must be less than 1, not 1',
    hint: 'for example: schedule onecycle rise=0.3 div=25 final-div=1e4',
  },
  { lines: ['clip-norm'], code: 'E012', line: 7, column: 5, message: "'clip-norm' needs clip-norm", hint: 'for example: clip-norm 5' },
  {
    lines: ['label-smoothing high'],
    code: 'E013',
    line: 7,
    column: 21,
    message: "label-smoothing must be a number, not 'high'",
    hint: 'for example: label-smoothing 0.1',
  },
];

describe('training recipes: golden diagnostics', () => {
  for (const g of GOLDEN) {
    it(`${g.code} ${g.lines.join('; ')}`, () => {
      const ds = run(spec(...g.lines)).diagnostics.filter((d) => d.severity === 'error');
      expect(ds.map((d) => ({ code: d.code, line: d.line, column: d.column, message: d.message, hint: d.hint }))).toEqual([
        { code: g.code, line: g.line, column: g.column, message: g.message, hint: g.hint },
      ]);
    });
  }

  it("E071's fix turns adam into adamw", () => {
    const text = spec('optimizer adam weight-decay=0.1');
    const d = run(text).diagnostics.find((x) => x.code === 'E071')!;
    const fixed = text.slice(0, d.fix!.start) + d.fix!.replacement + text.slice(d.fix!.end);
    expect(trainOf(fixed).optimizer).toMatchObject({ kind: 'adamw', weightDecay: 0.1 });
  });
});

describe('training recipes: lint', () => {
  it('weight-decay-range flags an SGD-sized decay on adamw and an adamw-sized one on sgd, at the optimizer line', async () => {
    const { lintFile } = await import('../compiler/lint/lint.ts');
    const findings = lintFile('test/fixtures/lint/train.emo').findings.filter((f) => f.rule === 'weight-decay-range');
    expect(findings.map((f) => [f.line, f.column, f.message])).toEqual([
      [8, 5, 'weight-decay 0.0005 barely decays the weights with adamw (usual: 0.001..0.3; the decay is multiplied by lr)'], //  8:     optimizer adamw ...
      [
        13,
        5,
        'weight-decay 0.05 shrinks the weights faster than training can use them with sgd (usual: 0.00001..0.01; the decay is multiplied by lr)',
      ], // 13:     optimizer sgd ...
    ]);
  });
});
