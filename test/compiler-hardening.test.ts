// Compile-time defects of the hardening issue, each caught before training: a sweep that multiplies into
// millions of points (E044), layers after the final softmax (E036), a random crop with a frozen backbone
// (E037), a backbone input size the backbone cannot take (E038) and a batch whose activations cannot fit
// in memory (W002). Golden diagnostics (code, line, column, message) worked out by hand from the text, and
// the command line as a user meets it (exit code, one-line message, no stack trace).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, type CompileOptions } from '../compiler/compile.ts';
import type { Diagnostic } from '../compiler/diagnostics.ts';
import { explain } from '../compiler/explain.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin/emoc.js');
const MAIN = '/virtual/main.emo';
const L = (...lines: string[]) => lines.join('\n') + '\n';

type Golden = [code: string, line: number, column: number, message: string];

const run = (text: string, opts: CompileOptions = {}) => compile(MAIN, { text, readFile: () => undefined, checkPackages: false, ...opts });
const golden = (ds: Diagnostic[]): Golden[] => ds.map((d) => [d.code, d.line, d.column, d.message]);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-hardening-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
function emoc(args: string[], files: Record<string, string> = {}) {
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(tmp, name), text);
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: tmp,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at |internal error/);

const tens = (f: (i: number) => number) => `[${Array.from({ length: 10 }, (_, i) => f(i)).join(', ')}]`;
// Seven axes of ten values: 10,000,000 points.
const SEVEN_AXES = L(
  'experiment big {', // 1
  '  model {', // 2
  '    flatten', // 3
  '    dropout $a | dropout $b | dropout $c', // 4
  '    fc 7 | softmax', // 5
  '  }', // 6
  '  sweep {', // 7
  `    a in ${tens((i) => (i + 1) / 20)}`,
  `    b in ${tens((i) => (i + 1) / 20)}`,
  `    c in ${tens((i) => (i + 1) / 20)}`,
  `    train.seed in ${tens((i) => i + 1)}`,
  `    train.epochs in ${tens((i) => i + 1)}`,
  `    train.batch in ${tens((i) => i + 1)}`,
  `    train.lr in ${tens((i) => (i + 1) / 1000)}`,
  '  }',
  '}',
);
// Three axes of four values: 64 points.
const SIXTY_FOUR = L(
  'experiment grid {', // 1
  '  model {', // 2
  '    flatten', // 3
  '    dropout $a', // 4
  '    fc 7 | softmax', // 5
  '  }', // 6
  '  sweep {', // 7
  '    a in [0.1, 0.2, 0.3, 0.4]',
  '    train.seed in [1, 2, 3, 4]',
  '    train.epochs in [1, 2, 3, 4]',
  '  }',
  '}',
);

