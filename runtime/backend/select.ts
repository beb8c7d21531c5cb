// Picks and initialises the TensorFlow.js backend a run trains on.
//
// Order for 'auto': tfjs-node-gpu (only when CUDA is really present), tfjs-node, wasm (SIMD,
// multi-threaded), then the pure-JS cpu backend. The native packages are optional: they are imported
// dynamically and their absence is not an error unless the caller forced them.
//
// Everything is imported from '@tensorflow/tfjs-core' so there is exactly one engine.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node bundle registers no gradient functions; tfjs-layers' bundle registers all of them
// (into the same global registry), so training on any backend needs this import.
import '@tensorflow/tfjs-layers';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from './wasm/registry.ts';
import { wasmBackendMemory } from './wasm/heap.ts';
import { BackendError } from '../errors.ts';
import { initSimdKernels, kernelsUseFma, simdKernelsFor } from './wasm/simd-kernels.ts';
import { BACKENDS, orList } from '../../compiler/vocabulary.ts';

const require = createRequire(import.meta.url);

export type BackendPreference = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** tfjs backend name: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** Threads the backend computes with (intra-op threads for the native backend). */
  threads: number;
  /** True when the wasm backend runs its SIMD binary (always false for other backends). */
  simd: boolean;
  /** Package name -> version of every tfjs package in use. */
  versions: Record<string, string>;
  /** emoc's own wasm SIMD kernels (runtime/backend/wasm): 'fma' (the fused-multiply-add build),
   * 'plain', or null when they do not run (other backends, EMOC_WASM_SIMD_KERNELS=0). */
  emocKernels: 'fma' | 'plain' | null;
}

export interface SelectOptions {
  prefer?: BackendPreference;
  /** wasm threads; default DEFAULT_WASM_THREADS (see there). Ignored by other backends. */
  threads?: number;
}

/**
 * Default wasm thread count: every core (up to 8). An earlier note here kept one thread because
 * 2-thread runs were seen to "hang"; the hang that could be reproduced was a process that had
 * finished its work but did not exit (the pthread workers keep Node's event loop alive; the main
 * thread sat idle in epoll_wait), which the CLI and the benchmarks now avoid by exiting explicitly.
 * Measured since: three full `emoc run specs/s1.emo --threads 2` runs and 220 bench steps, no hang,
 * the same numbers on every run. EMOC_WASM_THREADS (or `threads`) overrides it.
 */
export const DEFAULT_WASM_THREADS =
  Number(process.env['EMOC_WASM_THREADS'] ?? '') > 0 ? Number(process.env['EMOC_WASM_THREADS']) : Math.min(8, os.availableParallelism());

/** What the last successful selectBackend call set up (so a second identical call is a no-op). */
let current: { info: BackendInfo; native: 'gpu' | 'cpu' | null } | null = null;
/** Threads the wasm backend was initialised with, or null if it has not been. */
let wasmThreads: number | null = null;
let wasmSimd = false;

function packageVersion(name: string): string | null {
  try {
    const pkg = require(`${name}/package.json`) as { version?: string };
    return pkg.version ?? null;
  } catch {
    return null;
  }
}

function baseVersions(): Record<string, string> {
  const versions: Record<string, string> = { 'tfjs-core': tf.version_core };
  for (const name of ['tfjs-layers', 'tfjs-converter']) {
    const v = packageVersion(`@tensorflow/${name}`);
    if (v) versions[name] = v;
  }
  return versions;
}

/** True when an NVIDIA driver with CUDA devices is visible (tfjs-node-gpu silently falls back otherwise). */
export function cudaPresent(): boolean {
  try {
    if (!fs.existsSync('/proc/driver/nvidia/version')) return false;
    const gpus = '/proc/driver/nvidia/gpus';
    return fs.existsSync(gpus) && fs.readdirSync(gpus).length > 0;
  } catch {
    return false;
  }
}

function missingPackage(pkg: string, why: string): BackendError {
  return new BackendError(
    `The TensorFlow.js backend package ${pkg} is not installed (${why}).`,
    '',
    `Install it with \`npm install ${pkg}@${tf.version_core}\`, or choose another backend (wasm, cpu).`,
  );
}

async function tryNative(gpu: boolean): Promise<boolean> {
  const pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  try {
    // A variable specifier keeps bundlers and the type checker from requiring the optional package.
    const spec: string = pkg;
    await import(spec);
  } catch {
    return false;
  }
  return tf.findBackendFactory('tensorflow') != null;
}

