// Benchmark: training at the size people train facial-expression models at (FER2013: 48x48, grey or
// three-channel), batch 64, for the write-up's S1 and S2 as emoc builds them from specs/s1.emo and
// specs/s2.emo, with the specs' optimizer (Adam). Each step is emoc's own training step
// (runtime/train-step.ts: upload, forward, loss, gradients, optimizer update, loss and predictions
// read back), so the number is what `emoc run` gets per batch, minus the data pipeline.
// Images/s is the median over the timed steps after warm-up. bench/pytorch_fer.py does the same in
// PyTorch.
//
//   npx tsx bench/fer-sizes.ts [--threads 2] [--steps 10] [--json] [--profile] [--only s1-48x48x3]
//   npx tsx bench/fer-sizes.ts --report [--steps 10]   1 and all threads, and PyTorch: the `npm run bench` section
//                                                      (BENCH_ROUNDS rounds in turn, default 3)
//
// --profile adds, per case, the kernels of one step (tf.profile) and the share of the step's wall
// time that is not kernel time (dispatch, bookkeeping, allocation: the per-step overhead).

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendInfo, type BackendPreference } from '../runtime/backend/select.ts';
import { outputsProbabilities } from '../runtime/model.ts';
import { makeOptimizer } from '../runtime/train.ts';
import { TrainStep } from '../runtime/train-step.ts';
import { buildSpecModel, kernelTimes, machine, machineLine, specIR, type KernelTime, type Machine } from './backend-s1.ts';
import { median, uniform } from './stats.ts';

export interface FerCase {
  /** Matches bench/pytorch_fer.py. */
  name: string;
  spec: 's1' | 's2';
  input: [number, number, number];
}

export const FER_BATCH = 64;

export const FER_CASES: FerCase[] = (['s1', 's2'] as const).flatMap((spec) =>
  ([1, 3] as const).map((c) => ({ name: `${spec}-48x48x${c}`, spec, input: [48, 48, c] as [number, number, number] })),
);

export interface FerResult {
  name: string;
  trainImagesPerSec: number;
  stepMs: number[];
  /** CPU time of this process per step (all its threads): the work a step costs, which other load
   * on a shared machine inflates far less than wall time (it is what to compare there). */
  cpuStepMs: number[];
  /** With --profile: one step's kernels, and its wall time against the sum of kernel times. */
  profile?: { wallMs: number; kernelMs: number; kernels: KernelTime[] };
}

/** One step under tf.profile: its wall time, kernel time and kernels (also bench/fer2013-spec.ts). */
export async function profileStep(step: () => void): Promise<NonNullable<FerResult['profile']>> {
  const t0 = performance.now();
  const p = await tf.profile(() => {
    step();
  });
  const wallMs = performance.now() - t0;
  const kernels = kernelTimes(p.kernels);
  return { wallMs, kernelMs: kernels.reduce((s, k) => s + k.ms, 0), kernels };
}

/** Times emoc's training step on one case in this process (the backend must be selected). */
export async function benchFerCase(c: FerCase, opts: { steps?: number; warmup?: number; profile?: boolean } = {}): Promise<FerResult> {
  const steps = opts.steps ?? 10;
  const warmup = opts.warmup ?? 3;
  const ir = specIR(c.spec);
  const model = buildSpecModel(c.spec, c.input);
  const optimizer = makeOptimizer(ir);
  const classes = ir.data.classes.length;
  const step = new TrainStep(model, optimizer, new Array(classes).fill(1), outputsProbabilities(ir), c.input);
  const x = uniform(FER_BATCH * c.input[0] * c.input[1] * c.input[2], 1);
  const y = Int32Array.from(uniform(FER_BATCH, 2), (v) => Math.floor(v * classes));
  const stepMs: number[] = [];
  const cpuStepMs: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    step.run(x, y, FER_BATCH);
    const c = process.cpuUsage(c0);
    if (i >= warmup) {
      stepMs.push(performance.now() - t0);
      cpuStepMs.push((c.user + c.system) / 1000);
    }
  }
  const profile = opts.profile ? await profileStep(() => step.run(x, y, FER_BATCH)) : undefined;
  step.dispose();
  optimizer.dispose();
  model.dispose();
  return { name: c.name, trainImagesPerSec: (FER_BATCH * 1000) / median(stepMs), stepMs, cpuStepMs, profile };
}

export interface FerRun {
  machine: Machine;
  backend: BackendInfo;
  results: FerResult[];
}

/** Rounds of the report: the host's speed drifts by tens of percent over minutes, so emoc and PyTorch
 * take turns (emoc x1, emoc xN, PyTorch x1, PyTorch xN, then again) and the table shows medians. */
export const FER_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Runs this bench on 1 and `cores` wasm threads (child processes) and bench/pytorch_fer.py on as
 * many threads when `python` can import torch, FER_ROUNDS times in turn; returns the section of `npm run
 * bench` as markdown. */
