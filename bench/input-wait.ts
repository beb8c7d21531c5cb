// Benchmark: does the data pipeline starve training? Runs `emoc run` for one epoch on the built-in
// faces with flip and with 10-crop augmentation and reports the epoch's input wait (time spent
// producing the next batch: augmentation, preprocessing, copying) as a share of its training time.
// Target: under 5% of the step.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface InputWait {
  spec: string;
  batches: number;
  inputMs: number;
  stepMs: number;
  share: number;
  /** The share this case must stay under (default 5%). */
  target: number;
}

/** What to run: a spec, and optionally a wasm thread count (default: every core). */
export interface InputWaitCase {
  spec: string;
  threads?: number;
  /** Target input share; default 5%. */
  target?: number;
  /** Built-in images to train on (default: benchInputWait's `images`). */
  images?: number;
}

// Batches are built ahead on a worker thread only when a core is left over (runtime/run.ts,
// prefetchBatches): on a 2-core machine, the one-thread row shows the prefetching pipeline.
export const INPUT_WAIT_CASES: InputWaitCase[] = [
  { spec: 'specs/s1-flip.emo' },
  { spec: 'specs/s1-tencrop.emo' },
  { spec: 'specs/s1-tencrop.emo', threads: 1 },
  // Every augmentation (randomcrop, flip, rotate, zoom, shift, brightness, contrast, erase) at 48x48,
  // batch 64 (issue 13: under 10% of the step), with and without the prefetch worker.
  { spec: 'bench/specs/aug-48.emo', target: 0.1, images: 1400 },
  { spec: 'bench/specs/aug-48.emo', threads: 1, target: 0.1, images: 1400 },
];

export function benchInputWait(cases = INPUT_WAIT_CASES, images = 140): InputWait[] {
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-bench-'));
  try {
    return cases.map(({ spec, threads, target = 0.05, images: caseImages }) => {
      const threadArgs = threads ? ['--threads', String(threads)] : [];
      const r = spawnSync(
        process.execPath,
        [
          path.join(root, 'bin/emoc.js'),
          'run',
          spec,
          '--json',
          '--epochs',
          '1',
          '--images',
          String(caseImages ?? images),
          '--runs',
          runs,
          ...threadArgs,
        ],
        {
          cwd: root,
          encoding: 'utf8',
          maxBuffer: 1 << 26,
          timeout: 15 * 60_000,
        },
      );
      const events = r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { type: string; batches?: number; timing?: { inputMs: number; stepMs: number } });
      const epoch = events.find((e) => e.type === 'epoch');
      if (r.status !== 0 || !epoch?.timing)
        throw new Error(`emoc run ${spec} failed (exit ${r.status}): ${r.stderr.trim().split('\n').at(-1)}`);
      const batches = events.filter((e) => e.type === 'batch').at(-1)?.batches ?? 0;
      const { inputMs, stepMs } = epoch.timing;
      const prefetch = events.some((e) => e.type === 'log' && (e as { message?: string }).message?.includes('built ahead'));
      const label = `${spec}${threads ? ` --threads ${threads}` : ''}${prefetch ? ' (prefetch)' : ''}`;
      return { spec: label, batches, inputMs, stepMs, share: inputMs / (inputMs + stepMs), target };
    });
  } finally {
    fs.rmSync(runs, { recursive: true, force: true });
  }
}

export function formatInputWait(rows: InputWait[]): string {
  return [
    'input wait per epoch (built-in faces, one epoch, wasm; s1 specs 160x160x3, aug-48 48x48x1 with every augmentation; prefetch = batches built ahead on a worker thread)',
    '| spec | batches | input ms | step ms | input share | target |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.spec} | ${r.batches} | ${r.inputMs.toFixed(0)} | ${r.stepMs.toFixed(0)} | ${(100 * r.share).toFixed(2)}% ${r.share < r.target ? '(met)' : '(MISSED)'} | < ${(100 * r.target).toFixed(0)}% |`,
    ),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(formatInputWait(benchInputWait()));
}