describe('sweep expansion is bounded (E044)', () => {
  it('refuses seven axes of ten values before building a point, at the sweep block', () => {
    const r = run(SEVEN_AXES);
    expect(golden(r.diagnostics)).toEqual([
      ['E044', 7, 3, "the sweep of 'big' has 10,000,000 points (10 x 10 x 10 x 10 x 10 x 10 x 10), more than the limit of 10,000"],
    ]);
    expect(r.diagnostics[0].hint).toBe('use fewer axes or values, or raise the limit with --max-points 10000000');
    expect(r.experiments).toEqual([]);
    expect(r.ok).toBe(false);
  });

  it('the limit is an option: 64 points pass a limit of 64 and fail one of 63', () => {
    expect(run(SIXTY_FOUR, { maxPoints: 64 }).experiments).toHaveLength(64);
    const r = run(SIXTY_FOUR, { maxPoints: 63 });
    expect(golden(r.diagnostics)).toEqual([['E044', 7, 3, "the sweep of 'grid' has 64 points (4 x 4 x 4), more than the limit of 63"]]);
    expect(r.experiments).toEqual([]);
  });

  it('explain lists the first points of a large sweep and the count, with a table for those only', () => {
    const text = explain(run(SIXTY_FOUR).experiments);
    expect(text).toContain('sweep grid: 64 points over a x train.seed x train.epochs');
    const listed = text.split('\n').filter((l) => /^ {2}\S+ +a=/.test(l));
    expect(listed).toHaveLength(20);
    expect(listed[0]).toMatch(/^ {2}0\.1-1-1 +a=0\.1 {2}train\.seed=1 {2}train\.epochs=1 /);
    expect(text).toContain('  ... and 44 more points');
    expect(text.match(/total params:/g)).toHaveLength(20);
  });

  it('compile can keep only the first points of each sweep: all are still checked and counted', () => {
    const r = run(SIXTY_FOUR, { keepPoints: 20 });
    expect(r.experiments.map((e) => e.sweep?.point).slice(0, 3)).toEqual(['0.1-1-1', '0.1-1-2', '0.1-1-3']);
    expect(r.experiments).toHaveLength(20);
    expect(r.sweepSizes.get('grid')).toBe(64);
    const text = explain(r.experiments, r.sweepSizes);
    expect(text).toContain('sweep grid: 64 points over a x train.seed x train.epochs');
    expect(text).toContain('  ... and 44 more points');
    // A mistake in a point that is not kept is still reported (a batch of 0 in the last seed only).
    const broken = run(SIXTY_FOUR.replace('train.seed in [1, 2, 3, 4]', 'train.seed in [1, 2, 3, 4]\n    train.batch in [32, 0]'), {
      keepPoints: 1,
    });
    expect(broken.diagnostics.map((d) => d.code)).toEqual(['E013']);
    expect(broken.experiments).toHaveLength(1);
  });

  it('compile with keepIRs false (emoc check) keeps no IR but checks and counts every point', () => {
    const r = run(SIXTY_FOUR, { keepIRs: false });
    expect(r.experiments).toEqual([]);
    expect(r.count).toBe(64);
    expect(r.ok).toBe(true);
    expect(run(SIXTY_FOUR).count).toBe(64);
    const broken = run(SIXTY_FOUR.replace('train.seed in [1, 2, 3, 4]', 'train.seed in [1, 2, 3, 4]\n    train.batch in [32, 0]'), {
      keepIRs: false,
    });
    expect(broken.diagnostics.map((d) => d.code)).toEqual(['E013']);
    expect(broken.count).toBe(128);
  });

  it('emoc explain of a sweep lists its first 20 points and the count; FILE#point explains any point', () => {
    const r = emoc(['explain', 'grid.emo'], { 'grid.emo': SIXTY_FOUR });
    expect(r.code).toBe(0);
    expect(r.out).toContain('sweep grid: 64 points over a x train.seed x train.epochs');
    expect(r.out).toContain('  ... and 44 more points');
    expect(r.out.match(/total params:/g)).toHaveLength(20);
    const last = emoc(['explain', 'grid.emo#0.4-4-4']);
    expect(last.code).toBe(0);
    expect(last.out).toContain('grid-0.4-4-4\n');
    expect(last.out.match(/total params:/g)).toHaveLength(1);
  });

  it('emoc check --max-points N overrides the limit; a bad N is a usage error', () => {
    const refused = emoc(['check', 'grid.emo', '--max-points', '63'], { 'grid.emo': SIXTY_FOUR });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("grid.emo:7:3 error E044 the sweep of 'grid' has 64 points (4 x 4 x 4), more than the limit of 63");
    noStack(refused.err);
    const ok = emoc(['check', 'grid.emo', '--max-points', '64']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('grid.emo: ok (64 experiments)');
    const bad = emoc(['check', 'grid.emo', '--max-points', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("option '--max-points <n>' argument 'lots' is invalid");
    noStack(bad.err);
  });

  it('emoc check of seven axes of ten values answers with E044 (exit 1), and so do compile, explain and lint', () => {
    for (const cmd of ['check', 'compile', 'explain', 'lint']) {
      const r = emoc([cmd, 'big.emo'], { 'big.emo': SEVEN_AXES });
      expect(r.code, cmd).toBe(1);
      expect(r.err, cmd).toContain('E044');
      expect(r.err, cmd).toContain('10,000,000 points');
      noStack(r.err);
    }
  });
});

describe('nothing after the final softmax (E036)', () => {
  it('fc 7 | softmax | dropout 0.5 is an error on the dropout', () => {
    const r = run(L('experiment e {', '  model {', '    flatten', '    fc 7 | softmax | dropout 0.5', '  }', '}'));
    expect(golden(r.diagnostics)).toEqual([
      ['E036', 4, 22, "'dropout' after the final softmax: the network must end with the softmax's class probabilities"],
    ]);
    expect(r.diagnostics[0].hint).toBe("move 'dropout' before the last fc, or remove it");
    expect([r.diagnostics[0].endLine, r.diagnostics[0].endColumn]).toEqual([4, 29]);
  });

  it('only the first layer after the softmax is reported, on its own line too', () => {
    const r = run(L('experiment e {', '  model {', '    flatten', '    fc 7 softmax', '    bn', '    dropout 0.2', '  }', '}'));
    expect(golden(r.diagnostics)).toEqual([
      ['E036', 5, 5, "'bn' after the final softmax: the network must end with the softmax's class probabilities"],
    ]);
  });

  it('a stack that ends in softmax, as a layer or as the fc activation, is clean', () => {
    expect(run(L('experiment e {', '  model { flatten; fc 7 | softmax }', '}')).diagnostics).toEqual([]);
    expect(run(L('experiment e {', '  model { flatten; dropout 0.5; fc 7 softmax }', '}')).diagnostics).toEqual([]);
  });

  it('the runtime reads "ends in softmax" from the compiler', async () => {
    const { endsInSoftmax } = await import('../compiler/softmax.ts');
    const { outputsProbabilities } = await import('../runtime/model.ts');
    const stacks = ['flatten; fc 7 | softmax', 'flatten; fc 7 softmax', 'flatten; fc 7', 'flatten; fc 7 | relu'];
    for (const stack of stacks) {
      const [ir] = run(L('experiment e {', `  model { ${stack} }`, '}')).experiments;
      expect(outputsProbabilities(ir), stack).toBe(endsInSoftmax(ir.layers));
    }
    const [a, b, c] = stacks.map((s) => run(L('experiment e {', `  model { ${s} }`, '}')).experiments[0]);
    expect([endsInSoftmax(a.layers), endsInSoftmax(b.layers), endsInSoftmax(c.layers)]).toEqual([true, true, false]);
  });
});

const BACKBONE = (augment: string, extra = '') =>
  L(
    'experiment e {',
    '  backbone faceres {',
    '    tap avgpool',
    `    ${extra || 'frozen'}`,
    '  }',
    '  augment {',
    `    ${augment}`,
    '  }',
    '  head { fc 7 | softmax }',
    '}',
  );

describe('what a frozen backbone cannot take is a compile error', () => {
  it('randomcrop with a frozen backbone is E037 on the randomcrop', () => {
    const r = run(BACKBONE('randomcrop 144'));
    expect(golden(r.diagnostics)).toEqual([
      ['E037', 7, 5, "randomcrop makes new views every epoch, which a frozen backbone's feature cache cannot hold"],
    ]);
    expect(r.diagnostics[0].hint).toBe(
      "use flip or tencrop with a frozen backbone, or fine-tune it ('finetune N'), which runs it on every batch",
    );
  });

  it('flip and tencrop are fine; a crop larger than the images is E033 with a backbone too', () => {
    expect(run(BACKBONE('flip')).diagnostics).toEqual([]);
    expect(run(BACKBONE('tencrop 144')).diagnostics).toEqual([]);
    expect(golden(run(BACKBONE('tencrop 200')).diagnostics)).toEqual([['E033', 6, 3, 'a 200x200 crop does not fit the 160x160 input']]);
  });

  it('emoc run stops at compile time with E037: exit 1, one located line, no stack trace', () => {
    const spec = L(
      'experiment e {',
      '  data { source builtin:faces; images 14; input 48x48x3 }',
      '  backbone faceres { tap avgpool }',
      '  augment { randomcrop 40 }',
      '  head { fc 7 | softmax }',
      '  train { epochs 1 }',
      '}',
    );
    const r = emoc(['run', 'crop.emo', '--backend', 'cpu', '--runs', 'runs', '--no-dashboard'], { 'crop.emo': spec });
    expect(r.code).toBe(1);
    expect(r.err).toContain('crop.emo:4:13 error E037 randomcrop makes new views every epoch');
    expect(r.err).toContain('hint: use flip or tencrop with a frozen backbone');
    noStack(r.err);
    expect(fs.existsSync(path.join(tmp, 'runs'))).toBe(false);
  });

  it("a backbone's input must be the size the backbone takes (E038 on the value)", () => {
    const r = run(BACKBONE('flip', 'input 112x112x3'));
    expect(golden(r.diagnostics)).toEqual([['E038', 4, 11, "backbone 'faceres' takes 224x224x3 images, not 112x112x3"]]);
    expect(r.diagnostics[0].hint).toBe(
      "remove 'input': a frozen faceres resizes every image to 224x224x3 (a fine-tuned one, 'finetune N', can take a smaller input)",
    );
    expect(run(BACKBONE('flip', 'input 224x224x3')).diagnostics).toEqual([]);
  });

  it("a user's graph model: input must match the size its model.json placeholder fixes, any size when open", () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'graph-'));
    const placeholder = (dims: number[]) =>
      JSON.stringify({
        format: 'graph-model',
        modelTopology: {
          node: [{ name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: dims.map((d) => ({ size: String(d) })) } } } }],
        },
      });
    fs.writeFileSync(path.join(dir, 'fixed.json'), placeholder([-1, 96, 96, 3]));
    fs.mkdirSync(path.join(dir, 'open'));
    fs.writeFileSync(path.join(dir, 'open', 'model.json'), placeholder([-1, -1, -1, 3]));
    const spec = (weights: string) =>
      L(
        'experiment e {',
        '  backbone mynet {',
        `    weights "${weights}"`,
        '    tap "feat"',
        '    input 112x112x3',
        '  }',
        '  head { fc 7 | softmax }',
        '}',
      );
    const compileIn = (text: string) => compile(path.join(dir, 'main.emo'), { text, checkPackages: false });
    const fixed = compileIn(spec('fixed.json'));
    expect(golden(fixed.diagnostics)).toEqual([['E038', 5, 11, "the graph model 'fixed.json' takes 96x96x3 images, not 112x112x3"]]);
    expect(fixed.diagnostics[0].hint).toBe('write: input 96x96x3 (the size its input placeholder fixes)');
    expect(compileIn(spec('open')).diagnostics).toEqual([]);
  });

  it('reads the input a converted graph fixes, as tfjs-converter does: the first placeholder', async () => {
    const { graphInputShape } = await import('../compiler/graph-input.ts');
    // @vladmandic/human's emotion model takes 64x64 grey images (its model.json: input_1 [-1, 64, 64, 1]).
    expect(graphInputShape(fs.readFileSync(path.join(ROOT, 'node_modules/@vladmandic/human/models/emotion.json'), 'utf8'))).toEqual([
      64, 64, 1,
    ]);
    expect(graphInputShape('{ not json')).toBe(null);
    expect(graphInputShape(JSON.stringify({ modelTopology: { node: [{ op: 'Placeholder', attr: {} }] } }))).toBe(null);
  });
});

