// emoc's own wasm SIMD kernels (runtime/backend/wasm/assembly/kernels.ts), run on the tfjs wasm
// backend's memory and split across threads.
//
// Why: the training kernels composed from stock tfjs ops (ops.ts and its users) pay for transposes, pads
// and dilated convolutions, and MaxPoolGrad is a JavaScript loop on one thread. These kernels read
// and write the backend's tensors in place (the module imports the backend's WebAssembly.Memory).
//
// Threads: with the threaded tfjs build the memory is shared, so `threads - 1` worker threads each
// instantiate the same module on it; a call is split into contiguous shares, the main thread runs
// the last share itself and then waits for the others. Between calls the workers poll for POOL_SPIN_MS,
// then sleep in Atomics.wait; they are unref'd, so they never keep the process alive. With one thread (the
// unthreaded tfjs build, plain memory) everything runs on the main thread.

import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

/**
 * How long a thread of the pool keeps polling for the next call (a worker) or for the last chunks of
 * this one (the main thread) before it sleeps in Atomics.wait, in milliseconds. A training step is tens
 * of calls back to back with a little JavaScript between them; waking a sleeping thread costs tens of
 * microseconds and far more on a busy virtual machine, and the thread that wakes late holds its chunk
 * up. Polling for 2 ms took S1 at 48x48x3 on 2 threads from 890 to 1,084 img/s and 48x48x1 from 1,101
 * to 1,167 (medians of 10 alternating runs, AMD EPYC) for about the same CPU time per step. Unlike
 * XNNPACK's spinning (runtime/backend/select.ts), a worker polls only while no call of the pool runs,
 * so it never takes a core from one of its calls. EMOC_POOL_SPIN_MS overrides it (0: sleep at once, as
 * on a machine shared with other work).
 */
export const POOL_SPIN_MS = 2;
const spinMs = (): number => {
  const v = Number(process.env.EMOC_POOL_SPIN_MS);
  return process.env.EMOC_POOL_SPIN_MS !== undefined && Number.isFinite(v) && v >= 0 ? v : POOL_SPIN_MS;
};

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
  'addChannels',
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

// The control block shared with the workers, in Int32 words (kernel-worker.mjs reads the same layout):
//   SEQ      the current call's number (1 .. 2^20 - 1, wrapping), -1 to shut down; workers wait on it
//   TICKET   (SEQ << 11) | the next unclaimed chunk: a thread claims chunk k by a compare-exchange
//            from k to k + 1 under the same SEQ, so a worker that wakes late can never take a chunk of
//            another call
//   FINISHED chunks of the current call done (by any thread); the last one's worker notifies it
//   FAILED   1 when a chunk trapped in a worker
//   FN, CHUNKS, ARGC   the kernel (index into KERNEL_NAMES), the number of chunks, arguments per chunk
// then each chunk's arguments, CHUNK_WORDS words apart.
const LAYOUT = { SEQ: 0, TICKET: 1, FINISHED: 2, FAILED: 3, FN: 4, CHUNKS: 5, ARGC: 6, HEADER: 8, CHUNK_WORDS: 28 } as const;
const MAX_ARGS = LAYOUT.CHUNK_WORDS;
/** Chunks a call is cut into per thread: enough that a thread which starts late (a worker takes
 * 0.1-0.2 ms to wake) or is slowed by other load leaves its share to the others, few enough that
 * each chunk is still long against the cost of claiming it. */
const CHUNKS_PER_THREAD = 4;
const MAX_CHUNKS = 64;
const SEQ_LIMIT = 1 << 20;

