// emoc's own wasm SIMD kernels (runtime/backend/wasm/assembly/kernels.ts), run on the tfjs wasm
// backend's memory and split across threads.
//
// Why: the training kernels composed from stock tfjs ops (ops.ts and its users) pay for transposes, pads
// and dilated convolutions, and MaxPoolGrad is a JavaScript loop on one thread. These kernels read
// and write the backend's tensors in place (the module imports the backend's WebAssembly.Memory).
//
// Threads: with the threaded tfjs build the memory is shared, so `threads - 1` worker threads each
// instantiate the same module on it; a call is split into contiguous shares, the main thread runs
// the last share itself and then waits for the others. The workers sleep in Atomics.wait between
// calls (no polling) and are unref'd, so they never keep the process alive. With one thread (the
// unthreaded tfjs build, plain memory) everything runs on the main thread.

import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const KERNEL_NAMES = [
  'maxPoolGrad2x2',
  'maxPool2x2',
  'depthwiseForward',
  'convFilterGrad',
  'convInputGrad',
  'sumParts',
  'channelSums',
  'bnGradSums',
  'channelAffine',
  'reluGrad',
  'relu',
  'copyWindow',
  'packStrips8',
  'packFlipped8',
  'scatterPhase',
  'im2colT',
  'convForward',
  'adamUpdate',
] as const;
export type SimdKernelName = (typeof KERNEL_NAMES)[number];

/** Floats of element-wise work below which a call is not split across threads (see parallel). */
export const GRAIN_FLOATS = 32768;

/** The `grain` of parallel() for a kernel whose unit of work covers `floatsPerUnit` floats. */
export function grainFor(floatsPerUnit: number): number {
  return Math.max(1, Math.ceil(GRAIN_FLOATS / Math.max(1, floatsPerUnit)));
}

// Control slot of one worker, in Int32 words: SEQ (call number, -1 = shut down), DONE (last call
// finished), FN (index into KERNEL_NAMES), FAILED (1 when the call trapped), ARGC, then the arguments.
const SLOT_SIZE = 32;
const [SEQ, DONE, FN, FAILED, ARGC, ARGS] = [0, 1, 2, 3, 4, 5];
const MAX_ARGS = SLOT_SIZE - ARGS;

type KernelFn = (...args: number[]) => void;

/** Whether the kernels use fused multiply-adds (relaxed SIMD), once a pool has started. */
export let kernelsUseFma = false;

/**
 * Makes the engine accept relaxed SIMD if it does not yet, and says whether it does now. Node 22+
 * accepts it by default; Node 20's V8 has it complete behind --experimental-wasm-relaxed-simd, a
 * flag that only allows the extra instructions, and that applies to modules compiled after it is set.
 */
export function enableRelaxedSimd(probe: BufferSource): boolean {
  if (WebAssembly.validate(probe)) return true;
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(probe);
}

function readKernels(name: string): Buffer<ArrayBuffer> {
  return fs.readFileSync(fileURLToPath(new URL(name, import.meta.url))) as Buffer<ArrayBuffer>;
}

/** The kernel module for a shared or plain memory: the fused-multiply-add build (about 25-30% faster
 * convolutions, measured 1 thread) where the engine accepts relaxed SIMD, unless EMOC_WASM_FMA=0;
 * else the plain build. */
function kernelModule(shared: boolean): WebAssembly.Module {
  const fma = readKernels(shared ? 'kernels-fma-shared.wasm' : 'kernels-fma.wasm');
  kernelsUseFma = process.env.EMOC_WASM_FMA !== '0' && enableRelaxedSimd(fma);
  return new WebAssembly.Module(kernelsUseFma ? fma : readKernels(shared ? 'kernels-shared.wasm' : 'kernels.wasm'));
}

export class SimdKernelPool {
  private seq = 0;
  private closed = false;
  /** Calls per kernel since the pool started (tests check that a path really ran). */
  readonly calls = new Map<SimdKernelName, number>();

  private constructor(
    readonly memory: WebAssembly.Memory,
    /** Threads a call is split across (workers + the main thread). */
    readonly threads: number,
    private readonly fns: Record<SimdKernelName, KernelFn>,
    private readonly ctrl: Int32Array,
    private readonly workers: Worker[],
  ) {}

