// `npm run bench`: emoc's speed and the reference it is measured against, in one run.
//   1. the front end on a generated 5,000-line spec (target < 100 ms);
//   1b. the CLI's start as a process: --version, check S1, check the 5,000-line spec (bench/startup.ts);
//   2. S1 training and inference images/s at 160x160x3, batch 32, per installed backend (median of
//      several steps after warm-up, each backend in its own process);
//   3. the same S1 in PyTorch on the same cores when a python3 can import torch;
//   3b. S1 and S2 training at FER2013 size (48x48x1, 48x48x3), batch 64, emoc's own step, beside PyTorch;
//   3c. specs/fer2013.emo's ResNet training, emoc's step beside PyTorch (bench/fer2013-spec.ts);
//   4. MobileNetV1-160 inference (the size of a frozen backbone), wasm and PyTorch;
//   5. every layer kind alone (forward, forward+backward), wasm and PyTorch side by side;
//   6. the training loop's input wait (data pipeline) as a share of the step.
//   7. loading ../shared/data/fer2013 cold (empty decoded-data cache) and warm (bench/data-load.ts).
// Every section states the machine, backend and threads. Targets are reported, never asserted in tests.
// `npm run bench -- --only frontend,startup` runs the named sections only (names in SECTIONS below).

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchS1All, formatResults, machine, machineLine, type BenchS1Config } from './backend-s1.ts';
import { ferReport } from './fer-sizes.ts';
import { fer2013SpecReport } from './fer2013-spec.ts';
import { benchFrontend, TARGET_MS } from './frontend.ts';
import { benchStartup, formatStartup } from './startup.ts';
import { formatLayers, type LayerTiming } from './layers.ts';
import { benchInputWait, formatInputWait } from './input-wait.ts';
import { benchDataLoad, formatDataLoad } from './data-load.ts';
import { cudaPresent, type BackendInfo } from '../runtime/backend/select.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const steps = Number(process.env.BENCH_STEPS ?? 5);

/** The sections, in the order they run; `npm run bench -- --only frontend,startup` runs some of them. */
const SECTIONS = ['frontend', 'startup', 's1', 'fer', 'fer2013', 'mobilenet', 'finetune', 'layers', 'input', 'data'] as const;
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').split(',') : [...SECTIONS];
const unknown = only.filter((n) => !(SECTIONS as readonly string[]).includes(n));
if (unknown.length) {
  console.error(`bench: unknown section '${unknown[0]}' for --only\n  hint: choose from ${SECTIONS.join(', ')}`);
  process.exit(2);
}
const want = (section: (typeof SECTIONS)[number]): boolean => only.includes(section);

const m = machine();
console.log(`# emoc benchmarks\nmachine: ${machineLine(m)}\n`);

if (want('frontend')) {
  const fe = await benchFrontend();
  console.log(
    `## front end\n${fe.lines}-line spec: median ${fe.medianMs.toFixed(1)} ms (target < ${TARGET_MS} ms: ${fe.medianMs < TARGET_MS ? 'met' : 'MISSED'})\n`,
  );
}
if (want('startup')) console.log(`## CLI start-up (node bin/emoc.js, built and from the sources)\n${formatStartup(benchStartup())}\n`);

// Debian's python3-torch installs for /usr/bin/python3, which may not be the python3 on PATH. Looked for
// only when a wanted section compares with PyTorch (importing torch takes about a second).
const withTorch = (['s1', 'fer', 'fer2013', 'mobilenet', 'finetune', 'layers'] as const).some(want);
const python = !withTorch
  ? undefined
  : [process.env.BENCH_PYTHON, 'python3', '/usr/bin/python3'].find(
      (p) => p && spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0,
    );
if (withTorch && !python)
  console.log('## PyTorch reference\nskipped: no python3 can import torch (apt-get install -y python3-torch brings it)\n');

if (want('s1')) {
  const configs: BenchS1Config[] = [
    { backend: 'wasm', threads: 1 },
    { backend: 'wasm', threads: m.cores },
    { backend: 'cpu', threads: 1 },
  ];
  for (const native of ['tensorflow', 'tensorflow-gpu'] as const) {
    const pkg = native === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
    // Without CUDA the GPU package only falls back to the CPU one (after tfjs-node failed to load, its
    // import prints a line per kernel it registers again).
    if (native === 'tensorflow-gpu' && !cudaPresent()) {
      console.log(`(${pkg}: no CUDA device: skipped)`);
      continue;
    }
    try {
      await import(pkg);
      configs.unshift({ backend: native, threads: m.cores });
    } catch {
      console.log(`(${pkg} is not installed: skipped)`);
    }
  }
  const results = benchS1All(configs, steps);
  console.log(`## S1 training and inference\n${formatResults(results)}\n`);
  const wasmAll = results.find((x) => x.backend.name === 'wasm' && x.backend.threads === m.cores);
  if (python) {
    const r = spawnSync(python, [path.join(here, 'pytorch_s1.py'), String(m.cores), String(steps)], { encoding: 'utf8' });
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    const py = JSON.parse(line) as { torch: string; threads: number; trainImagesPerSec: number; inferImagesPerSec: number };
    console.log(
      `## PyTorch reference (S1, same shapes, batch 32)\nPyTorch ${py.torch}, ${py.threads} threads: train ${py.trainImagesPerSec.toFixed(1)} img/s, infer ${py.inferImagesPerSec.toFixed(1)} img/s`,
    );
    if (wasmAll?.trainImagesPerSec && wasmAll.inferImagesPerSec) {
      console.log(
        `emoc wasm x${m.cores} / PyTorch: train ${(wasmAll.trainImagesPerSec / py.trainImagesPerSec).toFixed(2)}x, infer ${(wasmAll.inferImagesPerSec / py.inferImagesPerSec).toFixed(2)}x (target >= 1.0x)`,
      );
    }
    console.log('');
  }
}

