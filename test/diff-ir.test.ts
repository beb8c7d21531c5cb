// emoc diff: IR-level comparison of two experiments, aligned as layer sequences.

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import { alignLayers } from '../compiler/diff/align.ts';
import { diffExperiments } from '../compiler/diff/diff.ts';
import { renderDiff } from '../compiler/diff/render.ts';
import { formatEmo } from '../compiler/format/format.ts';
import type { ExperimentIR } from '../compiler/ir.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin/emoc.js');
const emoc = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });

function only(file: string, text?: string): ExperimentIR {
  const r = compile(file, { checkPackages: false, ...(text !== undefined ? { text } : {}) });
  expect(r.ok).toBe(true);
  return r.experiments[0];
}

describe('S1 vs S2', () => {
  const d = diffExperiments(only('specs/s1.emo'), only('specs/s2.emo'));

  it('gives exactly the changes of the write-up', () => {
    expect(d.equal).toBe(false);
    expect(d.layers).toEqual([
      {
        op: 'changed',
        layer: 'conv #1',
        fields: [
          { field: 'kernel', from: [5, 5], to: [9, 9] },
          { field: 'stride', from: [2, 2], to: [4, 4] },
        ],
      },
      { op: 'removed', layer: 'conv #2', description: 'conv 64 k5x5 s2x2 same relu' },
      { op: 'removed', layer: 'bn #2', description: 'bn' },
      { op: 'removed', layer: 'maxpool #2', description: 'maxpool 2x2 s2x2 valid' },
    ]);
    expect(d.settings).toEqual([]);
    expect(d.shapes.find((s) => s.layer === 'flatten #1')?.output).toEqual({ from: [6400], to: [25600] });
    expect(d.shapes.find((s) => s.layer === 'fc #1')?.params).toEqual({ from: 819_328, to: 3_276_928 });
  });

  it('prints them as the write-up says them', () => {
    const text = renderDiff(d);
    expect(text).toContain('conv #1: kernel 5 -> 9, stride 2 -> 4');
    expect(text).toContain('- conv #2');
    expect(text).toContain('flatten #1: width 6400 -> 25600');
  });
});

describe('equal experiments', () => {
  it('a spec vs its formatted self, and vs a reshuffled, recommented layout, is equal', async () => {
    for (const f of ['specs/s1.emo', 'specs/facenet-avgpool.emo']) {
      const text = (await import('node:fs')).readFileSync(f, 'utf8');
      const formatted = await formatEmo(text, { filepath: f });
      expect(formatted.ok).toBe(true);
      if (formatted.ok) expect(diffExperiments(only(f), only(f, formatted.text)).equal, f).toBe(true);
    }
    const reordered = `# reordered\nexperiment s1 { train { seed 42; optimizer adam lr=0.001; batch 32; epochs 5 }\n model { default activation relu\n conv 64 k5 s2|bn|maxpool 2 # a\n conv 64 k5 s2 | bn\n | maxpool 2; flatten; fc 128; fc 7 | softmax }\n data { preprocess fixed; split 0.2; input 160x160x3; source builtin:faces } }\n`;
    expect(diffExperiments(only('specs/s1.emo'), only('specs/s1.emo', reordered)).equal).toBe(true);
  });
});

describe('alignment', () => {
  it('prefers changing a layer of the same kind to removing one and adding another', () => {
    const a = only('a.emo', 'experiment a { model { flatten; fc 128; fc 7 } }').layers;
    const b = only('b.emo', 'experiment b { model { flatten; fc 256; dropout 0.5; fc 7 } }').layers;
    expect(alignLayers(a, b).map((s) => s.op)).toEqual(['same', 'changed', 'added', 'same']);
  });
});

describe('emoc diff', () => {
  it('exits 0 when equal, 1 when different, 2 on error', () => {
    expect(emoc('diff', 'specs/s1.emo', 'specs/s1.emo').status).toBe(0);
    expect(emoc('diff', 'specs/s1.emo', 'specs/s2.emo').status).toBe(1);
    expect(emoc('diff', 'specs/s1.emo', 'specs/nope.emo').status).toBe(2);
    expect(emoc('diff', 'specs/facenet-grid.emo', 'specs/s1.emo').status).toBe(2);
  });

  it('diffs two points of one sweep, with --json', () => {
    const r = emoc('diff', '--json', 'specs/facenet-grid.emo#l2-h256', 'specs/facenet-grid.emo#avgpool-h256');
    expect(r.status).toBe(1);
    const d = JSON.parse(r.stdout);
    expect(d.layers).toEqual([]);
    expect(d.settings).toEqual([{ section: 'backbone', field: 'taps', from: ['l2'], to: ['avgpool'] }]);
  });

  it('--runs puts the latest finished runs side by side with deltas', () => {
    const r = emoc('diff', '--runs', 'test/fixtures/diff/runs', 'specs/s1.emo', 'specs/s2.emo');
    expect(r.stdout).toMatch(/val accuracy\s+50\.0%\s+45\.0%\s+-5\.0pp/);
    expect(r.stdout).toMatch(/recall fear\s+30\.0%\s+20\.0%\s+-10\.0pp/);
    expect(r.stdout).toMatch(/run time \(s\)\s+60\.0\s+90\.0\s+\+30\.0/);
    const json = JSON.parse(emoc('diff', '--json', '--runs', 'test/fixtures/diff/runs', 'specs/s1.emo', 'specs/s2.emo').stdout);
    expect(json.runs.metrics.find((m: { metric: string }) => m.metric === 'val macro-F1').delta).toBeCloseTo(-0.05);
  });
});