// ---------------------------------------------------------------------------------------------------
// wasm threads in Node.
//
// tfjs reports no thread support under Node, and when forced it hands emscripten a `blob:` URL for the
// pthread worker, which worker_threads refuses (ERR_WORKER_PATH). We write the stock worker script to
// a real file, with a prelude that makes the worker import the package's own emscripten module file
// (wasm-out/tfjs-backend-wasm-threaded-simd.js) instead of the Blob the main thread sends it.

let workerFile: string | null = null;

/** Writes a file atomically unless it already holds exactly `text` (several processes may share it). */
function writeIfChanged(file: string, text: string): void {
  try {
    if (fs.readFileSync(file, 'utf8') === text) return;
  } catch {
    // missing: write it
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function ensureWorkerFile(): string {
  if (workerFile) return workerFile;
  const workerModule = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
  const stock = require(workerModule) as { wasmWorkerContents: string };
  const mainScript = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const dir = path.join(os.tmpdir(), `emoc-tfjs-wasm-${tfwasm.version_wasm}`);
  fs.mkdirSync(dir, { recursive: true });
  const prelude =
    '"use strict";\n' +
    `const __emocMainScript = ${JSON.stringify(mainScript)};\n` +
    // The stock worker turns the Blob it is sent into an object URL and reads that as a file path.
    'URL.createObjectURL = () => __emocMainScript;\nURL.revokeObjectURL = () => {};\n';
  // The stock contents come from a template literal: escape its newlines again, as tfjs does.
  const body = stock.wasmWorkerContents.replace(/\n/g, '\\n').replace(/^"use strict";/, '');
  const file = path.join(dir, 'worker.cjs');
  writeIfChanged(file, prelude + body);
  workerFile = file;
  return file;
}

/**
 * Runs `init` with two patches, both undone afterwards:
 * - URL.createObjectURL returns the worker file for the worker Blob, so emscripten's pthread workers
 *   start from a real file;
 * - os.cpus() reports 2 x `threads` entries while the module starts: the C++ side caps its thread pool
 *   at emscripten_num_logical_cores() / 2 (which is os.cpus().length / 2 in Node), computed once.
 */
async function withNodeThreadShims<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const file = ensureWorkerFile();
  const nodeOs = require('node:os') as typeof os;
  const realCpus = nodeOs.cpus;
  const realCreate = URL.createObjectURL;
  URL.createObjectURL = (obj: Blob): string => {
    if (obj instanceof Blob && obj.type === 'application/javascript') return file;
    return realCreate(obj);
  };
  nodeOs.cpus = () => {
    const cpus = realCpus.call(nodeOs);
    const one = cpus[0];
    return one ? Array.from({ length: 2 * threads }, () => one) : cpus;
  };
  try {
    return await init();
  } finally {
    URL.createObjectURL = realCreate;
    nodeOs.cpus = realCpus;
  }
}

async function initWasm(threads: number): Promise<void> {
  const wanted = Math.max(1, Math.floor(threads));
  registerWasmKernels();
  if (wasmThreads === wanted && tf.engine().registry['wasm'] != null) {
    await tf.setBackend('wasm');
    return;
  }
  if (tf.engine().registry['wasm'] != null) {
    // Re-initialising with another thread count: drop the old instance (removeBackend disposes it,
    // which terminates its threads; its tensors become invalid) and register the factory again.
    const factory = tf.findBackendFactory('wasm');
    // internal: the factory was registered when tfjs-backend-wasm was imported.
    if (factory == null) throw new Error('The wasm backend factory is not registered');
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', factory, 2);
  }
  wasmSimd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  const threaded = wanted > 1 && wasmSimd;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threaded);
  // The stock kernels' thread pool (XNNPACK's pthreadpool) gets one thread whenever emoc's kernel pool
  // runs: its helper threads spin for about 2 ms after every parallel call (measured: 1.8 ms of CPU in
  // the 50 ms after one MaxPool), on the cores emoc's next kernel is split across. emoc's pool does the
  // parallel work on `wanted` threads (its workers sleep in Atomics.wait), and the kernels that still
  // mattered on XNNPACK (max pooling, depthwise convolutions) moved to it. Measured (2 threads, batch 64,
  // 5 rounds alternating with the build before): S1 at 48x48 from 894 to 1031 img/s (x1) and 996 to
  // 1147 (x3), S2 +4% and +10% (npx tsx bench/fer-sizes.ts); MobileNetV1 inference within the noise.
  const stockThreads = threaded && process.env.EMOC_WASM_SIMD_KERNELS !== '0' ? 1 : wanted;
  tfwasm.setThreadsCount(stockThreads);
  const ok = threaded ? await withNodeThreadShims(stockThreads, () => tf.setBackend('wasm')) : await tf.setBackend('wasm');
  if (!ok)
    throw new BackendError(
      'The wasm backend failed to initialise',
      '',
      'choose another backend (--backend cpu), or run with fewer threads (--threads 1)',
    );
  // The threaded build's memory is shared, so emoc's pool runs `wanted` threads whatever XNNPACK has.
  wasmThreads = threaded ? wanted : tfwasm.getThreadsCount();
  // emoc's own SIMD kernels run on the backend's memory with as many threads as the backend has.
  const memory = wasmBackendMemory(tf.findBackend('wasm'));
  if (memory && wasmSimd) await initSimdKernels(memory, wasmThreads);
}

