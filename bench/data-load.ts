// Benchmark: loading ../shared/data/fer2013 (train/ + val/, 32,298 48x48 greyscale JPEGs) as `emoc run`
// does, cold (an empty cache folder: read, decode on every core, write the decoded-data cache) and warm
// (the same folder again: read and hash the files, read the verified cache entry). Median of a few runs
// each, in this process. Targets (issue 14): cold <= 10 s, warm <= 1 s on 2 cores.
//
//   node --import tsx bench/data-load.ts [--runs N] [--data PATH] [--json]

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EMOTIONS, type DataIR } from '../compiler/ir.ts';
import { loadData } from '../runtime/data/load.ts';
import { median } from './stats.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FER2013_DIR = path.resolve(root, '../shared/data/fer2013');
export const TARGETS = { coldSeconds: 10, warmSeconds: 1 };

export interface DataLoadResult {
  data: string;
  images: number;
  coldSeconds: number[];
  warmSeconds: number[];
  /** CPU seconds of the process (every thread) per load: less sensitive than wall time to a busy machine. */
  coldCpuSeconds: number[];
  warmCpuSeconds: number[];
}

async function timedLoad(data: string, cacheDir: string): Promise<{ seconds: number; cpuSeconds: number; images: number }> {
  const ir: DataIR = {
    source: { kind: 'folder', path: data },
    classes: [...EMOTIONS],
    input: [48, 48, 1],
    valSplit: 0.1,
    preprocess: 'fixed',
    test: null,
  };
  const cpu = process.cpuUsage();
  const t = performance.now();
  const d = await loadData(ir, { baseDir: root, seed: 1, cacheDir });
  const used = process.cpuUsage(cpu);
  return {
    seconds: (performance.now() - t) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    images: d.train.images.length + d.val.images.length,
  };
}

/** Cold and warm loads, `runs` of each; null when the data set is not there. */
export async function benchDataLoad(runs = 3, data = FER2013_DIR): Promise<DataLoadResult | null> {
  if (!existsSync(data)) return null;
  const result: DataLoadResult = { data, images: 0, coldSeconds: [], warmSeconds: [], coldCpuSeconds: [], warmCpuSeconds: [] };
  // Once untimed, so the files are in the page cache for every timed run alike (cold means an empty
  // decoded-data cache, not a cold disk).
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'emoc-bench-data-'));
  try {
    await timedLoad(data, path.join(scratch, 'prime'));
    for (let r = 0; r < runs; r++) {
      const cache = path.join(scratch, `cold-${r}`);
      const cold = await timedLoad(data, cache);
      result.coldSeconds.push(cold.seconds);
      result.coldCpuSeconds.push(cold.cpuSeconds);
      result.images = cold.images;
      const warm = await timedLoad(data, cache);
      result.warmSeconds.push(warm.seconds);
      result.warmCpuSeconds.push(warm.cpuSeconds);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}

export function formatDataLoad(r: DataLoadResult | null): string {
  if (!r) return `skipped: ${FER2013_DIR} is not there`;
  const line = (name: string, xs: number[], cpu: number[], target: number) =>
    `${name}: median ${median(xs).toFixed(2)} s over ${xs.length} runs (${xs.map((x) => x.toFixed(2)).join(', ')}; CPU ${median(cpu).toFixed(2)} s); target <= ${target} s: ${median(xs) <= target ? 'met' : 'MISSED'}`;
  return [
    `${path.relative(root, r.data)}: ${r.images} images, 48x48x1, ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores`,
    line('cold (empty cache: read, decode on every core, write the cache)', r.coldSeconds, r.coldCpuSeconds, TARGETS.coldSeconds),
    line('warm (read and hash the files, read the verified cache entry)', r.warmSeconds, r.warmCpuSeconds, TARGETS.warmSeconds),
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const r = await benchDataLoad(Number(arg('--runs') ?? 3), arg('--data') ? path.resolve(arg('--data')!) : FER2013_DIR);
  console.log(process.argv.includes('--json') ? JSON.stringify(r) : formatDataLoad(r));
}
