// Acceptance of "The .emo language": every spec in specs/ compiles clean to a schema-valid IR, with the
// shapes, parameter counts, sweep points, defaults and reuse the write-up describes.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile, type CompileResult } from '../compiler/compile.ts';
import type { ExperimentIR, LayerIR } from '../compiler/ir.ts';
import { validateIR } from '../compiler/schema.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SPECS = path.join(ROOT, 'specs');
const specFiles = fs
  .readdirSync(SPECS)
  .filter((f) => f.endsWith('.emo'))
  .sort();

const cache = new Map<string, CompileResult>();
function compiled(name: string): CompileResult {
  let r = cache.get(name);
  if (!r) {
    r = compile(path.join(SPECS, name));
    cache.set(name, r);
  }
  return r;
}
const only = (name: string): ExperimentIR => {
  const { experiments } = compiled(name);
  expect(experiments).toHaveLength(1);
  return experiments[0];
};

/** Deep copy without `src` fields and block calls' `from.call` (the presentation-dependent data in the IR: locations). */
function withoutSrc<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (k, val) => (k === 'src' || k === 'call' ? undefined : val))) as T;
}

const flattenOutput = (ir: ExperimentIR): number[] => {
  const i = ir.layers.findIndex((l) => l.kind === 'flatten');
  expect(i).toBeGreaterThanOrEqual(0);
  return ir.shapes.layers[i].output;
};

describe('every spec in specs/', () => {
  it('finds the write-up specs', () => {
    expect(specFiles).toEqual(
      expect.arrayContaining(['s1.emo', 's2.emo', 'face-data.emo', 'facenet-grid.emo', 's1-flip.emo', 's1-tencrop.emo']),
    );
  });

  for (const f of specFiles) {
    it(`${f} checks clean and its IR validates against the schema`, () => {
      const r = compiled(f);
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      expect(errors, JSON.stringify(errors, null, 2)).toEqual([]);
      expect(r.ok).toBe(true);
      for (const ir of r.experiments) expect(validateIR(ir), ir.name).toBeNull();
      // A file without experiments is a library of named sections (face-data.emo).
      if (r.experiments.length === 0) expect(r.ast.items.length).toBeGreaterThan(0);
    });
  }
});

describe('S1 and S2', () => {
  it('S1 flattens to 10x10x64 = 6400 for 160x160x3 input', () => {
    const ir = only('s1.emo');
    expect(ir.data.input).toEqual([160, 160, 3]);
    expect(ir.shapes.input).toEqual([160, 160, 3]);
    expect(flattenOutput(ir)).toEqual([6400]);
    const beforeFlatten = ir.shapes.layers[ir.layers.findIndex((l) => l.kind === 'flatten') - 1].output;
    expect(beforeFlatten).toEqual([10, 10, 64]);
  });

  it('S2 flattens to 20x20x64 = 25600 for 160x160x3 input', () => {
    const ir = only('s2.emo');
    expect(ir.shapes.input).toEqual([160, 160, 3]);
    expect(flattenOutput(ir)).toEqual([25600]);
    const beforeFlatten = ir.shapes.layers[ir.layers.findIndex((l) => l.kind === 'flatten') - 1].output;
    expect(beforeFlatten).toEqual([20, 20, 64]);
  });

  it("S1's parameter count matches the architecture computed by hand", () => {
    const ir = only('s1.emo');
    const conv1 = 5 * 5 * 3 * 64 + 64; // 160x160x3 -> 80x80x64
    const bn = 4 * 64; // gamma, beta, moving mean, moving variance
    const conv2 = 5 * 5 * 64 * 64 + 64; // 40x40x64 -> 20x20x64
    const fc1 = 10 * 10 * 64 * 128 + 128; // 6400 -> 128
    const fc2 = 128 * 7 + 7;
    const total = conv1 + bn + conv2 + bn + fc1 + fc2;
    expect(total).toBe(928071);
    expect(ir.shapes.totalParams).toBe(total);
    expect(ir.shapes.trainableParams).toBe(total - 2 * 2 * 64); // moving statistics are not trained
    expect(ir.shapes.layers.map((l) => l.params)).toEqual([conv1, bn, 0, conv2, bn, 0, 0, fc1, fc2, 0]);
    expect(ir.shapes.layers.map((l) => l.output)).toEqual([
      [80, 80, 64],
      [80, 80, 64],
      [40, 40, 64],
      [20, 20, 64],
      [20, 20, 64],
      [10, 10, 64],
      [6400],
      [128],
      [7],
      [7],
    ]);
  });

  it("S2's parameters sit mostly in the fc after flatten", () => {
    const ir = only('s2.emo');
    const conv = 9 * 9 * 3 * 64 + 64;
    const fc1 = 25600 * 128 + 128;
    expect(ir.shapes.totalParams).toBe(conv + 4 * 64 + fc1 + 128 * 7 + 7);
  });
});

