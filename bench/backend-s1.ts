// Benchmark: the write-up's S1 network (specs/s1.emo) at 160x160x3, batch 32, Adam.
// Training and inference images/s (median of >= 5 timed steps after warm-up) per backend / thread count.
//
//   npx tsx bench/backend-s1.ts            wasm 1 thread, wasm 2 threads, cpu (each in its own process)
//   npx tsx bench/backend-s1.ts --one wasm 2 [--steps 5] [--json]   one configuration in this process
//
// `benchS1(opts)` runs one configuration in the calling process; `benchS1All()` runs the standard set,
// each in a child process (a wasm module's thread count is fixed when it starts, and separate processes
// keep the measurements independent).

import * as fs from 'node:fs';
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend, type BackendPreference, type BackendInfo } from '../runtime/backend/select.ts';
import { median } from './stats.ts';
import { compile } from '../compiler/compile.ts';
import { buildModel } from '../runtime/model.ts';
import type { ExperimentIR } from '../compiler/ir.ts';

export interface KernelTime {
  kernel: string;
  ms: number;
  calls: number;
}

/** A tf.profile's kernels summed by name, slowest first. */
export function kernelTimes(kernels: readonly { name: string; kernelTimeMs: unknown }[]): KernelTime[] {
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of kernels) {
    // A tf.customGrad op (emoc's batch norm) is profiled as an 'unnamed scope' whose time includes
    // the kernels it runs, which are profiled too: counting it would count them twice.
    if (k.name === 'unnamed scope') continue;
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls += 1;
    byKernel.set(k.name, e);
  }
  return [...byKernel.entries()].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms);
}

/** The example spec `name` (specs/NAME.emo), compiled. */
export function specIR(name: string): ExperimentIR {
  const file = fileURLToPath(new URL(`../specs/${name}.emo`, import.meta.url));
  const compiled = compile(file, { checkPackages: false });
  if (!compiled.ok) throw new Error(`${file} does not compile`);
  return compiled.experiments[0]!;
}

/** A spec's network exactly as emoc builds it (emoc's layers: seeded init, fused batch norm), at
 * another input size when asked. */
export function buildSpecModel(name: string, input: [number, number, number]): tfl.LayersModel {
  const ir = specIR(name);
  return buildModel({ ...ir, shapes: { ...ir.shapes, input } });
}

/** S1 from specs/s1.emo, compiled with Adam and cross-entropy for trainOnBatch. */
export function buildS1(input: [number, number, number] = [160, 160, 3], lr = 1e-3): tfl.LayersModel {
  const model = buildSpecModel('s1', input);
  model.compile({ optimizer: tf.train.adam(lr), loss: 'categoricalCrossentropy' });
  return model;
}

export interface BenchS1Options {
  backend?: BackendPreference;
  threads?: number;
  input?: [number, number, number];
  batch?: number;
  /** Timed steps (median taken); at least 5 for wasm. */
  steps?: number;
  warmup?: number;
  /** Training steps; 0 skips training (the cpu backend trains at about 0.06 images/s). */
  trainSteps?: number;
  /** Print a per-kernel profile of one training step (top kernels by time). */
  profile?: boolean;
}

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  /** The CPU's SIMD extensions that matter for these kernels (from /proc/cpuinfo), e.g. avx2, fma, avx512f. */
  simd: string[];
}

export interface BenchS1Result {
  machine: Machine;
  backend: BackendInfo;
  input: [number, number, number];
  batch: number;
  /** Median images/s; null when not measured. */
  trainImagesPerSec: number | null;
  inferImagesPerSec: number | null;
  trainStepMs: number[];
  inferStepMs: number[];
  profile?: KernelTime[];
}

/** SIMD flags worth naming in a bench header: ratios against PyTorch differ with them. */
const SIMD_FLAGS = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16', 'amx_tile'];

/** The first CPU's flags from /proc/cpuinfo (Linux); empty elsewhere. */
function cpuFlags(): Set<string> {
  try {
    const line = fs
      .readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => /^(flags|Features)\s*:/.test(l));
    return new Set(line ? line.split(':')[1]!.trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}

export function machine(): Machine {
  const cpus = os.cpus();
  const flags = cpuFlags();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    simd: SIMD_FLAGS.filter((f) => flags.has(f)),
  };
}

/** One line naming the machine: CPU model, cores, AVX2 / AVX-512 and the other SIMD flags, Node. */
export function machineLine(m: Machine = machine()): string {
  const has = (f: string) => (m.simd.includes(f) ? 'yes' : 'no');
  return `${m.cpu}, ${m.cores} cores; AVX2 ${has('avx2')}, AVX-512 ${has('avx512f')} (SIMD flags: ${m.simd.join(' ') || 'unknown'}); Node ${m.node}`;
}

