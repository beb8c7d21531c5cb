// The random augmentations of the augment section (rotate, zoom, shift, brightness, contrast, erase):
// both written forms give the same IR, strengths are range-checked with located diagnostics (golden:
// code, line, column and message written by hand), a sweep can sweep a strength, and a frozen backbone
// refuses them. The expected IR values are the numbers in the spec text.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import { validateIR } from '../compiler/schema.ts';
import { lintFile } from '../compiler/lint/lint.ts';

const MAIN = '/virtual/aug.emo';
const L = (...lines: string[]) => lines.join('\n') + '\n';
const run = (text: string) => compile(MAIN, { text, readFile: () => undefined, checkPackages: false });
const spec = (...augment: string[]) =>
  L('experiment e {', '  augment {', ...augment.map((a) => `    ${a}`), '  }', '  model {', '    flatten', '    fc 7', '  }', '}');

describe('random augmentations in the augment section', () => {
  it('positional and key=value strengths give the same IR, in the order written', () => {
    const a = run(spec('flip', 'rotate 10', 'zoom 0.1', 'shift 0.05', 'brightness 0.2', 'contrast 0.3', 'erase 0.5'));
    const b = run(
      spec(
        'flip',
        'rotate degrees=10',
        'zoom fraction=0.1',
        'shift fraction=0.05',
        'brightness amount=0.2',
        'contrast amount=0.3',
        'erase p=0.5 size=0.25',
      ),
    );
    expect(a.diagnostics).toEqual([]);
    expect(b.diagnostics).toEqual([]);
    const train = a.experiments[0].augment.train;
    expect(train).toEqual([
      { kind: 'flip' },
      { kind: 'rotate', degrees: 10 },
      { kind: 'zoom', fraction: 0.1 },
      { kind: 'shift', fraction: 0.05 },
      { kind: 'brightness', amount: 0.2 },
      { kind: 'contrast', amount: 0.3 },
      { kind: 'erase', p: 0.5, size: 0.25 },
    ]);
    expect(b.experiments[0].augment.train).toEqual(train);
    expect(validateIR(a.experiments[0])).toBeNull();
  });

  it('combine with randomcrop and keep flip / tencrop / randomcrop as before', () => {
    const r = run(spec('randomcrop 40', 'flip', 'rotate 15', 'erase 1 size=0.1'));
    expect(r.diagnostics).toEqual([]);
    expect(r.experiments[0].augment.train).toEqual([
      { kind: 'randomcrop', size: [40, 40] },
      { kind: 'flip' },
      { kind: 'rotate', degrees: 15 },
      { kind: 'erase', p: 1, size: 0.1 },
    ]);
  });

  it('a sweep sweeps a strength through a variable', () => {
    const text = L(
      'experiment e {',
      '  augment {',
      '    rotate $r',
      '    erase 0.5 size=$s',
      '  }',
      '  model {',
      '    flatten',
      '    fc 7',
      '  }',
      '  sweep {',
      '    r in [0, 10, 20]',
      '    s in [0.1, 0.3]',
      '  }',
      '}',
    );
    const r = run(text);
    expect(r.diagnostics).toEqual([]);
    const got = r.experiments.map((e) => e.augment.train.map((a) => ('degrees' in a ? a.degrees : 'size' in a ? a.size : null)));
    // Every (r, s) pair once: 3 x 2 points.
    expect([...got].sort((x, y) => Number(x[0]) - Number(y[0]) || Number(x[1]) - Number(y[1]))).toEqual([
      [0, 0.1],
      [0, 0.3],
      [10, 0.1],
      [10, 0.3],
      [20, 0.1],
      [20, 0.3],
    ]);
  });
});

describe('sweeping a strength as a setting override', () => {
  it('augment.rotate in [...] gives one point per strength, and an out-of-range value is located in the axis', () => {
    const text = (values: string) =>
      L(
        'experiment e {',
        '  augment {',
        '    rotate 5',
        '  }',
        '  model {',
        '    flatten',
        '    fc 7',
        '  }',
        '  sweep {',
        `    augment.rotate in [${values}]`,
        '  }',
        '}',
      );
    const ok = run(text('0, 10'));
    expect(ok.diagnostics).toEqual([]);
    expect(ok.experiments.map((e) => e.augment.train)).toEqual([[{ kind: 'rotate', degrees: 0 }], [{ kind: 'rotate', degrees: 10 }]]);
    // '    augment.rotate in [0, 10, 200]': the 200 starts at column 31 of line 10.
    const bad = run(text('0, 10, 200'));
    expect(bad.diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ['E060', 10, 31, 'rotate degrees must be between 0 and 180, not 200'],
    ]);
  });
});