async function initNative(gpu: boolean, forced: boolean): Promise<boolean> {
  const pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  if (gpu && !cudaPresent()) {
    if (forced)
      throw new BackendError(
        `${pkg} needs an NVIDIA GPU with CUDA, and none was found`,
        '/proc/driver/nvidia',
        'choose another backend (tensorflow, wasm, cpu)',
      );
    return false;
  }
  if (!(await tryNative(gpu))) {
    if (forced) throw missingPackage(pkg, 'or its native library failed to load');
    return false;
  }
  const ok = await tf.setBackend('tensorflow');
  if (!ok) {
    if (forced)
      throw new BackendError(
        `${pkg} is installed but its backend failed to initialise`,
        '',
        'reinstall it, or choose another backend (wasm, cpu)',
      );
    return false;
  }
  return true;
}

/** Information about the backend now active, for storing with a run. */
export function currentBackendInfo(): BackendInfo {
  const name = tf.getBackend();
  const versions = baseVersions();
  let threads = 1;
  let simd = false;
  if (name === 'wasm') {
    versions['tfjs-backend-wasm'] = tfwasm.version_wasm;
    threads = wasmThreads ?? tfwasm.getThreadsCount();
    simd = wasmSimd;
  } else if (name === 'cpu') {
    versions['tfjs-backend-cpu'] = packageVersion('@tensorflow/tfjs-backend-cpu') ?? 'unknown';
  } else if (name === 'tensorflow') {
    const gpu = current?.native === 'gpu';
    const pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
    versions[pkg.slice('@tensorflow/'.length)] = packageVersion(pkg) ?? 'unknown';
    threads = os.cpus().length;
  }
  const pool = name === 'wasm' ? simdKernelsFor(wasmBackendMemory(tf.backend())) : null;
  return { name, threads, simd, versions, emocKernels: pool ? (kernelsUseFma ? 'fma' : 'plain') : null };
}

/** Thread count of the current backend (see currentBackendInfo for everything to store with a run). */
export function currentBackendThreads(): number {
  return currentBackendInfo().threads;
}

/**
 * Selects and initialises a backend. 'auto' takes the fastest one installed. Forcing one that is not
 * installed throws a BackendError that names the package to install. Calling it again is harmless: the same
 * choice is a no-op, a different wasm thread count re-initialises the wasm backend.
 */
export async function selectBackend(opts: SelectOptions = {}): Promise<BackendInfo> {
  const prefer = opts.prefer ?? 'auto';
  const threads = opts.threads ?? DEFAULT_WASM_THREADS;
  if (!BACKENDS.includes(prefer)) {
    throw new BackendError(`Unknown backend '${String(prefer)}'`, '', `expected ${orList(BACKENDS)}`);
  }
  let native: 'gpu' | 'cpu' | null = null;
  if (prefer === 'tensorflow-gpu') {
    await initNative(true, true);
    native = 'gpu';
  } else if (prefer === 'tensorflow') {
    await initNative(false, true);
    native = 'cpu';
  } else if (prefer === 'wasm') {
    await initWasm(threads);
  } else if (prefer === 'cpu') {
    if (!(await tf.setBackend('cpu')))
      throw new BackendError(
        'The cpu backend failed to initialise',
        '',
        'reinstall emoc (npm ci): @tensorflow/tfjs-backend-cpu is part of it',
      );
  } else {
    if (cudaPresent() && (await initNative(true, false))) native = 'gpu';
    else if (await initNative(false, false)) native = 'cpu';
    else {
      try {
        await initWasm(threads);
      } catch {
        if (!(await tf.setBackend('cpu')))
          throw new BackendError('No TensorFlow.js backend could be initialised', '', 'reinstall emoc (npm ci)');
      }
    }
  }
  await tf.ready();
  current = { info: currentBackendInfo(), native };
  return current.info;
}