/** The next chunk of call `seq`, or -1 when none is left (or the call is over). */
function claim(ctrl: Int32Array, seq: number): number {
  for (;;) {
    const t = Atomics.load(ctrl, LAYOUT.TICKET);
    if (t >>> 11 !== seq) return -1;
    const k = t & 0x7ff;
    if (k >= ctrl[LAYOUT.CHUNKS]!) return -1;
    if (Atomics.compareExchange(ctrl, LAYOUT.TICKET, t, t + 1) === t) return k;
  }
}

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
    /** How long the threads poll before they sleep (POOL_SPIN_MS). */
    readonly spinMs: number,
  ) {}

  /** Instantiates the kernels on `memory`; starts `threads - 1` workers when the memory is shared. */
  static async create(memory: WebAssembly.Memory, threads: number): Promise<SimdKernelPool> {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = kernelModule(shared);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const fns = Object.fromEntries(KERNEL_NAMES.map((n) => [n, instance.exports[n] as KernelFn])) as Record<SimdKernelName, KernelFn>;
    const helpers = shared ? Math.max(0, Math.floor(threads) - 1) : 0;
    const control = new SharedArrayBuffer((LAYOUT.HEADER + MAX_CHUNKS * LAYOUT.CHUNK_WORDS) * 4);
    const spin = spinMs();
    const workers = await Promise.all(
      Array.from(
        { length: helpers },
        () =>
          new Promise<Worker>((resolve, reject) => {
            const w = new Worker(new URL('./kernel-worker.mjs', import.meta.url), {
              workerData: { module, memory, control, layout: LAYOUT, names: KERNEL_NAMES, spinMs: spin },
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
    return new SimdKernelPool(memory, helpers + 1, fns, new Int32Array(control), workers, spin);
  }

  /**
   * Runs `name` over [0, total) cut into contiguous chunks; `args(chunk, from, to)` gives one chunk's
   * arguments. The main thread and the workers take chunks in turn until none is left (so a worker that
   * wakes late, or a core busy with other work, costs its share, not the whole call's wait), then the
   * main thread waits for the chunks still running. Returns the number of chunks.
   * `grain` is the least work worth a chunk of its own, in units of `total`: a small call (the
   * optimizer step of a bias, an activation of 64x128) runs on the main thread alone, since waking a
   * worker and waiting for it costs more than the work (tens of microseconds, and far more when the
   * worker's core is busy). Every kernel gives the same result however it is cut: each output is
   * computed by one chunk, in an order fixed by the shapes.
   */
  parallel(name: SimdKernelName, total: number, args: (chunk: number, from: number, to: number) => number[], grain = 1): number {
    // internal (this and the argument checks below): kernels are called by emoc's own kernel wrappers, never
    // with user input; a failure here is a bug in a wrapper or in the AssemblyScript kernel.
    if (this.closed) throw new Error('the wasm SIMD kernel pool is closed');
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    const kernel = this.fns[name];
    const limit = this.workers.length > 0 ? Math.min(MAX_CHUNKS, this.threads * CHUNKS_PER_THREAD) : 1;
    const chunks = Math.max(1, Math.min(limit, Math.floor(total / Math.max(1, grain))));
    if (chunks === 1) {
      kernel(...args(0, 0, total));
      return 1;
    }
    const c = this.ctrl;
    const all: number[][] = [];
    for (let k = 0; k < chunks; k++) {
      const a = args(k, Math.floor((total * k) / chunks), Math.floor((total * (k + 1)) / chunks));
      if (a.length > MAX_ARGS) throw new Error(`${name}: too many arguments`);
      // Arguments travel through an Int32Array: a float would arrive truncated.
      if (!a.every(Number.isInteger)) throw new Error(`${name}: arguments must be integers (pass floats as their bits)`);
      c.set(a, LAYOUT.HEADER + k * LAYOUT.CHUNK_WORDS);
      all.push(a);
    }
    c[LAYOUT.FN] = KERNEL_NAMES.indexOf(name);
    c[LAYOUT.CHUNKS] = chunks;
    c[LAYOUT.ARGC] = all[0]!.length;
    Atomics.store(c, LAYOUT.FINISHED, 0);
    Atomics.store(c, LAYOUT.FAILED, 0);
    const seq = (this.seq % (SEQ_LIMIT - 1)) + 1;
    this.seq = seq;
    Atomics.store(c, LAYOUT.TICKET, seq << 11);
    Atomics.store(c, LAYOUT.SEQ, seq);
    Atomics.notify(c, LAYOUT.SEQ);
    let error: unknown = null;
    for (let k = claim(c, seq); k >= 0; k = claim(c, seq)) {
      // After a trap the remaining chunks are still claimed (not run), so the count below completes.
      try {
        if (error === null) kernel(...all[k]!);
      } catch (e) {
        error = e;
      }
      Atomics.add(c, LAYOUT.FINISHED, 1);
    }
    // Chunks still running in the workers: their memory is rewritten by the next call.
    let f = Atomics.load(c, LAYOUT.FINISHED);
    if (f < chunks && this.spinMs > 0) {
      const until = performance.now() + this.spinMs;
      do for (let i = 0; i < 256 && f < chunks; i++) f = Atomics.load(c, LAYOUT.FINISHED);
      while (f < chunks && performance.now() < until);
    }
    for (; f < chunks; f = Atomics.load(c, LAYOUT.FINISHED)) Atomics.wait(c, LAYOUT.FINISHED, f);
    if (error !== null) throw error;
    // internal: a trap inside a kernel (out-of-bounds access) is a bug in emoc's kernels, not in the input.
    if (c[LAYOUT.FAILED]) throw new Error(`wasm SIMD kernel ${name} failed in a worker thread`);
    return chunks;
  }

  /** Stops the workers (they also die with the process: they are unref'd). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, LAYOUT.SEQ, -1);
    Atomics.notify(this.ctrl, LAYOUT.SEQ);
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
