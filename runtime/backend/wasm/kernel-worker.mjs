// One helper thread of runtime/backend/wasm/simd-kernels.ts: instantiates emoc's kernel module on the
// tfjs wasm backend's shared memory, then takes chunks of the calls the main thread posts in the shared
// control block (see simd-kernels.ts for its layout and the claiming protocol). Plain JavaScript, so it
// starts without tsx.
import { parentPort, workerData } from 'node:worker_threads';

const { module, memory, control, layout, names, spinMs } = workerData;
const { SEQ, TICKET, FINISHED, FAILED, FN, CHUNKS, ARGC, HEADER, CHUNK_WORDS } = layout;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const fns = names.map((name) => instance.exports[name]);
const ctrl = new Int32Array(control);

/** The next chunk of call `seq`, or -1 (the same protocol as claim() in simd-kernels.ts). */
function claim(seq) {
  for (;;) {
    const t = Atomics.load(ctrl, TICKET);
    if (t >>> 11 !== seq) return -1;
    const k = t & 0x7ff;
    if (k >= ctrl[CHUNKS]) return -1;
    if (Atomics.compareExchange(ctrl, TICKET, t, t + 1) === t) return k;
  }
}

parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  // Poll for the next call for spinMs before sleeping: the next call of a training step usually comes
  // within microseconds, and waking from Atomics.wait takes far longer (POOL_SPIN_MS in simd-kernels.ts).
  let seq = Atomics.load(ctrl, SEQ);
  if (seq === seen && spinMs > 0) {
    const until = performance.now() + spinMs;
    do for (let i = 0; i < 256 && seq === seen; i++) seq = Atomics.load(ctrl, SEQ);
    while (seq === seen && performance.now() < until);
  }
  if (seq === seen) {
    Atomics.wait(ctrl, SEQ, seen);
    seq = Atomics.load(ctrl, SEQ);
  }
  if (seq < 0) break; // shut down
  if (seq === seen) continue;
  seen = seq;
  for (let k = claim(seq); k >= 0; k = claim(seq)) {
    // Read after the claim: the main thread rewrites these only once every chunk of the call is done.
    const chunks = ctrl[CHUNKS];
    const base = HEADER + k * CHUNK_WORDS;
    try {
      fns[ctrl[FN]](...ctrl.subarray(base, base + ctrl[ARGC]));
    } catch {
      Atomics.store(ctrl, FAILED, 1);
    }
    if (Atomics.add(ctrl, FINISHED, 1) + 1 === chunks) Atomics.notify(ctrl, FINISHED);
  }
}
