// Benchmark: training images/s of specs/fer2013.emo (the small ResNet for FER2013: 48x48x1, batch 64,
// AdamW, label smoothing) as emoc builds it from the compiled spec, beside the same network in PyTorch
// (bench/pytorch_fer2013.py) on the same number of threads. Each emoc step is runtime/train-step.ts
// with the spec's recipe (what `emoc run` does per batch, minus the data pipeline), so the number
// divided into the training images of an epoch is the floor of the epoch's time.
// Images/s is the median over the timed steps after warm-up. --spec times another spec the same way
// (a variant of the network, before spending an hour on it).
//
//   npx tsx bench/fer2013-spec.ts [--threads 2] [--steps 10] [--json] [--spec FILE] [--profile]
//   npx tsx bench/fer2013-spec.ts --report [--steps 10]   emoc and PyTorch on every core: the `npm run bench` section

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../compiler/compile.ts';
import { selectBackend, type BackendInfo } from '../runtime/backend/select.ts';
import { buildModel, outputsProbabilities } from '../runtime/model.ts';
import { makeOptimizer } from '../runtime/train.ts';
import { TrainStep } from '../runtime/train-step.ts';
import { machine, machineLine, type Machine } from './backend-s1.ts';
import { profileStep, type FerResult } from './fer-sizes.ts';
import { median, uniform } from './stats.ts';

const SPEC = fileURLToPath(new URL('../specs/fer2013.emo', import.meta.url));

interface SpecResult {
  machine: Machine;
  backend: BackendInfo;
  batch: number;
  params: number;
  trainImagesPerSec: number;
  stepMs: number[];
  /** CPU time of this process per step (all its threads): what a step costs, which other load on a
   * shared machine inflates far less than wall time. */
  cpuStepMs: number[];
  /** With --profile: one step's kernels, and its wall time against the sum of kernel times. */
  profile?: FerResult['profile'];
}

/** Times emoc's training step on the spec's network in this process (the backend must be selected). */
async function benchSpec(file: string, backend: BackendInfo, steps: number, warmup = 3, profile = false): Promise<SpecResult> {
  const compiled = compile(file, { checkPackages: false });
  if (!compiled.ok) throw new Error(`${file} does not compile`);
  const ir = compiled.experiments[0]!;
  const input = ir.shapes.input as [number, number, number];
  const batch = ir.train.batchSize;
  const model = buildModel(ir);
  const optimizer = makeOptimizer(ir);
  const classes = ir.data.classes.length;
  const recipe = { labelSmoothing: ir.train.labelSmoothing ?? 0, clipNorm: ir.train.clipNorm ?? null };
  const step = new TrainStep(model, optimizer, new Array(classes).fill(1), outputsProbabilities(ir), input, recipe);
  const x = uniform(batch * input[0] * input[1] * input[2], 1);
  const y = Int32Array.from(uniform(batch, 2), (v) => Math.floor(v * classes));
  const stepMs: number[] = [];
  const cpuStepMs: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    step.run(x, y, batch);
    const c = process.cpuUsage(c0);
    if (i >= warmup) {
      stepMs.push(performance.now() - t0);
      cpuStepMs.push((c.user + c.system) / 1000);
    }
  }
  const params = model.countParams();
  const prof = profile ? await profileStep(() => step.run(x, y, batch)) : undefined;
  step.dispose();
  optimizer.dispose();
  model.dispose();
  return {
    machine: machine(),
    backend,
    batch,
    params,
    trainImagesPerSec: (batch * 1000) / median(stepMs),
    stepMs,
    cpuStepMs,
    profile: prof,
  };
}

/** emoc (a child process: a wasm module's thread count is fixed when it starts) and PyTorch on
 * `cores` threads; returns the section of `npm run bench` as markdown. */