describe('the facenet grid', () => {
  it('expands to 16 points with distinct names', () => {
    const { experiments } = compiled('facenet-grid.emo');
    expect(experiments).toHaveLength(16);
    const names = experiments.map((e) => e.name);
    expect(new Set(names).size).toBe(16);
    for (const tap of ['avgpool', 'bottleneck', 'l2', 'concat']) {
      for (const h of ['none', '128', '256', '512']) expect(names).toContain(`facenet-grid-${tap}-h${h}`);
    }
    const p = experiments.find((e) => e.name === 'facenet-grid-l2-h256')!;
    expect(p.sweep).toEqual({ sweep: 'facenet-grid', point: 'l2-h256', values: { tap: 'l2', hidden: 256 } });
    expect(p.backbone?.taps).toEqual(['l2']);
    expect(p.backbone?.width).toBe(1024);
    expect(p.layers.filter((l) => l.kind === 'fc').map((l) => (l as { units: number }).units)).toEqual([256, 7]);
    expect(p.shapes.layers[0].params).toBe(1024 * 256 + 256);
  });

  it('leaves the hidden layer out at hidden=none and concatenates the three taps at concat', () => {
    const { experiments } = compiled('facenet-grid.emo');
    const none = experiments.find((e) => e.name === 'facenet-grid-avgpool-hnone')!;
    expect(none.layers.map((l) => l.kind)).toEqual(['fc', 'activation']);
    expect(none.layers[0]).toMatchObject({ kind: 'fc', units: 7, activation: 'linear' });
    const concat = experiments.find((e) => e.name === 'facenet-grid-concat-h128')!;
    expect(concat.backbone?.taps).toEqual(['avgpool', 'bottleneck', 'l2']);
    expect(concat.backbone?.width).toBe(1024 + 256 + 1024);
    expect(concat.shapes.input).toEqual([2304]);
  });
});

describe('default activation relu', () => {
  const withDefault = specFiles.filter(
    (f) =>
      /^\s*default activation relu/m.test(fs.readFileSync(path.join(SPECS, f), 'utf8')) || f === 's1-flip.emo' || f === 's1-tencrop.emo',
  );

  it('is used by the specs that build layer stacks', () => {
    expect(withDefault.length).toBeGreaterThanOrEqual(6);
  });

  for (const f of withDefault) {
    it(`${f}: every conv/fc except the last is explicitly relu, the last is linear`, () => {
      for (const ir of compiled(f).experiments) {
        const weighted = ir.layers.filter((l): l is Extract<LayerIR, { kind: 'conv' | 'fc' }> => l.kind === 'conv' || l.kind === 'fc');
        expect(weighted.length).toBeGreaterThan(0);
        weighted.slice(0, -1).forEach((l) => expect(l.activation, `${ir.name}`).toBe('relu'));
        expect(weighted.at(-1)!.activation).toBe('linear');
        expect(ir.layers.at(-1)).toMatchObject({ kind: 'activation', fn: 'softmax' });
      }
    });
  }
});

