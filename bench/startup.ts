// Benchmark: how long `emoc` takes as a process, the way users start it, hyperfine-style (warm-up runs,
// then the median of N timed runs of the whole process, spawn to exit). Each command runs twice over:
// from the compiled build in dist/ (what `npm install` makes; EMOC_DIST=1) and from the TypeScript
// sources through tsx (EMOC_DIST=0, how every start worked before the build). `npx emoc --version` adds
// npm's own start to the same command; it is shown beside, the targets are for `node bin/emoc.js`.
// Targets: `--version` and `check specs/s1.emo` <= 200 ms, `check` on the 5,000-line spec <= 300 ms.
//
//   npx tsx bench/startup.ts [--runs N] [--json]
//
// `benchStartup()` is what `npm run bench` calls. It builds dist/ first when it is missing or stale.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSpec } from './frontend.ts';
import { median } from './stats.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/emoc.js');
const BUILD = path.join(ROOT, 'scripts/build.mjs');

export interface StartupCase {
  label: string;
  args: string[];
  targetMs: number;
}

export interface StartupTiming {
  label: string;
  targetMs: number;
  /** Median and fastest wall time from the build (dist/) and from the sources through tsx, ms. */
  dist: { medianMs: number; minMs: number };
  sources: { medianMs: number; minMs: number };
}

export interface StartupBench {
  runs: number;
  warmup: number;
  cpu: string;
  cores: number;
  /** 1-minute load average when the bench started: wall times grow with it on a shared machine. */
  loadAverage: number;
  timings: StartupTiming[];
  npxVersionMs: number | null;
}

/** Wall times of `runs` spawns of `command args` after `warmup` untimed ones; throws if one fails. */
function wallTimes(command: string, args: string[], env: NodeJS.ProcessEnv, runs: number, warmup: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n')[0]}`);
    if (i >= warmup) out.push(ms);
  }
  return out;
}

function summary(xs: number[]): { medianMs: number; minMs: number } {
  return { medianMs: median(xs), minMs: Math.min(...xs) };
}

export function benchStartup(opts: { runs?: number; warmup?: number } = {}): StartupBench {
  const runs = opts.runs ?? 10;
  const warmup = opts.warmup ?? 2;
  const loadAverage = os.loadavg()[0]!;
  if (spawnSync(process.execPath, [BUILD, '--check'], { cwd: ROOT }).status !== 0) {
    const b = spawnSync(process.execPath, [BUILD], { cwd: ROOT, encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`the build failed: ${b.stderr}`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-startup-'));
  try {
    const big = path.join(dir, 'big.emo');
    fs.writeFileSync(big, generateSpec(5000));
    const cases: StartupCase[] = [
      { label: 'emoc --version', args: ['--version'], targetMs: 200 },
      { label: 'emoc check specs/s1.emo', args: ['check', 'specs/s1.emo'], targetMs: 200 },
      { label: 'emoc check (5,000-line spec)', args: ['check', big], targetMs: 300 },
    ];
    const env = (mode: string): NodeJS.ProcessEnv => ({ ...process.env, EMOC_DIST: mode, NO_COLOR: '1' });
    const timings = cases.map((c) => ({
      label: c.label,
      targetMs: c.targetMs,
      dist: summary(wallTimes(process.execPath, [BIN, ...c.args], env('1'), runs, warmup)),
      sources: summary(wallTimes(process.execPath, [BIN, ...c.args], env('0'), runs, warmup)),
    }));
    let npxVersionMs: number | null = null;
    try {
      npxVersionMs = median(wallTimes('npx', ['--no-install', 'emoc', '--version'], env('1'), runs, warmup));
    } catch {
      // no npx on PATH: the node timings stand alone
    }
    const cpus = os.cpus();
    return { runs, warmup, cpu: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length, loadAverage, timings, npxVersionMs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatStartup(b: StartupBench): string {
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const lines = [
    `process wall time, node bin/emoc.js, median of ${b.runs} after ${b.warmup} warm-up runs (fastest in brackets); ${b.cpu}, ${b.cores} cores, load average ${b.loadAverage.toFixed(1)} at start`,
    '| command | sources through tsx (before) | dist/ build (after) | target |',
    '|---|---|---|---|',
    ...b.timings.map(
      (t) =>
        `| ${t.label} | ${ms(t.sources.medianMs)} (${ms(t.sources.minMs)}) | ${ms(t.dist.medianMs)} (${ms(t.dist.minMs)}) | <= ${t.targetMs} ms: ${t.dist.medianMs <= t.targetMs ? 'met' : 'MISSED'} |`,
    ),
  ];
  if (b.npxVersionMs !== null) lines.push(`npx emoc --version (npm's own start included): ${ms(b.npxVersionMs)}`);
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--runs');
  const b = benchStartup({ runs: i > 0 ? Number(process.argv[i + 1]) : undefined });
  console.log(process.argv.includes('--json') ? JSON.stringify(b) : formatStartup(b));
}