describe('golden diagnostics for augmentation strengths', () => {
  const cases: { name: string; line: string; want: [code: string, line: number, column: number, message: string][] }[] = [
    { name: 'rotate over 180 degrees', line: 'rotate 200', want: [['E060', 3, 12, 'rotate degrees must be between 0 and 180, not 200']] },
    { name: 'negative rotation', line: 'rotate degrees=-5', want: [['E060', 3, 20, 'rotate degrees must be between 0 and 180, not -5']] },
    { name: 'zoom of 1 or more', line: 'zoom 1.5', want: [['E060', 3, 10, 'zoom fraction must be between 0 and 0.9, not 1.5']] },
    { name: 'shift over half the image', line: 'shift 0.6', want: [['E060', 3, 11, 'shift fraction must be between 0 and 0.5, not 0.6']] },
    { name: 'brightness over 1', line: 'brightness 2', want: [['E060', 3, 16, 'brightness amount must be between 0 and 1, not 2']] },
    { name: 'contrast over 1', line: 'contrast amount=1.2', want: [['E060', 3, 21, 'contrast amount must be between 0 and 1, not 1.2']] },
    { name: 'erase probability over 1', line: 'erase 1.5', want: [['E060', 3, 11, 'erase p must be between 0 and 1, not 1.5']] },
    {
      name: 'erase size of 0',
      line: 'erase 0.5 size=0',
      want: [['E060', 3, 20, 'erase size must be greater than 0 and at most 1, not 0']],
    },
    {
      name: 'rotate without a strength',
      line: 'rotate',
      want: [['E012', 3, 5, "'rotate' needs a strength: rotation in degrees (drawn in [-d, d])"]],
    },
    { name: 'a word for a strength', line: 'zoom fraction=big', want: [['E013', 3, 19, "zoom fraction must be a number, not 'big'"]] },
    { name: 'an unknown key', line: 'rotate 10 angle=3', want: [['E014', 3, 15, "unexpected argument 'angle=' for 'rotate'"]] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = run(spec(c.line));
      expect(r.ok).toBe(false);
      expect(r.diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual(c.want);
    });
  }

  it('a frozen backbone refuses random augmentations (E037 on the setting)', () => {
    const text = L(
      'experiment e {',
      '  backbone faceres { tap avgpool }',
      '  augment {',
      '    flip',
      '    rotate 10',
      '  }',
      '  head {',
      '    fc 7',
      '  }',
      '}',
    );
    const r = run(text);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toContainEqual(['E037', 5, 5]);
  });
});

describe('lint rules for augmentation', () => {
  const OURS = ['augment-no-effect', 'rotation-too-large'];
  const rules = (text: string) =>
    lintFile(MAIN, { compile: { text, readFile: () => undefined, checkPackages: false } })
      .findings.filter((f) => OURS.includes(f.rule))
      .map((f) => [f.rule, f.line, f.column]);

  it('the fixture test/fixtures/lint/augment.emo: each finding at its line', () => {
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'lint', 'augment.emo');
    expect(lintFile(file).findings.map((f) => [f.rule, f.line, f.column])).toEqual([
      ['rotation-too-large', 5, 5], // 5:     rotate 45
      ['augment-no-effect', 6, 5], //  6:     erase 0
    ]);
  });

  it('augment-no-effect: a strength of 0 outside a sweep, at its line', () => {
    // line 3: '    rotate 0', line 4: '    erase p=0', line 5: '    zoom 0.1' (fine)
    expect(rules(spec('rotate 0', 'erase p=0', 'zoom 0.1'))).toEqual([
      ['augment-no-effect', 3, 5],
      ['augment-no-effect', 4, 5],
    ]);
  });

  it('a sweep point of strength 0 is a baseline, not a finding', () => {
    const text = L(
      'experiment e {',
      '  augment {',
      '    rotate $r',
      '  }',
      '  model {',
      '    flatten',
      '    fc 7 | softmax',
      '  }',
      '  sweep {',
      '    r in [0, 10]',
      '  }',
      '}',
    );
    expect(rules(text)).toEqual([]);
  });

  it('rotation-too-large: beyond 30 degrees', () => {
    expect(rules(spec('flip', 'rotate 45'))).toEqual([['rotation-too-large', 4, 5]]);
    expect(rules(spec('rotate 30'))).toEqual([]);
  });
});