describe('imports, extends and named sections', () => {
  it('s1-flip is S1 plus flip', () => {
    const s1 = withoutSrc(only('s1.emo'));
    const flip = withoutSrc(only('s1-flip.emo'));
    expect(flip.name).toBe('s1-flip');
    expect(flip.augment).toEqual({ train: [{ kind: 'flip' }], test: { kind: 'none' } });
    expect(flip.data).toEqual(s1.data);
    expect(flip.layers).toEqual(s1.layers);
    expect(flip.train).toEqual(s1.train);
    expect(flip.shapes).toEqual(s1.shapes);
  });

  it('s1-tencrop trains and tests on 144x144 crops, so the network input shrinks', () => {
    const ir = only('s1-tencrop.emo');
    expect(ir.augment).toEqual({ train: [{ kind: 'tencrop', size: [144, 144] }], test: { kind: 'tencrop', size: [144, 144] } });
    expect(ir.data.input).toEqual([160, 160, 3]);
    expect(ir.shapes.input).toEqual([144, 144, 3]);
    // 144 -> conv s2 72 -> pool 36 -> conv s2 18 -> pool 9
    expect(flattenOutput(ir)).toEqual([9 * 9 * 64]);
  });

  it('the data and train blocks are written once, in face-data.emo, and shared by reference', () => {
    const facenet = specFiles.filter((f) => f.startsWith('facenet-'));
    expect(facenet.length).toBeGreaterThanOrEqual(5);
    for (const f of facenet) {
      const r = compiled(f);
      const exp = r.ast.items.find((i) => i.kind === 'experiment');
      expect(exp?.kind).toBe('experiment');
      if (exp?.kind !== 'experiment') continue;
      const data = exp.sections.find((s) => s.keyword === 'data')!;
      expect(data.body, `${f} must not repeat the data block`).toBeNull();
      expect(data.header).toMatchObject([{ kind: 'word', name: 'faces' }]);
      expect(r.ast.imports.map((i) => i.path)).toEqual(['face-data.emo']);
      for (const ir of r.experiments) {
        expect(ir.data).toEqual({
          source: { kind: 'builtin', name: 'faces', images: 840 },
          classes: ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'],
          input: [160, 160, 3],
          valSplit: 0.2,
          preprocess: 'fixed',
          test: null,
        });
        expect(ir.train).toMatchObject({
          epochs: 20,
          batchSize: 32,
          seed: 42,
          optimizer: { kind: 'adam', lr: 1e-3 },
          earlyStop: { metric: 'val_acc', patience: 5 },
        });
      }
    }
    const dataBlocks = specFiles.filter((f) => /^data faces \{/m.test(fs.readFileSync(path.join(SPECS, f), 'utf8')));
    expect(dataBlocks).toEqual(['face-data.emo']);
  });

  it('merges settings sections setting by setting and replaces layer stacks (documented merge rule)', () => {
    const files: Record<string, string> = {
      '/m/lib.emo': [
        'data faces {',
        '  source builtin:faces',
        '  input 64x64x3',
        '  split 0.2',
        '}',
        'model tiny {',
        '  flatten',
        '  fc 7',
        '}',
      ].join('\n'),
      '/m/main.emo': [
        'import "lib.emo"',
        'experiment base {',
        '  data faces { split 0.1 }',
        '  model tiny',
        '  train {',
        '    epochs 3',
        '    seed 7',
        '  }',
        '}',
        'experiment child extends base {',
        '  train { epochs 9 }',
        '  model {',
        '    conv 4 k3',
        '    flatten',
        '    fc 7',
        '  }',
        '}',
      ].join('\n'),
    };
    const r = compile('/m/main.emo', { readFile: (f) => files[f] });
    expect(r.diagnostics).toEqual([]);
    const [base, child] = r.experiments;
    expect(base.data.input).toEqual([64, 64, 3]); // from the named section
    expect(base.data.valSplit).toBe(0.1); // amended in place
    expect(base.layers.map((l) => l.kind)).toEqual(['flatten', 'fc']);
    expect(child.data).toEqual(base.data); // inherited
    expect(child.train.epochs).toBe(9); // overridden
    expect(child.train.seed).toBe(7); // merged, not replaced
    expect(child.layers.map((l) => l.kind)).toEqual(['conv', 'flatten', 'fc']); // replaced whole
  });
});

describe('fer2013.emo (issue 13: a readable modern FER spec)', () => {
  it('is under 50 lines, counting the block files it imports', () => {
    const text = fs.readFileSync(path.join(SPECS, 'fer2013.emo'), 'utf8');
    const imports = [...text.matchAll(/^\s*import\s+"([^"]+)"/gm)].map((m) => fs.readFileSync(path.join(SPECS, m[1]), 'utf8'));
    const lines = [text, ...imports].reduce((n, t) => n + t.trimEnd().split('\n').length, 0);
    expect(lines).toBeLessThan(50);
  });

  it('tunes on a hold-out of the Training folder and keeps PublicTest (val/) as the test split', () => {
    const ir = only('fer2013.emo');
    const data = path.resolve(ROOT, '..', 'shared', 'data', 'fer2013');
    expect(ir.data.source).toMatchObject({ kind: 'folder' });
    expect(ir.data.test).toMatchObject({ kind: 'folder' });
    // Paths resolve against the spec's folder, specs/.
    expect(path.resolve(SPECS, (ir.data.source as { path: string }).path)).toBe(path.join(data, 'train'));
    expect(path.resolve(SPECS, (ir.data.test as { path: string }).path)).toBe(path.join(data, 'val'));
    expect(ir.data.valSplit).toBe(0.1);
    expect(ir.shapes.input).toEqual([48, 48, 1]);
  });

  it('is a ResNet of 64-128-256 stages with projection shortcuts, global pooling, dropout and fc 7', () => {
    const ir = only('fer2013.emo');
    const stages = ir.layers.filter((l) => l.kind === 'residual');
    expect(stages.map((l) => (l.kind === 'residual' ? l.shortcut : null))).toEqual([
      { kind: 'projection', filters: 64, stride: [2, 2] },
      { kind: 'projection', filters: 128, stride: [2, 2] },
      { kind: 'projection', filters: 256, stride: [2, 2] },
    ]);
    const i = ir.layers.findIndex((l) => l.kind === 'globalavgpool');
    expect(ir.shapes.layers[i - 1].output).toEqual([3, 3, 256]);
    expect(ir.layers.slice(i).map((l) => l.kind)).toEqual(['globalavgpool', 'dropout', 'fc', 'activation']);
    expect(ir.layers.at(-2)).toMatchObject({ kind: 'fc', units: 7 });
  });

  it('trains with flip, rotate, zoom, shift and erase, AdamW, cosine warm-up and label smoothing at batch 64', () => {
    const ir = only('fer2013.emo');
    expect(ir.augment.train.map((a) => a.kind)).toEqual(['flip', 'rotate', 'zoom', 'shift', 'erase']);
    expect(ir.train.batchSize).toBe(64);
    expect(ir.train.optimizer.kind).toBe('adamw');
    expect(ir.train.schedule).toMatchObject({ kind: 'cosine' });
    expect((ir.train.schedule as { warmup: number }).warmup).toBeGreaterThan(0);
    expect(ir.train.labelSmoothing).toBeGreaterThan(0);
  });
});

describe('formatting-insensitivity', () => {
  /** Re-lay a spec: other indentation, blank lines, extra spaces, `;` and comments, same tokens. */
  function reformat(text: string): string {
    const code: string[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*$/, '').trim();
      if (!line) continue;
      const spaced = line.replace(/ +/g, '   ').replace(/\|/g, '  |  ');
      // `batch` joins the line before it with `;`.
      if (/^batch\b/.test(line) && code.length) code[code.length - 1] += ` ;  ${spaced}`;
      else code.push(spaced);
    }
    const out: string[] = ['# reformatted copy', ''];
    for (const line of code) out.push(`\t${line}    # note`, '', '      # a comment line');
    return out.join('\r\n');
  }

  for (const f of specFiles) {
    it(`${f} gives the same IR whatever the layout`, () => {
      const file = path.join(SPECS, f);
      const text = fs.readFileSync(file, 'utf8');
      const again = compile(file, { text: reformat(text) });
      expect(again.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(withoutSrc(again.experiments)).toEqual(withoutSrc(compiled(f).experiments));
    });
  }

  it('pipelines may be split over lines with a leading or trailing |', () => {
    const one = compile('/v/a.emo', { text: 'experiment a {\n  model {\n    conv 8 k3 | bn | maxpool 2\n    flatten | fc 7\n  }\n}\n' });
    const split = compile('/v/a.emo', {
      text: 'experiment a {\n  model {\n    conv 8 k3 |\n    bn\n    | maxpool 2\n    flatten\n    |\n    fc 7\n  }\n}\n',
    });
    expect(one.diagnostics).toEqual([]);
    expect(split.diagnostics).toEqual([]);
    expect(withoutSrc(split.experiments)).toEqual(withoutSrc(one.experiments));
  });
});