describe('activation memory of a batch (W002)', () => {
  const HUGE = L(
    'experiment e {',
    '  data {',
    '    input 100000x100000x3',
    '  }',
    '  model {',
    '    avgpool',
    '    fc 7 | softmax',
    '  }',
    '}',
  );
  // Per image: the input 100000*100000*3 = 3e10 floats, then avgpool 3, fc 7 and softmax 7 floats, each
  // kept for the forward pass and again as its gradient: 3e10 + 2 * 17 floats. A batch of 32 at 4 bytes a
  // float: 3,840,000,004,352 bytes = 3.49 TiB.
  it('warns at the input size, naming the estimate and the limit', () => {
    const r = run(HUGE);
    expect(golden(r.diagnostics)).toEqual([
      ['W002', 3, 11, 'a batch of 32 needs about 3.5 TiB of activation memory (forward and gradients), more than the limit of 8 GiB'],
    ]);
    expect(r.diagnostics[0].hint).toBe('use a smaller input or batch, or raise the limit with --memory-limit GIB');
    expect(r.ok).toBe(true);
  });

  it('a limit above the estimate silences it; S1 is well under the default', () => {
    expect(run(HUGE, { memoryLimitBytes: 4000 * 2 ** 30 }).diagnostics).toEqual([]);
    expect(run(fs.readFileSync(path.join(ROOT, 'specs/s1.emo'), 'utf8')).diagnostics).toEqual([]);
  });

  it('explain prints the estimate', () => {
    // S1 per image: 160*160*3 input + 2 * (80*80*64 conv + bn, 40*40*64 pool, 20*20*64 conv + bn,
    // 10*10*64 pool, 6400 flatten, 128 fc, 7 fc, 7 softmax) = 76,800 + 2 * 985,742 floats; x 32 x 4 bytes
    // = 262,180,352 bytes = 250.03 MiB.
    const s1 = compile(path.join(ROOT, 'specs/s1.emo'), { checkPackages: false });
    expect(explain(s1.experiments)).toContain('  activation memory: about 250 MiB a batch of 32 (forward and gradients)');
  });

  it('emoc check warns (exit 0) and --memory-limit raises the limit', () => {
    const warned = emoc(['check', 'huge.emo'], { 'huge.emo': HUGE });
    expect(warned.code).toBe(0);
    expect(warned.err).toContain('huge.emo:3:11 warning W002 a batch of 32 needs about 3.5 TiB');
    const quiet = emoc(['check', 'huge.emo', '--memory-limit', '4000']);
    expect(quiet.code).toBe(0);
    expect(quiet.err).toBe('');
    expect(quiet.out).toContain('huge.emo: ok (1 experiment)');
  });
});
