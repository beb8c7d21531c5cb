// The test split and `emoc eval`, through `bin/emoc.js` as a user meets them. A tiny ten-crop model trains one epoch
// on a few images per class of fer2013-sample, from a folder whose train/ val/ test/ are links into the
// sample (test/ links to the same images as val/, so the test numbers must equal the validation numbers:
// scored by a different path, the test split and `emoc eval` cross-check the run's own evaluation).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import { compareRuns, type RunMetrics } from '../compiler/diff/runs.ts';
import type { DataIR } from '../compiler/ir.ts';
import { loadData } from '../runtime/data/load.ts';
import { DataError, RunFolderError } from '../runtime/errors.ts';
import { evalRun } from '../runtime/evaluate/eval.ts';

const bin = path.resolve('bin/emoc.js');
const SAMPLE = path.resolve('../shared/data/fer2013-sample');
const LIMIT = 6;

const spec = (test = '') => `experiment tiny {
  data {
    source "data"
    input 24x24x1
    ${test}
  }
  augment {
    tencrop 20
    test tencrop 20
  }
  model {
    conv 4 k3 s2 | maxpool 2
    flatten
    fc 7 | softmax
  }
  train {
    epochs 1
    batch 16
    seed 3
  }
}
`;

let tmp: string;
let runDir: string;
let runLog: string;

