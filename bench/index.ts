// `npm run bench`: emoc's speed and the reference it is measured against, in one run.
//   1. the front end on a generated 5,000-line spec (target < 100 ms);
//   2. S1 training and inference images/s at 160x160x3, batch 32, per installed backend (median of
//      several steps after warm-up, each backend in its own process);
//   3. the same S1 in PyTorch on the same cores when `python3 -c "import torch"` works.
// Every section states the machine, backend and threads. Targets are reported, never asserted in tests.

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchS1All, formatResults, machine, type BenchS1Config } from './backend-s1.ts';
import { benchFrontend, TARGET_MS } from './frontend.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const steps = Number(process.env.BENCH_STEPS ?? 5);

const m = machine();
console.log(`# emoc benchmarks\nmachine: ${m.cpu}, ${m.cores} cores, Node ${m.node}\n`);

const fe = await benchFrontend();
console.log(`## front end\n${fe.lines}-line spec: median ${fe.medianMs.toFixed(1)} ms (target < ${TARGET_MS} ms: ${fe.medianMs < TARGET_MS ? 'met' : 'MISSED'})\n`);

const configs: BenchS1Config[] = [
  { backend: 'wasm', threads: 1 },
  { backend: 'wasm', threads: m.cores },
  { backend: 'cpu', threads: 1 },
];
for (const native of ['tensorflow', 'tensorflow-gpu'] as const) {
  const pkg = native === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
  try {
    await import(pkg);
    configs.unshift({ backend: native, threads: m.cores });
  } catch {
    console.log(`(${pkg} is not installed: skipped)`);
  }
}
const results = benchS1All(configs, steps);
console.log(`## S1 training and inference\n${formatResults(results)}\n`);

const torch = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
if (torch.status === 0) {
  const r = spawnSync('python3', [path.join(here, 'pytorch_s1.py'), String(m.cores), String(steps)], { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  const py = JSON.parse(line) as { torch: string; threads: number; trainImagesPerSec: number; inferImagesPerSec: number };
  const wasm = results.find((x) => x.backend.name === 'wasm' && x.backend.threads === m.cores);
  console.log(`## PyTorch reference (S1, same shapes, batch 32)\nPyTorch ${py.torch}, ${py.threads} threads: train ${py.trainImagesPerSec.toFixed(1)} img/s, infer ${py.inferImagesPerSec.toFixed(1)} img/s`);
  if (wasm?.trainImagesPerSec && wasm.inferImagesPerSec) {
    console.log(`emoc wasm x${m.cores} / PyTorch: train ${(wasm.trainImagesPerSec / py.trainImagesPerSec).toFixed(2)}x, infer ${(wasm.inferImagesPerSec / py.inferImagesPerSec).toFixed(2)}x (target >= 1.0x)`);
  }
} else {
  console.log('## PyTorch reference\nskipped: python3 cannot import torch (apt-get install -y python3-torch brings it)');
}