export function fer2013SpecReport(python: string | undefined, cores: number, steps: number): string {
  const json = <T>(cmd: string, args: string[]): T | null => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
    const line = r.stdout?.split('\n').find((l) => l.startsWith('{'));
    return r.status === 0 && line ? (JSON.parse(line) as T) : null;
  };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const emoc = json<SpecResult>(process.execPath, [
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    '--threads',
    String(cores),
    '--steps',
    String(steps),
    '--json',
  ]);
  type Py = { torch: string; threads: number; params: number; trainImagesPerSec: number; stepMs: number[]; cpuStepMs: number[] };
  const py = python ? json<Py>(python, [path.join(here, 'pytorch_fer2013.py'), String(cores), String(steps)]) : null;
  const ms = (v: number[] | undefined) => (v ? median(v).toFixed(0) : '-');
  const lines = [
    `## specs/fer2013.emo training (48x48x1, batch ${emoc?.batch ?? 64}, AdamW, emoc's training step)`,
    `${emoc ? machineLine(emoc.machine) : machineLine()}; ${cores} threads; PyTorch ${py?.torch ?? 'not available'}`,
    'img/s: median over the steps after warm-up (an epoch of the spec, 2 x 25,838 views with flip, takes at least 51,676 / img/s seconds). cpu ms: median CPU time of a step over all threads, which other load on a shared machine inflates far less than wall time.',
    '| network | params emoc / PyTorch | emoc img/s | emoc ms/step | PyTorch img/s | PyTorch ms/step | emoc / PyTorch | cpu ms/step emoc / PyTorch |',
    '|---|---|---|---|---|---|---|---|',
    `| fer2013 (ResNet 32-64-128-256) | ${emoc?.params.toLocaleString('en-US') ?? '-'} / ${py?.params.toLocaleString('en-US') ?? '-'} | ${emoc?.trainImagesPerSec.toFixed(0) ?? 'failed'} | ${ms(emoc?.stepMs)} | ${py?.trainImagesPerSec.toFixed(0) ?? '-'} | ${ms(py?.stepMs)} | ${emoc && py ? `${(emoc.trainImagesPerSec / py.trainImagesPerSec).toFixed(2)}x` : '-'} | ${ms(emoc?.cpuStepMs)} / ${ms(py?.cpuStepMs)} |`,
  ];
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, fallback: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1]! : fallback;
  };
  const steps = Number(arg('--steps', '10')) || 10;
  if (argv.includes('--report')) {
    const python = [process.env.BENCH_PYTHON, 'python3', '/usr/bin/python3'].find(
      (p) => p && spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0,
    );
    console.log(fer2013SpecReport(python, machine().cores, steps));
    return;
  }
  const backend = await selectBackend({ prefer: 'wasm', threads: Number(arg('--threads', String(machine().cores))) });
  const file = path.resolve(arg('--spec', SPEC));
  const r = await benchSpec(file, backend, steps, 3, argv.includes('--profile'));
  if (argv.includes('--json')) {
    console.log(JSON.stringify(r));
    return;
  }
  console.log(`machine: ${machineLine(r.machine)}\n${backend.name}, ${backend.threads} thread(s); batch ${r.batch}; ${r.params} params`);
  console.log(
    `${path.relative(process.cwd(), file)}: ${r.trainImagesPerSec.toFixed(0)} img/s (median step ${median(r.stepMs).toFixed(1)} ms, cpu ${median(r.cpuStepMs).toFixed(1)} ms; steps ${r.stepMs.map((v) => v.toFixed(0)).join(' ')})`,
  );
  if (r.profile) {
    const p = r.profile;
    console.log(
      `  profiled step: wall ${p.wallMs.toFixed(1)} ms, kernels ${p.kernelMs.toFixed(1)} ms, ${p.kernels.reduce((t, k) => t + k.calls, 0)} kernel calls`,
    );
    for (const k of p.kernels.slice(0, 20)) console.log(`    ${k.kernel.padEnd(28)} ${k.ms.toFixed(2).padStart(8)} ms  ${k.calls} calls`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
  // The wasm backend's pthread workers keep the event loop alive: leave once the output is written.
  process.stdout.write('', () => process.exit(0));
}