/** Runs one configuration in this process. */
export async function benchS1(opts: BenchS1Options = {}): Promise<BenchS1Result> {
  const input = opts.input ?? [160, 160, 3];
  const batch = opts.batch ?? 32;
  const steps = opts.steps ?? 5;
  const warmup = opts.warmup ?? 1;
  const info = await selectBackend({ prefer: opts.backend ?? 'wasm', threads: opts.threads });
  const trainSteps = opts.trainSteps ?? (info.name === 'cpu' ? 0 : steps);
  const model = buildS1(input);
  const x = tf.randomUniform([batch, ...input], 0, 1, 'float32', 1);
  const y = tf.cast(tf.oneHot(tf.randomUniform([batch], 0, 7, 'int32', 2) as tf.Tensor1D, 7), 'float32');

  const inferStepMs: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const out = model.predict(x) as tf.Tensor;
    await out.data();
    out.dispose();
    if (i >= warmup) inferStepMs.push(performance.now() - t0);
  }

  const trainStepMs: number[] = [];
  if (trainSteps > 0) {
    for (let i = 0; i < warmup + trainSteps; i++) {
      const t0 = performance.now();
      await model.trainOnBatch(x, y);
      if (i >= warmup) trainStepMs.push(performance.now() - t0);
    }
  }

  let profile: BenchS1Result['profile'];
  if (opts.profile && trainSteps > 0) {
    const p = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
    });
    profile = kernelTimes(p.kernels);
  }

  x.dispose();
  y.dispose();
  model.dispose();
  return {
    machine: machine(),
    backend: info,
    input,
    batch,
    trainImagesPerSec: trainStepMs.length ? (batch * 1000) / median(trainStepMs) : null,
    inferImagesPerSec: inferStepMs.length ? (batch * 1000) / median(inferStepMs) : null,
    trainStepMs,
    inferStepMs,
    profile,
  };
}

export interface BenchS1Config {
  backend: BackendPreference;
  threads: number;
}

export const STANDARD_CONFIGS: BenchS1Config[] = [
  { backend: 'wasm', threads: 1 },
  { backend: 'wasm', threads: 2 },
  { backend: 'cpu', threads: 1 },
];

/** Runs each configuration in a child process (tsx), returns the results in order. */
export function benchS1All(configs: BenchS1Config[] = STANDARD_CONFIGS, steps = 5): BenchS1Result[] {
  const self = fileURLToPath(import.meta.url);
  return configs.map((c) => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', self, '--one', c.backend, String(c.threads), '--steps', String(steps), '--json'],
      { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 },
    );
    const line = r.stdout.split('\n').find((l) => l.startsWith('{"machine"'));
    if (r.status !== 0 || !line) throw new Error(`benchmark ${c.backend}/${c.threads} failed (exit ${r.status})`);
    return JSON.parse(line) as BenchS1Result;
  });
}

export function formatResults(results: BenchS1Result[]): string {
  const m = results[0]?.machine?.simd ? results[0].machine : machine();
  const rows = results.map((r) => {
    const t = r.trainImagesPerSec == null ? '-' : r.trainImagesPerSec.toFixed(1);
    const i = r.inferImagesPerSec == null ? '-' : r.inferImagesPerSec.toFixed(1);
    return `| ${r.backend.name}${r.backend.simd ? ' (SIMD)' : ''}${r.backend.emocKernels ? `, emoc kernels ${r.backend.emocKernels}` : ''} | ${r.backend.threads} | ${t} | ${i} |`;
  });
  return [
    `S1 ${results[0]?.input.join('x') ?? ''}, batch ${results[0]?.batch ?? ''}, Adam; median images/s`,
    `machine: ${machineLine(m)}`,
    '| backend | threads | train img/s | infer img/s |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const stepsAt = argv.indexOf('--steps');
  const steps = stepsAt >= 0 ? Number(argv[stepsAt + 1]) : 5;
  const oneAt = argv.indexOf('--one');
  if (oneAt >= 0) {
    const backend = argv[oneAt + 1] as BackendPreference;
    const threads = Number(argv[oneAt + 2] ?? 1);
    const r = await benchS1({ backend, threads, steps, profile: argv.includes('--profile') });
    if (argv.includes('--json')) console.log(JSON.stringify(r));
    else {
      console.log(formatResults([r]));
      console.log('train step ms:', r.trainStepMs.map((v) => v.toFixed(0)).join(' '));
      console.log('infer step ms:', r.inferStepMs.map((v) => v.toFixed(0)).join(' '));
      if (r.profile) {
        const total = r.profile.reduce((s, k) => s + k.ms, 0);
        console.log(`profile of one training step (kernel time ${total.toFixed(0)} ms):`);
        for (const k of r.profile.slice(0, 15)) console.log(`  ${k.kernel.padEnd(24)} ${k.ms.toFixed(1).padStart(8)} ms  ${k.calls} calls`);
      }
    }
    return;
  }
  console.log(formatResults(benchS1All(STANDARD_CONFIGS, steps)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
  // The wasm backend's pthread workers keep the event loop alive: leave once the output is written.
  process.stdout.write('', () => process.exit(0));
}