function emoc(args: string[]) {
  const r = spawnSync(
    process.execPath,
    [bin, ...args, ...(args[0] === 'eval' || args[0] === 'run' ? ['--cache', path.join(tmp, 'cache')] : [])],
    {
      cwd: tmp,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user mistake: exit 1, `emoc: <where>: <message>` and a hint, no stack trace. */
function expectOneLineError(r: { code: number | null; stderr: string }, message: RegExp) {
  expect(r.code).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^emoc: /);
  expect(lines[0]).toMatch(message);
  expect(lines.slice(1).every((l) => l.startsWith('  hint: '))).toBe(true);
  expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-eval-'));
  fs.mkdirSync(path.join(tmp, 'data'));
  fs.symlinkSync(path.join(SAMPLE, 'train'), path.join(tmp, 'data', 'train'));
  fs.symlinkSync(path.join(SAMPLE, 'val'), path.join(tmp, 'data', 'val'));
  fs.symlinkSync(path.join(SAMPLE, 'val'), path.join(tmp, 'data', 'test'));
  fs.writeFileSync(path.join(tmp, 'tiny.emo'), spec());
  const r = emoc(['run', 'tiny.emo', '--no-dashboard', '--runs', 'runs', '--limit-per-class', String(LIMIT)]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  runLog = r.stdout;
  const exp = path.join(tmp, 'runs', 'tiny');
  runDir = path.join('runs', 'tiny', fs.readdirSync(exp)[0]);
}, 120_000);

describe('data test split', () => {
  it('lowers to auto for a path source, null for the built-in faces, a source for test "path", null for test none', () => {
    const ir = (data: string) => {
      const r = compile('/t/a.emo', {
        text: `experiment a {\n  data {\n    ${data}\n  }\n  model {\n    flatten | fc 7\n  }\n}\n`,
        validate: true,
      });
      expect(r.diagnostics).toEqual([]);
      return r.experiments[0].data.test;
    };
    expect(ir('source "faces"')).toBe('auto');
    expect(ir('source builtin:faces')).toBeNull();
    expect(ir('source "faces"\n    test "held-out"')).toEqual({ kind: 'folder', path: 'held-out' });
    expect(ir('source builtin:faces\n    test "fer.csv"')).toEqual({ kind: 'fer2013', path: 'fer.csv' });
    expect(ir('source "faces"\n    test none')).toBeNull();
  });

  it('refuses test auto on the built-in faces (E065 at the word)', () => {
    const r = compile('/t/a.emo', {
      text: 'experiment a {\n  data {\n    source builtin:faces\n    test auto\n  }\n  model {\n    flatten | fc 7\n  }\n}\n',
    });
    const d = r.diagnostics.find((x) => x.code === 'E065');
    expect(d).toMatchObject({ line: 4, column: 10 });
  });

  it('golden diagnostics for the test setting (code, line, column read off the text)', () => {
    const diags = (line: string) =>
      compile('/t/a.emo', {
        text: `experiment a {
  data {
    source "faces"
    ${line}
  }
  model {
    flatten | fc 7
  }
}
`,
      }).diagnostics.map((d) => [d.code, d.line, d.column]);
    expect(diags('test')).toEqual([['E065', 4, 5]]);
    expect(diags('test folder')).toEqual([['E065', 4, 5]]);
    expect(diags('test none "x"')).toEqual([['E065', 4, 10]]);
    // Stray arguments are E014 each, with no second message for the same line.
    expect(diags('test "t" 3')).toEqual([['E014', 4, 14]]);
  });

  it("scores a folder's test/ once at the end, beside validation", () => {
    const summary = readJson(path.join(tmp, runDir, 'summary.json'));
    expect(summary.test).toBeDefined();
    // test/ holds the same images as val/: scored through scoreSet, the numbers must be the run's own.
    expect(summary.test.acc).toBeCloseTo(summary.val.acc, 10);
    expect(summary.test.loss).toBeCloseTo(summary.val.loss, 5);
    const testConfusion = readJson(path.join(tmp, runDir, 'test-confusion.json'));
    expect(testConfusion.matrix).toEqual(readJson(path.join(tmp, runDir, 'confusion.json')).matrix);
    expect(testConfusion.matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(7 * LIMIT);
    // Once: one test line in the log, and no epoch record carries test numbers.
    expect(runLog.match(/^test \(/gm)).toHaveLength(1);
    const epochs = fs
      .readFileSync(path.join(tmp, runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(epochs.every((l) => !('test' in JSON.parse(l)))).toBe(true);
  });
});

const builtinSpec = (name: string, test: string) => `experiment ${name} {
  data {
    source builtin:faces
    images 28
    input 16x16x1
    ${test}
  }
  model {
    flatten
    fc 7 | softmax
  }
  train {
    epochs 1
    batch 8
    seed 7
  }
}
`;

describe('test split in results, report and diff --runs', () => {
  it('adds test columns to emoc results only when a run has a test split', () => {
    const summary = readJson(path.join(tmp, runDir, 'summary.json'));
    const r = emoc(['results', 'runs', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ test_acc: summary.test.acc, test_f1: summary.test.f1 });
    expect(emoc(['results', 'runs']).stdout.split('\n')[0]).toMatch(/val_f1 +test_acc +test_f1 +epochs/);
    const before = emoc(['results', path.resolve('test/fixtures/runs'), '--format', 'json']);
    expect(before.code).toBe(0);
    expect(Object.keys(JSON.parse(before.stdout)[0])).not.toContain('test_acc');
  });

  it('shows the test numbers and confusion matrix in the run report', () => {
    const r = emoc(['report', runDir]);
    expect(r.code).toBe(0);
    const md = fs.readFileSync(path.join(tmp, runDir, 'report.md'), 'utf8');
    const summary = readJson(path.join(tmp, runDir, 'summary.json'));
    expect(md).toContain(`| test accuracy | ${(100 * summary.test.acc).toFixed(1)}`);
    expect(md).toContain('Confusion matrix (test; count, row %)');
    expect(fs.readFileSync(path.join(tmp, runDir, 'report.html'), 'utf8')).toContain('id="test"');
  });

  it('compares test accuracy in diff --runs when either run has one, and adds no rows otherwise', () => {
    const base: RunMetrics = {
      runDir: 'a',
      classes: ['x', 'y'],
      train: { acc: 0.5 },
      val: { acc: 0.5, f1: 0.4, recall: [0.5, 0.5] },
      elapsedMs: 1000,
    };
    const withTest = compareRuns(base, { ...base, runDir: 'b', test: { acc: 0.75, f1: 0.7 } });
    expect(withTest.find((r) => r.metric === 'test accuracy')).toEqual({ metric: 'test accuracy', a: null, b: 0.75, delta: null });
    const both = compareRuns({ ...base, test: { acc: 0.5, f1: 0.5 } }, { ...base, test: { acc: 0.75, f1: 0.7 } });
    expect(both.find((r) => r.metric === 'test accuracy')?.delta).toBeCloseTo(0.25, 12);
    expect(compareRuns(base, base).some((r) => r.metric.startsWith('test'))).toBe(false);
  });

  it('takes an explicit test "path" beside the built-in faces; a spec without one writes no test results', () => {
    fs.writeFileSync(path.join(tmp, 'withtest.emo'), builtinSpec('withtest', `test "${path.join(SAMPLE, 'val')}"`));
    fs.writeFileSync(path.join(tmp, 'plain.emo'), builtinSpec('plain', ''));
    for (const file of ['withtest.emo', 'plain.emo'])
      expect(emoc(['run', file, '--no-dashboard', '--runs', 'more', '--limit-per-class', '2']).code).toBe(0);
    const withTest = path.join(tmp, 'more', 'withtest', fs.readdirSync(path.join(tmp, 'more', 'withtest'))[0]);
    const matrix = readJson(path.join(withTest, 'test-confusion.json')).matrix as number[][];
    expect(matrix.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(readJson(path.join(withTest, 'summary.json')).test.acc).toBeGreaterThanOrEqual(0);
    const plain = path.join(tmp, 'more', 'plain', fs.readdirSync(path.join(tmp, 'more', 'plain'))[0]);
    expect(readJson(path.join(plain, 'summary.json'))).not.toHaveProperty('test');
    expect(fs.existsSync(path.join(plain, 'test-confusion.json'))).toBe(false);
  });

  it("a sweep's results table has each point's test numbers beside validation (the best point is still chosen by validation)", () => {
    const spec = builtinSpec('swept', `test "${path.join(SAMPLE, 'val')}"`)
      .replace('seed 7', 'seed $seed')
      .replace(/}\n$/, '  sweep { seed in [1, 2] }\n}\n');
    fs.writeFileSync(path.join(tmp, 'swept.emo'), spec);
    expect(emoc(['run', 'swept.emo', '--no-dashboard', '--runs', 'swept-runs', '--limit-per-class', '2']).code).toBe(0);
    const sweepDir = path.join(tmp, 'swept-runs', 'swept', fs.readdirSync(path.join(tmp, 'swept-runs', 'swept'))[0]);
    const rows = readJson(path.join(sweepDir, 'results.json')) as { point: string; testAcc: number; testF1: number }[];
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const runDir = path.join(
        sweepDir,
        fs.readdirSync(sweepDir).find((d) => d === row.point || d.endsWith(row.point))!,
      );
      const test = readJson(path.join(runDir, 'summary.json')).test;
      expect([row.testAcc, row.testF1]).toEqual([test.acc, test.f1]);
    }
    const md = fs.readFileSync(path.join(sweepDir, 'results.md'), 'utf8');
    expect(md).toContain('| test acc | test macro-F1 |');
    expect(md).toContain(`| ${(100 * rows[1]!.testAcc).toFixed(1)}% | ${rows[1]!.testF1.toFixed(3)} |`);
  });
});

describe('loading a test split', () => {
  const CLASSES = ['happy', 'sad'];
  const data = (source: DataIR['source'], test: DataIR['test']): DataIR => ({
    source,
    classes: CLASSES,
    input: [8, 8, 1],
    valSplit: 0.25,
    preprocess: 'fixed',
    test,
  });
  const csvRow = (id: number, grey: number, usage: string) => `${id},"${new Array(48 * 48).fill(grey).join(' ')}",${usage}`;

  it("takes a FER2013 CSV's PrivateTest rows as the test split under test auto, and leaves them out otherwise", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-testsplit-'));
    // 3 happy, 4 sad: two of each for training, one PublicTest each, and three PrivateTest rows.
    const rows = [csvRow(3, 200, 'Training'), csvRow(3, 190, 'Training'), csvRow(4, 40, 'Training'), csvRow(4, 30, 'Training')];
    rows.push(
      csvRow(3, 180, 'PublicTest'),
      csvRow(4, 50, 'PublicTest'),
      csvRow(3, 170, 'PrivateTest'),
      csvRow(4, 60, 'PrivateTest'),
      csvRow(4, 70, 'PrivateTest'),
    );
    fs.writeFileSync(path.join(dir, 'fer.csv'), `emotion,pixels,Usage\n${rows.join('\n')}\n`);
    const auto = await loadData(data({ kind: 'fer2013', path: 'fer.csv' }, 'auto'), { baseDir: dir, seed: 1 });
    expect(auto.val.labels).toEqual([0, 1]);
    expect(auto.test?.labels).toEqual([0, 1, 1]);
    expect(auto.test?.origins).toEqual(['fer.csv:8', 'fer.csv:9', 'fer.csv:10']);
    const none = await loadData(data({ kind: 'fer2013', path: 'fer.csv' }, null), { baseDir: dir, seed: 1 });
    expect(none.test).toBeNull();
    expect(none.notes).toContain("3 PrivateTest row(s) not used (FER2013's held-back test split)");
  });

  it('uses a lone test/ as validation, never as both splits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-testsplit-'));
    for (const split of ['train', 'test']) {
      fs.mkdirSync(path.join(dir, 'faces', split), { recursive: true });
      for (const c of CLASSES) fs.symlinkSync(path.join(SAMPLE, 'val', c), path.join(dir, 'faces', split, c));
    }
    const loaded = await loadData(data({ kind: 'folder', path: 'faces' }, 'auto'), { baseDir: dir, seed: 1, limitPerClass: 2 });
    expect(loaded.val.images).toHaveLength(4);
    expect(loaded.test).toBeNull();
  });
});

describe('emoc eval', () => {
  it("scores the run on the validation folder and gets the run's own validation numbers", () => {
    const r = emoc(['eval', runDir, path.join(SAMPLE, 'val'), '--limit-per-class', String(LIMIT)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = readJson(path.join(tmp, runDir, 'summary.json'));
    expect(r.stdout).toContain(`accuracy ${(100 * summary.val.acc).toFixed(2)}%`);
    expect(r.stdout).toMatch(/true \\ predicted +angry +disgust/);
    // The run's test-time views (ten crops, averaged) are used, as in the run's own validation.
    expect(r.stdout).toContain('test-time tencrop');
    const evalDir = path.join(tmp, runDir, 'eval');
    const [entry] = fs.readdirSync(evalDir);
    expect(entry).toMatch(/^val-[0-9a-f]{8}$/);
    const metrics = readJson(path.join(evalDir, entry, 'metrics.json'));
    expect(metrics.acc).toBeCloseTo(summary.val.acc, 10);
    expect(metrics.images).toBe(7 * LIMIT);
    expect(readJson(path.join(evalDir, entry, 'confusion.json')).matrix).toEqual(readJson(path.join(tmp, runDir, 'confusion.json')).matrix);
  });

  it('takes test/ from a folder of splits, and prints JSON with --format json', () => {
    const r = emoc(['eval', runDir, 'data', '--format', 'json', '--limit-per-class', '2']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.data).toBe(path.join('data', 'test'));
    expect(out.images).toBe(14);
    expect(out.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(14);
  });

  it('reports on the classes present when the data lacks some', () => {
    fs.mkdirSync(path.join(tmp, 'two'));
    fs.symlinkSync(path.join(SAMPLE, 'val', 'happy'), path.join(tmp, 'two', 'happy'));
    fs.symlinkSync(path.join(SAMPLE, 'val', 'sad'), path.join(tmp, 'two', 'sad'));
    const r = emoc(['eval', runDir, 'two', '--format', 'json', '--limit-per-class', '3']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.present).toEqual(['happy', 'sad']);
    expect(out.images).toBe(6);
    expect(out.recall.filter((x: number | null) => x === null)).toHaveLength(5);
  });

  it('refuses a class folder the model does not know', () => {
    fs.mkdirSync(path.join(tmp, 'odd', 'contempt'), { recursive: true });
    fs.symlinkSync(path.join(SAMPLE, 'val', 'happy'), path.join(tmp, 'odd', 'happy'));
    fs.copyFileSync(
      path.join(SAMPLE, 'val', 'happy', fs.readdirSync(path.join(SAMPLE, 'val', 'happy'))[0]),
      path.join(tmp, 'odd', 'contempt', 'a.jpg'),
    );
    expectOneLineError(emoc(['eval', runDir, 'odd']), /class folder 'contempt' in 'odd' is not a class the model knows/);
  });

  it('gives one located line for a missing path and an empty folder', () => {
    expectOneLineError(emoc(['eval', runDir, 'nowhere']), /nowhere: 'nowhere' does not exist/);
    fs.mkdirSync(path.join(tmp, 'empty'));
    expectOneLineError(emoc(['eval', runDir, 'empty']), /'empty' is empty/);
    expect(fs.readdirSync(path.join(tmp, runDir, 'eval'))).not.toContain('empty');
  });

  it('reads a FER2013 CSV: PrivateTest by default, PublicTest with --split val', async () => {
    // Label ids: 3 happy, 4 sad, 6 neutral (FER2013's order); pixels are a flat grey level per row.
    const row = (id: number, grey: number, usage: string) => `${id},"${new Array(48 * 48).fill(grey).join(' ')}",${usage}`;
    const lines = [
      'emotion,pixels,Usage',
      row(3, 200, 'Training'),
      row(3, 190, 'PrivateTest'),
      row(4, 40, 'PrivateTest'),
      row(6, 120, 'PrivateTest'),
      row(4, 50, 'PublicTest'),
      row(4, 60, 'PublicTest'),
    ];
    fs.writeFileSync(path.join(tmp, 'fer.csv'), `${lines.join('\n')}\n`);
    const test = await evalRun(path.join(tmp, runDir), path.join(tmp, 'fer.csv'), { cacheDir: path.join(tmp, 'cache') });
    expect(test.images).toBe(3);
    expect(test.present).toEqual(['happy', 'neutral', 'sad']);
    expect(test.confusion.map((r) => r.reduce((a, b) => a + b, 0))).toEqual([0, 0, 0, 1, 1, 1, 0]);
    const val = await evalRun(path.join(tmp, runDir), path.join(tmp, 'fer.csv'), { split: 'val', cacheDir: path.join(tmp, 'cache') });
    expect(val.images).toBe(2);
    expect(val.present).toEqual(['sad']);
    expect(path.basename(val.dir)).not.toBe(path.basename(test.dir));
  });

  // The same typed errors in-process (each CLI start costs seconds): the CLI prints any of them as above.
  it('names a folder of empty class folders, a missing split and folders that are not runs', async () => {
    const at = (p: string) => path.join(tmp, p);
    fs.mkdirSync(at('noimages/happy'), { recursive: true });
    const refused = async (p: Promise<unknown>, kind: typeof DataError | typeof RunFolderError, message: RegExp) => {
      const e = await p.then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(kind);
      expect((e as Error).message).toMatch(message);
    };
    await refused(evalRun(at(runDir), at('noimages')), DataError, /no images in '.*noimages'/);
    await refused(evalRun(at(runDir), at('data'), { split: 'holdout' }), DataError, /has no split 'holdout'/);
    await refused(evalRun(at('data'), at('data')), RunFolderError, /not a run folder/);
    await refused(evalRun(at('runs/none'), at('data')), RunFolderError, /no such run folder/);
  });
});