/** Runs a bench script in its own process (a wasm module's thread count is fixed when it starts);
 * returns its JSON line, or null after printing why there is none. */
function runScript<T>(script: string, threads: number, extra: string[] = []): T | null {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(here, script), '--threads', String(threads), '--steps', String(steps), '--json', ...extra],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 15 * 60_000,
    },
  );
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) {
    console.log(`${script}, wasm ${threads} thread(s): failed (exit ${r.status})`);
    return null;
  }
  return JSON.parse(line) as T;
}

if (want('fer')) console.log(ferReport(python, m.cores, steps));
if (want('fer2013')) console.log(fer2013SpecReport(python, m.cores, steps));

if (want('mobilenet')) {
  console.log('## MobileNetV1 inference (160x160x3, batch 32, batch norm folded, ReLU6)');
  const mobile = new Map<number, number>();
  for (const threads of [1, m.cores]) {
    const res = runScript<{ inferImagesPerSec: number; backend: BackendInfo }>('mobilenet.ts', threads);
    if (!res) continue;
    mobile.set(threads, res.inferImagesPerSec);
    console.log(
      `emoc wasm${res.backend.simd ? ' (SIMD)' : ''}${res.backend.emocKernels ? `, emoc kernels ${res.backend.emocKernels}` : ''}, ${res.backend.threads} thread(s): ${res.inferImagesPerSec.toFixed(1)} img/s`,
    );
  }
  if (python) {
    const r = spawnSync(python, [path.join(here, 'pytorch_mobilenet.py'), String(m.cores), String(steps)], { encoding: 'utf8' });
    const py = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { torch: string; threads: number; inferImagesPerSec: number };
    console.log(`PyTorch ${py.torch}, ${py.threads} threads: ${py.inferImagesPerSec.toFixed(1)} img/s`);
    const ours = mobile.get(m.cores);
    if (ours) console.log(`emoc wasm x${m.cores} / PyTorch: ${(ours / py.inferImagesPerSec).toFixed(2)}x (target >= 1.0x)`);
  }
  console.log('');
}

if (want('finetune')) {
  console.log('## Fine-tuning faceres (trainable graph: forward, backward, Adam; batch 16, 96x96x3)');
  type Row = { size: number; mode: string; trainable: number; imagesPerSec: number; peakMB: number };
  const res = runScript<{ backend: BackendInfo; threads: number; loadMs: number; rows: Row[] }>('finetune-step.ts', m.cores, [
    '--batch',
    '16',
    '--sizes',
    '96',
  ]);
  // The same network in PyTorch, trained the same ways: all 14 blocks, or the last 2 (frozen prefix under no_grad).
  const torch = new Map<number, number>();
  if (python) {
    const r = spawnSync(python, [path.join(here, 'pytorch_finetune.py'), String(m.cores), String(steps), '96', '16', '14', '2'], {
      encoding: 'utf8',
    });
    for (const l of r.stdout.trim().split('\n').slice(1)) {
      const row = JSON.parse(l) as { case: string; imagesPerSec: number };
      torch.set(Number(row.case.split(' ').at(-1)), row.imagesPerSec);
    }
  }
  for (const row of res?.rows ?? []) {
    const blocks = row.mode === 'all' ? 14 : 2;
    const py = torch.get(blocks);
    console.log(
      `emoc ${row.mode.padEnd(12)} ${(row.trainable / 1e6).toFixed(2)}M trainable: ${row.imagesPerSec.toFixed(1)} img/s, ${row.peakMB.toFixed(0)} MB tensors` +
        (py ? `   PyTorch ${py.toFixed(1)} img/s, ${(row.imagesPerSec / py).toFixed(2)}x` : ''),
    );
  }
  console.log('');
}

if (want('layers')) {
  console.log('## Per layer');
  let torchLayers = new Map<string, { forwardMs: number; trainMs: number }>();
  if (python) {
    const rl = spawnSync(python, [path.join(here, 'pytorch_layers.py'), String(m.cores), String(steps)], { encoding: 'utf8' });
    const pl = JSON.parse(rl.stdout.trim().split('\n').at(-1) ?? '{}') as {
      layers?: Array<{ name: string; forwardMs: number; trainMs: number }>;
    };
    torchLayers = new Map((pl.layers ?? []).map((l) => [l.name, l]));
  }
  for (const threads of [1, m.cores]) {
    const res = runScript<{ backend: BackendInfo; layers: LayerTiming[] }>('layers.ts', threads, ['--backend', 'wasm']);
    if (res) console.log(`${formatLayers(res.layers, res.backend, threads === m.cores ? torchLayers : undefined)}\n`);
  }
}

if (want('input')) console.log(`## Data pipeline\n${formatInputWait(benchInputWait())}\n`);

if (want('data')) console.log(`## Data loading (FER2013 folder, cold and warm)\n${formatDataLoad(await benchDataLoad())}`);
