// One helper thread of runtime/backend/wasm/simd-kernels.ts: instantiates emoc's kernel module on the
// tfjs wasm backend's shared memory, then runs the calls the main thread posts in its control slot
// (see simd-kernels.ts for the slot layout). Plain JavaScript, so it starts without tsx.
import { parentPort, workerData } from 'node:worker_threads';

const { module, memory, control, slot, slotSize, names } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const fns = names.map((name) => instance.exports[name]);
const ctrl = new Int32Array(control);
const base = slot * slotSize;
const SEQ = 0,
  DONE = 1,
  FN = 2,
  FAILED = 3,
  ARGC = 4,
  ARGS = 5;

parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, base + SEQ, seen);
  const seq = Atomics.load(ctrl, base + SEQ);
  if (seq === seen) continue;
  if (seq < 0) break; // shut down
  seen = seq;
  try {
    const args = Array.from(ctrl.subarray(base + ARGS, base + ARGS + ctrl[base + ARGC]));
    fns[ctrl[base + FN]](...args);
    ctrl[base + FAILED] = 0;
  } catch {
    ctrl[base + FAILED] = 1;
  }
  Atomics.store(ctrl, base + DONE, seq);
  Atomics.notify(ctrl, base + DONE);
}
