// Benchmark: how long `emoc` takes as a process, the way users start it, hyperfine-style (warm-up runs,
// then the median of N timed runs of the whole process, spawn to exit). Each command runs three ways: from
// the TypeScript sources through tsx (EMOC_DIST=0, how every start worked before the build), from the
// build in dist/ (what `npm install` makes; EMOC_DIST=1) without its V8 code cache (EMOC_CODE_CACHE=0: a
// command's first run), and from the build with it (every later run; the warm-up runs make it). The same
// commands through `npx emoc` add npm's own start; `node -e 0` is node's. Beside the wall time, the CPU
// time of the process (user + system, children included; Linux, 10 ms ticks): other load on a shared
// machine inflates it far less than the wall time.
// When NODE_EXTRA_CA_CERTS is set (it is on these sandboxes), node reads and parses that certificate
// bundle at every start, before any of emoc runs (~57 ms of `node -e 0`'s ~87 ms here): the build's
// times are then also taken without it, in their own column, so both the user's start as configured and
// emoc's own share are visible.
// Targets (dist/ with its cache): `--version` and `check specs/s1.emo` <= 200 ms, `check` on the
// 5,000-line spec <= 300 ms.
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
  /** Median and fastest wall time from the build (dist/) with and without its code cache, from the
   * sources through tsx, and through npx (the build with its cache), ms. */
  dist: Summary;
  distNoCache: Summary;
  sources: Summary;
  npx: Summary | null;
  /** dist/ with its cache, NODE_EXTRA_CA_CERTS removed; null when it is not set. */
  distNoExtraCa: Summary | null;
}

export interface Summary {
  medianMs: number;
  minMs: number;
  /** Median CPU time (user + system) of the process, ms; null where the OS does not say. */
  cpuMs: number | null;
}

export interface StartupBench {
  runs: number;
  warmup: number;
  cpu: string;
  cores: number;
  /** 1-minute load average when the bench started: wall times grow with it on a shared machine. */
  loadAverage: number;
  node: string;
  timings: StartupTiming[];
  /** `node -e 0`: the floor every command stands on. */
  nodeAlone: Summary;
  /** `node -e 0` with NODE_EXTRA_CA_CERTS removed; null when it is not set. */
  nodeAloneNoExtraCa: Summary | null;
  /** NODE_EXTRA_CA_CERTS as set for the other columns, or null. */
  extraCa: string | null;
}

/** CPU time (user + system) of this process's finished children so far, ms (Linux: /proc/self/stat
 * cutime + cstime, in 100 Hz ticks); null elsewhere. */
function childrenCpuMs(): number | null {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return null;
  }
}

/** `runs` spawns of `command args` after `warmup` untimed ones; throws if one fails. */
function measure(command: string, args: string[], env: NodeJS.ProcessEnv, runs: number, warmup: number): Summary {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const cpu0 = childrenCpuMs();
    const t0 = performance.now();
    const r = spawnSync(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    const ms = performance.now() - t0;
    const cpu1 = childrenCpuMs();
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n')[0]}`);
    if (i < warmup) continue;
    wall.push(ms);
    if (cpu0 !== null && cpu1 !== null) cpu.push(cpu1 - cpu0);
  }
  return { medianMs: median(wall), minMs: Math.min(...wall), cpuMs: cpu.length ? median(cpu) : null };
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
    const env = (mode: string, codeCache = true): NodeJS.ProcessEnv => ({
      ...process.env,
      EMOC_DIST: mode,
      EMOC_CODE_CACHE: codeCache ? '1' : '0',
      NO_COLOR: '1',
    });
    const npx = (args: string[]): Summary | null => {
      try {
        return measure('npx', ['--no-install', 'emoc', ...args], env('1'), runs, warmup);
      } catch {
        return null; // no npx on PATH: the node timings stand alone
      }
    };
    const extraCa = process.env.NODE_EXTRA_CA_CERTS || null;
    const withoutExtraCa = (e: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
      const { NODE_EXTRA_CA_CERTS: _, ...rest } = e;
      return rest;
    };
    const timings = cases.map((c) => ({
      label: c.label,
      targetMs: c.targetMs,
      dist: measure(process.execPath, [BIN, ...c.args], env('1'), runs, warmup),
      distNoCache: measure(process.execPath, [BIN, ...c.args], env('1', false), runs, warmup),
      sources: measure(process.execPath, [BIN, ...c.args], env('0'), runs, warmup),
      npx: npx(c.args),
      distNoExtraCa: extraCa ? measure(process.execPath, [BIN, ...c.args], withoutExtraCa(env('1')), runs, warmup) : null,
    }));
    const nodeAlone = measure(process.execPath, ['-e', '0'], process.env, runs, warmup);
    const nodeAloneNoExtraCa = extraCa ? measure(process.execPath, ['-e', '0'], withoutExtraCa(process.env), runs, warmup) : null;
    const cpus = os.cpus();
    const cpu = cpus[0]?.model.trim() ?? 'unknown';
    return { runs, warmup, cpu, cores: cpus.length, loadAverage, node: process.version, timings, nodeAlone, nodeAloneNoExtraCa, extraCa };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatStartup(b: StartupBench): string {
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const cell = (s: Summary | null) =>
    s ? `${ms(s.medianMs)} (fastest ${ms(s.minMs)}${s.cpuMs === null ? '' : `; CPU ${ms(s.cpuMs)}`})` : 'n/a';
  const noCa = b.extraCa ? ' | dist/ without NODE_EXTRA_CA_CERTS' : '';
  const target = (t: StartupTiming) => {
    const verdict = (s: Summary) => (s.medianMs <= t.targetMs ? 'met' : 'MISSED');
    return `<= ${t.targetMs} ms: ${verdict(t.dist)}${t.distNoExtraCa ? ` (without the CA bundle: ${verdict(t.distNoExtraCa)})` : ''}`;
  };
  return [
    `process wall time, median of ${b.runs} after ${b.warmup} warm-up runs; ${b.cpu}, ${b.cores} cores, node ${b.node}, load average ${b.loadAverage.toFixed(1)} at start`,
    ...(b.extraCa ? [`NODE_EXTRA_CA_CERTS=${b.extraCa}: node parses that bundle at every start, before emoc runs`] : []),
    `| command | sources through tsx (before) | dist/, no code cache (first run) | dist/ (node bin/emoc.js) | npx emoc${noCa} | target (dist/) |`,
    `|---|---|---|---|---|${b.extraCa ? '---|' : ''}---|`,
    ...b.timings.map(
      (t) =>
        `| ${t.label} | ${cell(t.sources)} | ${cell(t.distNoCache)} | ${cell(t.dist)} | ${cell(t.npx)}${b.extraCa ? ` | ${cell(t.distNoExtraCa)}` : ''} | ${target(t)} |`,
    ),
    `node -e 0 (node's own start, the floor): ${cell(b.nodeAlone)}${b.nodeAloneNoExtraCa ? `; without NODE_EXTRA_CA_CERTS ${cell(b.nodeAloneNoExtraCa)}` : ''}`,
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--runs');
  const b = benchStartup({ runs: i > 0 ? Number(process.argv[i + 1]) : undefined });
  console.log(process.argv.includes('--json') ? JSON.stringify(b) : formatStartup(b));
}