export function ferReport(python: string | undefined, cores: number, steps: number, rounds = FER_ROUNDS): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const json = <T>(cmd: string, args: string[]): T | null => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
    const line = r.stdout?.split('\n').find((l) => l.startsWith('{'));
    return r.status === 0 && line ? (JSON.parse(line) as T) : null;
  };
  type PyFer = { torch: string; results: Array<{ name: string; trainImagesPerSec: number; cpuStepMs: number[] }> };
  const threads = [1, cores];
  const emoc: (FerRun | null)[][] = threads.map(() => []);
  const py: (PyFer | null)[][] = threads.map(() => []);
  for (let r = 0; r < rounds; r++) {
    threads.forEach((t, k) =>
      emoc[k]!.push(
        json<FerRun>(process.execPath, [
          '--import',
          'tsx',
          fileURLToPath(import.meta.url),
          '--threads',
          String(t),
          '--steps',
          String(steps),
          '--json',
        ]),
      ),
    );
    threads.forEach((t, k) =>
      py[k]!.push(python ? json<PyFer>(python, [path.join(here, 'pytorch_fer.py'), String(t), String(steps)]) : null),
    );
  }
  /** One case's images/s in every round that ran, on threads[k]. */
  const rates = (runs: ({ results: Array<{ name: string; trainImagesPerSec: number }> } | null)[], name: string) =>
    runs.flatMap((run) => run?.results.filter((x) => x.name === name).map((x) => x.trainImagesPerSec) ?? []);
  const cpus = (runs: ({ results: Array<{ name: string; cpuStepMs: number[] }> } | null)[], name: string) =>
    runs.flatMap((run) => run?.results.filter((x) => x.name === name).flatMap((x) => x.cpuStepMs) ?? []);
  const cell = (v: number[]) => (v.length ? `${median(v).toFixed(0)} (${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)})` : '-');
  const ratio = (a: number[], b: number[]) => (a.length && b.length ? `${(median(a) / median(b)).toFixed(2)}x` : '-');
  const first = emoc[0]!.find((x) => x != null);
  const lines = [
    `## Training at FER2013 size (48x48, batch ${FER_BATCH}, Adam, emoc's training step)`,
    `${first ? machineLine(first.machine) : 'emoc run failed'}; PyTorch ${py[0]!.find((x) => x)?.torch ?? 'not available'}`,
    `img/s: median of ${rounds} rounds (range), each the median over ${steps} steps after warm-up; emoc and PyTorch take turns, since this machine's speed drifts. cpu ms: median CPU time of a step on one thread, which other load inflates far less than wall time.`,
    `| case | emoc x1 img/s | PyTorch x1 img/s | emoc x${cores} img/s | PyTorch x${cores} img/s | ratio x1 | ratio x${cores} (target >= 1.0x) | cpu ms/step x1, emoc / PyTorch |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const c of FER_CASES) {
    const [e1, eN] = emoc.map((runs) => rates(runs, c.name));
    const [p1, pN] = py.map((runs) => rates(runs, c.name));
    const [ec, pc] = [cpus(emoc[0]!, c.name), cpus(py[0]!, c.name)];
    const cpu = ec.length && pc.length ? `${median(ec).toFixed(1)} / ${median(pc).toFixed(1)}` : '-';
    lines.push(
      `| ${c.name} | ${cell(e1!)} | ${cell(p1!)} | ${cell(eN!)} | ${cell(pN!)} | ${ratio(e1!, p1!)} | ${ratio(eN!, pN!)} | ${cpu} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--report')) {
    const python = [process.env.BENCH_PYTHON, 'python3', '/usr/bin/python3'].find(
      (p) => p && spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0,
    );
    console.log(ferReport(python, machine().cores, Number(argv[argv.indexOf('--steps') + 1] ?? 10) || 10));
    return;
  }
  const arg = (name: string, fallback: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1]! : fallback;
  };
  const backend = await selectBackend({
    prefer: arg('--backend', 'wasm') as BackendPreference,
    threads: Number(arg('--threads', String(machine().cores))),
  });
  const only = arg('--only', '');
  const results: FerResult[] = [];
  for (const c of FER_CASES.filter((k) => !only || k.name === only)) {
    results.push(await benchFerCase(c, { steps: Number(arg('--steps', '10')), profile: argv.includes('--profile') }));
  }
  const run: FerRun = { machine: machine(), backend, results };
  if (argv.includes('--json')) {
    console.log(JSON.stringify(run));
    return;
  }
  console.log(
    `machine: ${machineLine(run.machine)}\n${backend.name}, ${backend.threads} thread(s), emoc kernels ${backend.emocKernels ?? 'off'}; batch ${FER_BATCH}`,
  );
  for (const r of results) {
    console.log(
      `${r.name}: ${r.trainImagesPerSec.toFixed(0)} img/s (median step ${median(r.stepMs).toFixed(1)} ms, cpu ${median(r.cpuStepMs).toFixed(1)} ms; steps ${r.stepMs.map((v) => v.toFixed(1)).join(' ')})`,
    );
    if (r.profile) {
      const p = r.profile;
      console.log(
        `  profiled step: wall ${p.wallMs.toFixed(1)} ms, kernels ${p.kernelMs.toFixed(1)} ms, ${p.kernels.reduce((s, k) => s + k.calls, 0)} kernel calls`,
      );
      for (const k of p.kernels.slice(0, 20)) console.log(`    ${k.kernel.padEnd(28)} ${k.ms.toFixed(2).padStart(8)} ms  ${k.calls} calls`);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
  // The wasm backend's pthread workers keep the event loop alive: leave once the output is written.
  process.stdout.write('', () => process.exit(0));
}