  /** Instantiates the kernels on `memory`; starts `threads - 1` workers when the memory is shared. */
  static async create(memory: WebAssembly.Memory, threads: number): Promise<SimdKernelPool> {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = kernelModule(shared);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const fns = Object.fromEntries(KERNEL_NAMES.map((n) => [n, instance.exports[n] as KernelFn])) as Record<SimdKernelName, KernelFn>;
    const helpers = shared ? Math.max(0, Math.floor(threads) - 1) : 0;
    const control = new SharedArrayBuffer(Math.max(1, helpers) * SLOT_SIZE * 4);
    const workers = await Promise.all(
      Array.from(
        { length: helpers },
        (_, slot) =>
          new Promise<Worker>((resolve, reject) => {
            const w = new Worker(new URL('./kernel-worker.mjs', import.meta.url), {
              workerData: { module, memory, control, slot, slotSize: SLOT_SIZE, names: KERNEL_NAMES },
            });
            // unref only once it is ready: until then nothing else may keep the event loop alive.
            w.once('message', () => {
              w.unref();
              resolve(w);
            });
            w.once('error', reject);
          }),
      ),
    );
    return new SimdKernelPool(memory, helpers + 1, fns, new Int32Array(control), workers);
  }

  /**
   * Runs `name` over [0, total) split into up to `threads` contiguous shares; `args(share, from, to)`
   * gives one share's arguments. Returns the number of shares used (each share index is < threads).
   * `grain` is the least work worth a share of its own, in units of `total`: a small call (the
   * optimizer step of a bias, an activation of 64x128) runs on the main thread alone, since waking a
   * worker and waiting for it costs more than the work (tens of microseconds, and far more when the
   * worker's core is busy). Every kernel gives the same result however it is split.
   */
  parallel(name: SimdKernelName, total: number, args: (share: number, from: number, to: number) => number[], grain = 1): number {
    // internal (this and the argument checks below): kernels are called by emoc's own kernel wrappers, never
    // with user input; a failure here is a bug in a wrapper or in the AssemblyScript kernel.
    if (this.closed) throw new Error('the wasm SIMD kernel pool is closed');
    const shares = Math.max(1, Math.min(this.threads, Math.floor(total / Math.max(1, grain))));
    const bounds = (k: number) => Math.floor((total * k) / shares);
    const fn = KERNEL_NAMES.indexOf(name);
    const seq = ++this.seq;
    for (let k = 0; k < shares - 1; k++) {
      const a = args(k, bounds(k), bounds(k + 1));
      if (a.length > MAX_ARGS) throw new Error(`${name}: too many arguments`);
      // Arguments travel through an Int32Array: a float would arrive truncated.
      if (!a.every(Number.isInteger)) throw new Error(`${name}: arguments must be integers (pass floats as their bits)`);
      const base = k * SLOT_SIZE;
      this.ctrl[base + FN] = fn;
      this.ctrl[base + ARGC] = a.length;
      this.ctrl.set(a, base + ARGS);
      Atomics.store(this.ctrl, base + SEQ, seq);
      Atomics.notify(this.ctrl, base + SEQ);
    }
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    let failed = false;
    try {
      this.fns[name](...args(shares - 1, bounds(shares - 1), total));
    } finally {
      // Even when the main thread's share traps, wait for the workers: the next call rewrites
      // their slots.
      for (let k = 0; k < shares - 1; k++) {
        const base = k * SLOT_SIZE;
        for (;;) {
          const done = Atomics.load(this.ctrl, base + DONE);
          if (done === seq) break;
          Atomics.wait(this.ctrl, base + DONE, done);
        }
        if (this.ctrl[base + FAILED]) failed = true;
      }
    }
    // internal: a trap inside a kernel (out-of-bounds access) is a bug in emoc's kernels, not in the input.
    if (failed) throw new Error(`wasm SIMD kernel ${name} failed in a worker thread`);
    return shares;
  }

  /** Stops the workers (they also die with the process: they are unref'd). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.workers.forEach((_, k) => {
      Atomics.store(this.ctrl, k * SLOT_SIZE + SEQ, -1);
      Atomics.notify(this.ctrl, k * SLOT_SIZE + SEQ);
    });
  }
}

let pool: SimdKernelPool | null = null;

/** Starts the pool for a newly initialised wasm backend (replacing one made for an older memory). */
export async function initSimdKernels(memory: WebAssembly.Memory, threads: number): Promise<SimdKernelPool> {
  if (pool && pool.memory === memory && pool.threads === threads) return pool;
  pool?.close();
  pool = null;
  pool = await SimdKernelPool.create(memory, threads);
  return pool;
}

/** The pool for `memory`, or null (not started, disabled by EMOC_WASM_SIMD_KERNELS=0, or another memory). */
export function simdKernelsFor(memory: WebAssembly.Memory | undefined): SimdKernelPool | null {
  if (!pool || pool.memory !== memory || process.env.EMOC_WASM_SIMD_KERNELS === '0') return null;
  return pool;
}

/** The current pool, whatever memory it serves (tests, diagnostics). */
export function currentSimdKernels(): SimdKernelPool | null {
  return pool;
}
