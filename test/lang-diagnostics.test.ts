// Golden diagnostics: one small spec per mistake, with the {code, line, column} list worked out by hand
// from the text (line and column are 1-based; a column is the first character of the offending token).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import type { Diagnostic } from '../compiler/diagnostics.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'lang');
const MAIN = '/virtual/main.emo';

type Want = [code: string, line: number, column: number];

function run(text: string, files: Record<string, string> = {}) {
  return compile(MAIN, { text, readFile: (f) => files[f], checkPackages: false });
}
const got = (ds: Diagnostic[]): Want[] => ds.map((d) => [d.code, d.line, d.column]);
const L = (...lines: string[]) => lines.join('\n') + '\n';

interface Case {
  name: string;
  text: string;
  want: Want[];
  files?: Record<string, string>;
  /** Substrings of the hint of the first diagnostic. */
  hint?: string;
  message?: string;
  /** The file every diagnostic is in (default: the main file). */
  file?: string;
}

// A valid stack: 160x160x3 (the default input) -> flatten -> 7 scores for the 7 default classes.
const CASES: Case[] = [
  {
    name: 'misspelt layer',
    text: L(
      'experiment e {', // 1
      '  model {', //      2
      '    conv 8 k3', //  3
      '    maxpol 2', //   4
      '    flatten', //    5
      '    fc 7', //       6
      '  }', //            7
      '}', //              8
    ),
    want: [['E011', 4, 5]],
    hint: "did you mean 'maxpool'?",
  },
  {
    name: 'fc without units',
    text: L('experiment e {', '  model {', '    flatten', '    fc', '    fc 7', '  }', '}'),
    want: [['E012', 4, 5]],
  },
  {
    name: 'conv without kernel',
    text: L('experiment e {', '  model {', '    conv 8', '    flatten', '    fc 7', '  }', '}'),
    want: [['E012', 3, 5]],
    hint: 'conv 64 k5 s2',
  },
  {
    name: 'kernel k0',
    text: L('experiment e {', '  model {', '    conv 8 k0', '    flatten', '    fc 7', '  }', '}'),
    want: [['E013', 3, 12]],
  },
  {
    // The second conv's missing kernel must not hide behind the first conv's bad one on the same line.
    name: 'bad kernel, then a conv without kernel, on one line',
    text: L('experiment e {', '  model {', '    conv 8 k0; conv 16', '    flatten', '    fc 7', '  }', '}'),
    want: [
      ['E013', 3, 12],
      ['E012', 3, 16],
    ],
  },
  {
    name: 'kernel=0 is a bad kernel, not a missing one',
    text: L('experiment e {', '  model {', '    conv 8 kernel=0', '    flatten', '    fc 7', '  }', '}'),
    want: [['E013', 3, 19]],
  },
  {
    name: 'stride s0',
    text: L('experiment e {', '  model {', '    conv 8 k3 s0', '    flatten', '    fc 7', '  }', '}'),
    want: [['E013', 3, 15]],
  },
  {
    name: 'unknown tap',
    text: L(
      'experiment e {', //        1
      '  backbone faceres {', //  2
      '    tap avgpol', //        3
      '  }', //                   4
      '  head {', //              5
      '    fc 7', //              6
      '  }', //                   7
      '}', //                     8
    ),
    want: [['E021', 3, 9]],
    hint: "did you mean 'avgpool'?",
  },
  {
    // Also asserts that the head is not then shape-checked against the image (no E032 on `fc 7`).
    name: 'unknown backbone (a typo: the hint names faceres)',
    text: L('experiment e {', '  backbone facers {', '    tap avgpool', '  }', '  head {', '    fc 7', '  }', '}'),
    want: [['E020', 2, 12]],
    hint: "did you mean 'faceres'?",
  },
  {
    name: 'class-count mismatch: fc 5 with 7 classes, on that layer',
    text: L('experiment e {', '  model {', '    flatten', '    fc 5 | softmax', '  }', '}'),
    want: [['E031', 4, 5]],
  },
  {
    name: 'class-count mismatch with an explicit class list',
    text: L('experiment e {', '  data {', '    classes [happy, sad, neutral]', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E031', 7, 5]],
  },
  {
    name: 'a stack that collapses: the second k9 s4 valid conv on 32x32',
    text: L(
      'experiment e {', //          1
      '  data {', //                2
      '    input 32x32x3', //       3
      '  }', //                     4
      '  model {', //               5
      '    conv 8 k9 s4 valid', //  6   32 -> 6
      '    conv 8 k9 s4 valid', //  7   6 -> 0
      '    conv 8 k9 s4 valid', //  8
      '    flatten', //             9
      '    fc 7', //                10
      '  }', //                     11
      '}', //                       12
    ),
    want: [['E030', 7, 5]],
  },
  {
    name: 'a pool that collapses the map, on the pipeline position',
    text: L(
      'experiment e {',
      '  data { input 8x8x1 }',
      '  model {',
      '    conv 4 k3 | maxpool 4 | maxpool 4',
      '    flatten',
      '    fc 7',
      '  }',
      '}',
    ),
    want: [['E030', 4, 29]],
  },
  {
    name: 'fc before flatten',
    text: L('experiment e {', '  model {', '    conv 8 k3', '    fc 7', '  }', '}'),
    want: [['E032', 4, 5]],
  },
  {
    name: 'conv after flatten',
    text: L('experiment e {', '  model {', '    flatten', '    conv 8 k3', '    fc 7', '  }', '}'),
    want: [['E032', 4, 5]],
  },
  {
    name: 'unterminated string',
    text: L('experiment e {', '  data {', '    source "faces', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E003', 3, 12]],
  },
  {
    name: 'unterminated block: points at the unclosed {',
    text: L(
      'experiment e {', // 1  <- never closed
      '  model {', //      2
      '    flatten', //    3
      '    fc 7', //       4
      '  }', //            5
    ),
    want: [['E004', 1, 14]],
  },
  {
    name: 'unterminated list at the end of the file',
    text: L('experiment e {', '  model {', '    flatten', '    fc 7', '  }', '  sweep {', '    train.lr in [0.1, 0.01'),
    want: [['E004', 7, 17]],
  },
  {
    name: 'unexpected character',
    text: L('experiment e {', '  model {', '    conv 8 k3 @', '    flatten', '    fc 7', '  }', '}'),
    want: [['E001', 3, 15]],
  },
  {
    name: 'duplicate experiment names',
    text: L(
      'experiment e {',
      '  model {',
      '    flatten',
      '    fc 7',
      '  }',
      '}',
      'experiment e {',
      '  model {',
      '    flatten',
      '    fc 7',
      '  }',
      '}',
    ),
    want: [['E016', 7, 12]],
  },
  {
    name: 'duplicate setting',
    text: L('experiment e {', '  train {', '    epochs 5', '    epochs 6', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E015', 4, 5]],
  },
  {
    name: 'duplicate section',
    text: L('experiment e {', '  train { epochs 5 }', '  train { batch 8 }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E015', 3, 3]],
  },
  {
    name: 'sweep over an unknown key',
    text: L('experiment e {', '  model {', '    flatten', '    fc 7', '  }', '  sweep {', '    train.epoch in [1, 2]', '  }', '}'),
    want: [['E040', 7, 5]],
    hint: "did you mean 'epochs'?",
  },
  {
    name: 'sweep over a variable nothing uses',
    text: L('experiment e {', '  model {', '    flatten', '    fc 7', '  }', '  sweep {', '    hidden in [128, 256]', '  }', '}'),
    want: [['E040', 7, 5]],
  },
  {
    // Also asserts that the undefined value is not reported a second time by the layer that uses it.
    name: 'undefined variable',
    text: L('experiment e {', '  model {', '    flatten', '    fc $hidden', '    fc 7', '  }', '}'),
    want: [['E041', 4, 8]],
  },
  {
    name: 'sweep axis without values',
    text: L('experiment e {', '  model {', '    flatten', '    fc 7', '  }', '  sweep {', '    train.lr in []', '  }', '}'),
    want: [['E042', 7, 17]],
  },
  {
    name: "sweep axis without 'in'",
    text: L('experiment e {', '  model {', '    flatten', '    fc 7', '  }', '  sweep {', '    train.lr [0.1]', '  }', '}'),
    want: [['E042', 7, 5]],
  },
  {
    name: 'unknown setting in train, with did-you-mean',
    text: L('experiment e {', '  train {', '    epoch 5', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E010', 3, 5]],
    hint: "did you mean 'epochs'?",
  },
  {
    name: 'a layer in a settings block',
    text: L('experiment e {', '  train {', '    dropout 0.5', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E010', 3, 5]],
    hint: 'is a layer',
  },
  {
    name: 'unknown optimizer',
    text: L('experiment e {', '  train {', '    optimizer adagrad lr=0.1', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E013', 3, 15]],
    message: "unknown optimizer 'adagrad'",
  },
  {
    name: 'pipe in a settings block',
    text: L('experiment e {', '  train {', '    epochs 5 | batch 8', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E025', 3, 16]],
  },
  {
    name: 'extends of an unknown experiment',
    text: L('experiment e extends basis {', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E017', 1, 22]],
  },
  {
    name: 'circular extends',
    text: L(
      'experiment a extends b {', // 1
      '  model {', //                2
      '    flatten', //              3
      '    fc 7', //                 4
      '  }', //                      5
      '}', //                        6
      'experiment b extends a {', // 7  <- closes the cycle (a is resolved first)
      '  model {', //                8
      '    flatten', //              9
      '    fc 7', //                 10
      '  }', //                      11
      '}', //                        12
    ),
    want: [['E018', 7, 22]],
  },
  {
    name: 'missing import',
    text: L('import "nowhere.emo"', 'experiment e {', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E019', 1, 8]],
  },
  {
    name: 'circular import',
    files: { '/virtual/other.emo': 'import "main.emo"\n' },
    text: L('import "other.emo"', 'experiment e {', '  model {', '    flatten', '    fc 7', '  }', '}'),
    // The cycle is found while reading other.emo, whose import of main.emo closes it: reported there.
    want: [['E019', 1, 8]],
    file: '/virtual/other.emo',
  },
  {
    name: 'unknown named section',
    files: { '/virtual/lib.emo': 'data faces {\n  split 0.2\n}\n' },
    text: L('import "lib.emo"', 'experiment e {', '  data facez', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E017', 3, 8]],
    hint: "did you mean 'faces'?",
  },
  {
    name: 'head without backbone',
    text: L('experiment e {', '  head {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E026', 2, 3]],
  },
  {
    name: 'experiment without model',
    text: L('experiment e {', '  train { epochs 2 }', '}'),
    want: [['E026', 1, 12]],
  },
  {
    name: 'model and backbone together',
    text: L('experiment e {', '  backbone faceres { tap avgpool }', '  model {', '    fc 7', '  }', '}'),
    want: [['E027', 3, 3]],
  },
  {
    name: 'crop larger than the input',
    text: L('experiment e {', '  augment {', '    randomcrop 200', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E033', 2, 3]],
  },
  {
    name: 'test crops and training crops of different sizes',
    text: L(
      'experiment e {',
      '  augment {',
      '    tencrop 144',
      '    test tencrop 128',
      '  }',
      '  model {',
      '    flatten',
      '    fc 7',
      '  }',
      '}',
    ),
    want: [['E035', 2, 3]],
  },
  {
    name: 'augmentation strength out of range',
    text: L('experiment e {', '  augment {', '    rotate degrees=270', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    // The value after `degrees=` (column 20) is out of range.
    want: [['E060', 3, 20]],
    message: 'rotate degrees must be between 0 and 180, not 270',
  },
  {
    name: 'tencrop and randomcrop together',
    text: L(
      'experiment e {',
      '  augment {',
      '    tencrop 144',
      '    randomcrop 144',
      '  }',
      '  model {',
      '    flatten',
      '    fc 7',
      '  }',
      '}',
    ),
    want: [['E027', 2, 3]],
  },
  {
    name: 'bad dropout rate',
    text: L('experiment e {', '  model {', '    flatten', '    dropout 1.5', '    fc 7', '  }', '}'),
    want: [['E013', 4, 13]],
  },
  {
    name: 'bad split',
    text: L('experiment e {', '  data {', '    split 1.5', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E013', 3, 11]],
  },
  {
    name: 'input with 4 channels',
    text: L('experiment e {', '  data {', '    input 32x32x4', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E013', 3, 11]],
  },
  {
    name: 'unexpected argument',
    text: L('experiment e {', '  model {', '    flatten 3', '    fc 7', '  }', '}'),
    want: [['E014', 3, 13]],
  },
  {
    name: 'two settings on one line',
    text: L('experiment e {', '  train {', '    epochs 1 optimizer adam lr 0.5', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E014', 3, 14]],
    hint: "put 'optimizer' on its own line",
  },
  {
    name: 'unknown built-in dataset',
    text: L('experiment e {', '  data {', '    source builtin:cats', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E023', 3, 12]],
  },
  {
    name: 'unknown class of the built-in faces',
    text: L('experiment e {', '  data {', '    classes [angry, hapy, sad]', '  }', '  model {', '    flatten', '    fc 2', '  }', '}'),
    want: [['E024', 3, 21]],
    hint: "did you mean 'happy'?",
  },
  {
    name: 'unknown schedule',
    text: L('experiment e {', '  train {', '    schedule cosin', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E013', 3, 14]],
    hint: "did you mean 'cosine'?",
  },
  {
    name: 'a sweep cannot be declared at top level',
    text: L('sweep grid {', '  train.lr in [0.1]', '}', 'experiment e {', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E010', 1, 1]],
  },
  {
    name: 'two sweep points with one name',
    text: L(
      'experiment e {',
      '  model {',
      '    flatten',
      '    fc 7',
      '  }',
      '  sweep {',
      '    train.lr in [0.1, 0.01]',
      '    train.batch in [8, 16]',
      '    name "lr{train.lr}"',
      '  }',
      '}',
    ),
    // lr0.1 is produced twice and lr0.01 twice: one diagnostic per repeated label, both on the template.
    want: [
      ['E043', 9, 10],
      ['E043', 9, 10],
    ],
  },
  {
    name: 'experiment without a name',
    text: L('experiment {', '  model {', '    flatten', '    fc 7', '  }', '}'),
    want: [['E002', 1, 12]],
  },
  {
    name: 'a stray } after the experiment',
    text: L('experiment e {', '  model {', '    flatten', '    fc 7', '  }', '}', '}'),
    want: [['E002', 7, 1]],
  },
  {
    name: 'a key=value without a value',
    text: L('experiment e {', '  train {', '    optimizer adam lr=', '  }', '  model {', '    flatten', '    fc 7', '  }', '}'),
    // The end of line 3 (column 23, right after `=`) comes where the value should be.
    want: [['E002', 3, 23]],
  },
];

describe('golden diagnostics, one mistake each', () => {
  it('covers at least 25 distinct mistakes and 25 distinct codes-or-positions', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
    expect(new Set(CASES.map((c) => c.want[0]?.[0])).size).toBeGreaterThanOrEqual(25);
  });

  for (const c of CASES) {
    it(c.name, () => {
      const r = run(c.text, c.files);
      expect(got(r.diagnostics)).toEqual(c.want);
      expect(r.ok).toBe(false);
      if (c.hint) expect(r.diagnostics[0].hint ?? '').toContain(c.hint);
      if (c.message) expect(r.diagnostics[0].message).toContain(c.message);
      for (const d of r.diagnostics) expect(d.file).toBe(c.file ?? MAIN);
    });
  }
});

describe('mistakes that must not crash the compiler', () => {
  // compile() throws "internal error: IR ... does not match the schema" when no diagnostic was reported.
  it('a tap without a value', () => {
    const text = L('experiment e {', '  backbone faceres {', '    tap', '  }', '  head {', '    fc 7', '  }', '}');
    expect(() => run(text)).not.toThrow();
    expect(got(run(text).diagnostics)).toEqual([['E012', 3, 5]]);
  });

  for (const [name, model] of [
    ['an empty model block', '  model {}'],
    ['a model without a block', '  model'],
  ] as const) {
    it(name, () => {
      const text = L('experiment e {', model, '}');
      expect(() => run(text)).not.toThrow();
      const r = run(text);
      expect(r.ok).toBe(false);
      // One diagnostic on the `model` keyword; E026 (missing section) or E012 (missing argument).
      expect(r.diagnostics.map((d) => [d.line, d.column])).toEqual([[2, 3]]);
      expect(['E012', 'E026']).toContain(r.diagnostics[0].code);
    });
  }
});

describe('fixture files', () => {
  it('misspelt-layer.emo reports E011 with the hint', () => {
    const file = path.join(FIXTURES, 'misspelt-layer.emo');
    const r = compile(file, { checkPackages: false });
    expect(got(r.diagnostics)).toEqual([['E011', 5, 26]]);
    expect(r.diagnostics[0].hint).toBe("did you mean 'maxpool'?");
    expect(r.diagnostics[0].file).toBe(path.normalize(file));
  });
});

describe('one pass reports every independent error', () => {
  it('three broken lines in one model block give three diagnostics, each at its own line', () => {
    const text = L(
      'experiment e {', // 1
      '  model {', //      2
      '    conv 8 k3 ]', // 3  stray ]
      '    bn ,', //       4  stray ,
      '    maxpool 2 :', // 5  stray :
      '    flatten', //    6
      '    fc 7', //       7
      '  }', //            8
      '}', //              9
    );
    expect(got(run(text).diagnostics)).toEqual([
      ['E002', 3, 15],
      ['E002', 4, 8],
      ['E002', 5, 15],
    ]);
  });

  it('lexical, syntactic and semantic errors in one block are all reported', () => {
    const text = L(
      'experiment e {', //       1
      '  model {', //            2
      '    conv 8 k3 %', //      3  E001 at %
      '    maxpol 2', //         4  E011
      '    dropout 2', //        5  E013
      '    flatten = 3', //      6  E002 at = (a key=value needs a key)
      '    fc 7', //             7
      '  }', //                  8
      '  train {', //            9
      '    epoch 5', //          10 E010
      '    optimizer sgdd', //   11 E013
      '  }', //                  12
      '}', //                    13
    );
    expect(got(run(text).diagnostics)).toEqual([
      ['E001', 3, 15],
      ['E011', 4, 5],
      ['E013', 5, 13],
      ['E002', 6, 13],
      ['E010', 10, 5],
      ['E013', 11, 15],
    ]);
  });

  it('errors in several experiments are all reported', () => {
    const text = L(
      'experiment a {', //   1
      '  model {', //        2
      '    flatten', //      3
      '    fc 5', //         4  E031
      '  }', //              5
      '}', //                6
      'experiment b {', //   7
      '  model {', //        8
      '    conv 8 k3', //    9
      '    fc 7', //         10 E032
      '  }', //              11
      '}', //                12
      'experiment c {', //   13
      '  train { lr 0 }', // 14 E013 at 0
      '  model {', //        15
      '    flatten', //      16
      '    fc 7', //         17
      '  }', //              18
      '}', //                19
    );
    expect(got(run(text).diagnostics)).toEqual([
      ['E031', 4, 5],
      ['E032', 10, 5],
      ['E013', 14, 14],
    ]);
  });

  it('a line that starts with a stray token does not hide the errors after it', () => {
    const text = L(
      'experiment e {', //   1
      '  model {', //        2
      '    = 3', //          3  E002 at =
      '    maxpol 2', //     4  E011
      '    flatten', //      5
      '    fc 7', //         6
      '  }', //              7
      '  train {', //        8
      '    epoch 5', //      9  E010
      '  }', //              10
      '}', //                11
    );
    expect(got(run(text).diagnostics)).toEqual([
      ['E002', 3, 5],
      ['E011', 4, 5],
      ['E010', 9, 5],
    ]);
  });
});

describe('no follow-on diagnostics', () => {
  // One mistake, one diagnostic: a second one would only be a consequence of the first.
  it('an empty sweep axis does not also make its variable undefined', () => {
    const text = L(
      'experiment e {',
      '  model {',
      '    flatten',
      '    fc $hidden',
      '    fc 7',
      '  }',
      '  sweep {',
      '    hidden in []',
      '  }',
      '}',
    );
    expect(got(run(text).diagnostics)).toEqual([['E042', 8, 15]]);
  });
});

describe('diagnostics in imported files', () => {
  it('a mistake inside an imported named model section points at the imported file', () => {
    const files = {
      '/virtual/lib.emo': L(
        'model tiny {', // 1
        '  flatten', //    2
        '  maxpol 2', //   3
        '  fc 7', //       4
        '}', //            5
      ),
    };
    const r = run(L('import "lib.emo"', '', 'experiment e {', '  model tiny', '}'), files);
    expect(r.diagnostics.map((d) => [d.file, d.code, d.line, d.column])).toEqual([['/virtual/lib.emo', 'E011', 3, 3]]);
  });

  it('a syntax error in an imported file is reported against that file', () => {
    const files = { '/virtual/lib.emo': L('data faces {', '  split 0.2 ]', '}') };
    const r = run(L('import "lib.emo"', 'experiment e {', '  data faces', '  model {', '    flatten', '    fc 7', '  }', '}'), files);
    expect(r.diagnostics.map((d) => [d.file, d.code, d.line, d.column])).toEqual([['/virtual/lib.emo', 'E002', 2, 13]]);
  });
});

describe('diagnostic spans', () => {
  it('end inside the line of the token they point at', () => {
    const text = L('experiment e {', '  model {', '    conv 8 k3 | relu', '  }', '}');
    // The stack ends with a feature map: E032 on the last layer, the `relu` at 3:17.
    const ds = run(text).diagnostics;
    expect(got(ds)).toEqual([['E032', 3, 17]]);
    expect([ds[0].endLine, ds[0].endColumn]).toEqual([3, 21]);
  });

  it('a shape error on `avgpool` (global average pool) spans the word avgpool', () => {
    const text = L('experiment e {', '  model {', '    flatten', '    avgpool', '    fc 7', '  }', '}');
    const ds = run(text).diagnostics;
    expect(got(ds)).toEqual([['E032', 4, 5]]);
    expect([ds[0].endLine, ds[0].endColumn]).toEqual([4, 12]);
  });
});

describe('the CLI prints diagnostics like a compiler', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-lang-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const emoc = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(ROOT, 'bin', 'emoc.js'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });

  it('prints FILE:LINE:COL error CODE, a code frame with a caret, and exits 1', () => {
    const file = path.join(dir, 'bad.emo');
    fs.writeFileSync(
      file,
      L(
        'experiment cli {', //     1
        '  train {', //            2
        '    seed 4 | lr 1', //    3  `lr` at column 14 is piped into a settings block
        '  }', //                  4
        '  model {', //            5
        '    flatten', //          6
        '    fc 7', //             7
        '  }', //                  8
        '}', //                    9
      ),
    );
    const r = emoc('check', file);
    expect(r.status).toBe(1);
    const out = r.stderr + r.stdout;
    expect(out).toContain(`${file}:3:14 error E025`);
    expect(out).toContain('3 |     seed 4 | lr 1');
    expect(out).toMatch(/\n {2}\| {14}\^\^\n/);
    expect(out).toContain('1 error, 0 warnings');
  });

  it('exits 0 on a clean spec', () => {
    const r = emoc('check', path.join(ROOT, 'specs', 's1.emo'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('ok (1 experiment)');
    expect(r.status).toBe(0);
  });
});

describe('diagnostics keep their offsets and carry mechanical fixes', () => {
  // Offsets are 0-based into the text; each expected value is counted by hand from the lines below.
  const MODEL_7 = ['  model {', '    flatten', '    fc 7', '  }', '}'];
  const one = (text: string, code: string) => {
    const ds = run(text).diagnostics.filter((d) => d.code === code);
    expect(ds.length, code).toBe(1);
    return ds[0];
  };

  it('a misspelt layer: the span of the word, and the fix that writes the suggestion', () => {
    // line 1 "experiment e {\n" is offsets 0-14, line 2 "  model {\n" 15-24, line 3 starts at 25.
    const d = one(L('experiment e {', '  model {', '    maxpol 2', '    flatten', '    fc 7', '  }', '}'), 'E011');
    expect([d.line, d.column, d.offset, d.endOffset]).toEqual([3, 5, 29, 35]);
    expect(d.fix).toEqual({ title: "replace 'maxpol' with 'maxpool'", start: 29, end: 35, replacement: 'maxpool' });
  });

  it('an unknown word with nothing close has a hint but no fix', () => {
    const d = one(L('experiment e {', '  model {', '    zzzzzz 2', '    flatten', '    fc 7', '  }', '}'), 'E011');
    expect(d.fix).toBeUndefined();
  });

  it('a key given twice: the fix drops the earlier one (the later one is in force)', () => {
    // line 3 starts at 25: "    optimizer adam lr=0.1 lr=0.001"; 'adam' ends at 43, 'lr=0.1' is 44-49, the second 'lr' 51-52.
    const d = one(L('experiment e {', '  train {', '    optimizer adam lr=0.1 lr=0.001', '  }', ...MODEL_7), 'E015');
    expect([d.line, d.column, d.offset, d.endOffset]).toEqual([3, 27, 51, 53]);
    expect(d.fix).toEqual({ title: "remove the earlier 'lr='", start: 43, end: 50, replacement: '' });
  });

  it('a setting given twice: the fix drops the earlier line, from the end of the line before it', () => {
    // line 3 "    seed 1\n" is 25-35 ('seed 1' ends at 35), line 4 "    epochs 5\n" 36-48, line 5 starts at 49.
    const d = one(L('experiment e {', '  train {', '    seed 1', '    epochs 5', '    epochs 10', '  }', ...MODEL_7), 'E015');
    expect([d.line, d.column, d.offset]).toEqual([5, 5, 53]);
    expect(d.fix).toEqual({ title: "remove the earlier 'epochs'", start: 35, end: 48, replacement: '' });
  });

  it('a class listed twice: the fix drops the repeat with its comma', () => {
    // line 2 "  data { classes [happy, sad, happy] }" starts at 15; in it 'sad' is columns 26-28 (offsets 40-42)
    // and the second 'happy' columns 31-35 (offsets 45-49).
    const d = one(L('experiment e {', '  data { classes [happy, sad, happy] }', ...MODEL_7), 'E015');
    expect([d.line, d.column, d.offset, d.endOffset]).toEqual([2, 31, 45, 50]);
    expect(d.fix).toEqual({ title: "remove the second 'happy'", start: 43, end: 50, replacement: '' });
  });
});
