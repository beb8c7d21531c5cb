// The queue's overhead (issue 16): an 8-point sweep of one-epoch points on the built-in faces, run locally
// in one process, then submitted to a Redis queue with one `emoc worker` (started beforehand and warm, as a
// worker is in use). Prints both wall times and the ratio; target: queued at most 10% slower.
// Run: npx tsx bench/queue-overhead.ts   (needs redis-server on PATH)

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { emoc, emocSync, startRedis, until } from '../test/queue-helpers.ts';

const SPEC = `experiment bench {
  data { source builtin:faces; images 140; input 48x48x1 }
  model {
    default activation relu
    conv 8 k3 | maxpool 2
    conv $filters k3 | maxpool 2
    flatten
    fc $hidden
    fc 7 | softmax
  }
  train { epochs 1; batch 16; seed 1 }
  sweep {
    filters in [8, 16]
    hidden in [16, 32, 48, 64]
    name "f{filters}-h{hidden}"
  }
}
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-bench-queue-'));
fs.writeFileSync(path.join(dir, 'bench.emo'), SPEC);
const redis = await startRedis();
const common = ['--threads', '1', '--backend', 'wasm'];
try {
  let t = Date.now();
  const local = emocSync(['run', 'bench.emo', '--runs', 'local', '--no-dashboard', ...common], { cwd: dir, env: { EMOC_QUEUE: '' } });
  const localMs = Date.now() - t;
  if (local.status !== 0) throw new Error(local.err);
  const worker = emoc(['worker', '--runs', 'queued', ...common], { cwd: dir, env: { EMOC_QUEUE: redis.url } });
  await until(() => worker.output().includes('worker ready'), 'the worker');
  t = Date.now();
  const queued = emoc(['run', 'bench.emo'], { cwd: dir, env: { EMOC_QUEUE: redis.url } });
  const code = await queued.exited;
  const queuedMs = Date.now() - t;
  if (code !== 0) throw new Error(queued.output());
  worker.proc.kill('SIGTERM');
  await worker.exited;
  console.log(`8 points x 1 epoch, builtin:faces 140 images 48x48, 1 wasm thread`);
  console.log(`local sweep (one process):      ${(localMs / 1000).toFixed(1)} s`);
  console.log(
    `queued, 1 warm worker:          ${(queuedMs / 1000).toFixed(1)} s  (${((100 * (queuedMs - localMs)) / localMs).toFixed(1)}% vs local; target <= 10%)`,
  );
} finally {
  await redis.stop();
}
