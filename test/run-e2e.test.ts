// `emoc run` end to end at a reduced size: artifacts, determinism, interrupt and resume, real faces.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import type { ExperimentIR } from '../compiler/ir.ts';
import { validateIR } from '../compiler/schema.ts';
import type { EpochEvent, RunEvent } from '../runtime/events.ts';
import { runExperiment } from '../runtime/run.ts';

// S1's architecture on 32x32 inputs, so a CPU test run takes seconds.
const SMALL_S1 = `experiment tiny-s1 {
  data {
    source builtin:faces
    images 56
    input 32x32x3
    split 0.25
  }
  model {
    default activation relu
    conv 8 k5 s2 | bn | maxpool 2
    conv 8 k5 s2 | bn | maxpool 2
    flatten
    fc 16
    dropout 0.25
    fc 7 | softmax
  }
  train {
    epochs 2
    batch 8
    optimizer adam lr=3e-3
    seed 7
  }
}
`;

let tmp: string;
let ir: ExperimentIR;

function compileText(text: string, file: string): ExperimentIR {
  fs.writeFileSync(file, text);
  const r = compile(file, { validate: true });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.experiments[0];
}

async function run(extra: Partial<Parameters<typeof runExperiment>[0]> = {}) {
  const events: RunEvent[] = [];
  const outcome = await runExperiment({
    ir,
    specText: SMALL_S1,
    runsDir: path.join(tmp, 'runs'),
    backend: 'wasm',
    threads: 1,
    sink: (e) => events.push(e),
    shouldStop: () => false,
    ...extra,
  });
  return { outcome, events };
}

const epochs = (events: RunEvent[]) => events.filter((e): e is EpochEvent => e.type === 'epoch');

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-run-'));
  ir = compileText(SMALL_S1, path.join(tmp, 'tiny.emo'));
});

describe('emoc run on the built-in faces', () => {
  it('trains and writes every artifact', async () => {
    const { outcome, events } = await run();
    expect(outcome.status).toBe('finished');
    const dir = outcome.runDir;
    for (const f of [
      'spec.emo',
      'ir.json',
      'env.json',
      'metrics.jsonl',
      'summary.json',
      'confusion.json',
      'model/model.json',
      'model/weights.bin',
    ]) {
      expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    }
    expect(fs.existsSync(path.join(dir, 'checkpoint'))).toBe(false);
    expect(validateIR(JSON.parse(fs.readFileSync(path.join(dir, 'ir.json'), 'utf8')))).toBeNull();
    const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    // Each epoch splits its training time into input wait and steps (the benchmark reports the share).
    for (const e of lines.map((l) => JSON.parse(l) as EpochEvent)) {
      expect(e.timing!.stepMs).toBeGreaterThan(0);
      expect(e.timing!.inputMs).toBeGreaterThanOrEqual(0);
      expect(e.timing!.inputMs + e.timing!.stepMs).toBeLessThanOrEqual(e.elapsedMs);
    }
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('finished');
    expect(summary.backend.name).toBe('wasm');
    const start = events.find((e) => e.type === 'start')!;
    if (start.type !== 'start') throw new Error('no start');
    const valCount = start.counts.val.reduce((a, b) => a + b, 0);
    const confusion: number[][] = JSON.parse(fs.readFileSync(path.join(dir, 'confusion.json'), 'utf8')).matrix;
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(valCount);
    expect(summary.val.acc).toBeCloseTo(confusion.reduce((a, row, i) => a + row[i], 0) / valCount, 10);
    // No leftover temporary files from atomic writes.
    const all = fs.readdirSync(dir, { recursive: true }) as string[];
    expect(all.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('gives the same numbers for the same seed and backend', async () => {
    const a = epochs((await run()).events);
    const b = epochs((await run()).events);
    expect(a.map((e) => [e.train.loss, e.val.loss, e.val.acc])).toEqual(b.map((e) => [e.train.loss, e.val.loss, e.val.acc]));
  });

  it('stops after a batch with a checkpoint, and --resume continues to the same result', async () => {
    const reference = epochs((await run()).events);
    let batches = 0;
    const first = await run({
      shouldStop: () => ++batches >= 7,
    });
    expect(first.outcome.status).toBe('interrupted');
    const dir = first.outcome.runDir;
    expect(fs.existsSync(path.join(dir, 'checkpoint', 'state.json'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')).status).toBe('interrupted');

    const resumed = await run({ resume: dir });
    expect(resumed.outcome.status).toBe('finished');
    const start = resumed.events.find((e) => e.type === 'start');
    expect(start && start.type === 'start' && start.resumedFromEpoch).toBeGreaterThanOrEqual(1);
    const lines = fs
      .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EpochEvent);
    expect(lines.map((e) => e.epoch)).toEqual([1, 2]);
    // Interrupting and resuming changes nothing in the numbers.
    expect(lines.map((e) => [e.train.loss, e.val.loss])).toEqual(reference.map((e) => [e.train.loss, e.val.loss]));
  });
});

describe('emoc run on real faces', () => {
  it('trains on the shared FER2013 sample through the folder loader', async () => {
    const sample = path.resolve('../shared/data/fer2013-sample');
    const spec = `experiment fer-sample {
  data {
    source folder "${sample}"
    input 48x48x1
    preprocess whiten
  }
  model {
    default activation relu
    conv 8 k3 s2 | bn | maxpool 2
    flatten
    fc 7 | softmax
  }
  train {
    epochs 1
    batch 16
  }
}
`;
    const real = compileText(spec, path.join(tmp, 'fer.emo'));
    const events: RunEvent[] = [];
    const outcome = await runExperiment({
      ir: real,
      specText: spec,
      runsDir: path.join(tmp, 'runs'),
      backend: 'wasm',
      threads: 1,
      sink: (e) => events.push(e),
      shouldStop: () => false,
      limitPerClass: 6,
    });
    expect(outcome.status).toBe('finished');
    const start = events.find((e) => e.type === 'start');
    if (!start || start.type !== 'start') throw new Error('no start event');
    expect(start.counts.train).toEqual([6, 6, 6, 6, 6, 6, 6]);
    expect(start.counts.val).toEqual([6, 6, 6, 6, 6, 6, 6]);
    expect(outcome.summary.val).not.toBeNull();
  });
});
