// Faults on a real Redis with real `emoc worker` processes: payloads a worker must refuse, a worker
// SIGKILLed mid-point (its job stalls, another worker resumes it from the shared checkpoint with the
// uninterrupted run's numbers), Redis restarted mid-sweep, and cancelling waiting points.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import { connectionOptions, QUEUE_NAME } from '../runtime/queue/connection.ts';
import { listPoints } from '../runtime/queue/inspect.ts';
import { pointJobId } from '../runtime/queue/payload.ts';
import { buildPayloads } from '../runtime/queue/submit.ts';
import { emoc, emocSync, startRedis, until, type Child, type RedisServer } from './queue-helpers.ts';

const spec = (name: string, epochs: number, values: string) => `experiment ${name} {
  data { source builtin:faces; images 56; input 32x32x1 }
  model {
    default activation relu
    conv 4 k3 | maxpool 2
    flatten
    fc $hidden
    fc 7 | softmax
  }
  train { epochs ${epochs}; batch 8; seed 11 }
  sweep {
    hidden in [${values}]
    name "h{hidden}"
  }
}
`;

let redis: RedisServer;
let dir: string;
let children: Child[] = [];
const env = () => ({ EMOC_QUEUE: redis.url });
// Short locks so a killed worker's point is found stalled within seconds.
const worker = () => {
  const w = emoc(['worker', '--runs', 'shared', '--threads', '1', '--backend', 'wasm', '--lock-ms', '4000', '--stalled-ms', '1000'], {
    cwd: dir,
    env: env(),
  });
  children.push(w);
  return w;
};

beforeAll(async () => {
  redis = await startRedis();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-queue-faults-'));
});
afterEach(async () => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  children = [];
});
afterAll(async () => {
  await redis?.stop();
});

function write(name: string, text: string): string {
  fs.writeFileSync(path.join(dir, name), text);
  return name;
}

function epochs(runDir: string) {
  return fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { epoch: number; train: { loss: number; acc: number }; val: { loss: number; acc: number } })
    .map((e) => ({ epoch: e.epoch, train: [e.train.loss, e.train.acc], val: [e.val.loss, e.val.acc] }));
}

it('cancel removes the waiting points of a sweep; a spec with errors never reaches the queue', () => {
  const file = write('cancel.emo', spec('cancelme', 1, '3, 5, 7'));
  const sub = emocSync(['run', file, '--detach'], { cwd: dir, env: env() });
  expect(sub.status, sub.err).toBe(0);
  const sweep = sub.out.trim();
  const c = emocSync(['queue', 'cancel', sweep], { cwd: dir, env: env() });
  expect(c.out).toContain(`cancelled 3 waiting points of sweep ${sweep}`);
  const st = emocSync(['queue', 'status', sweep], { cwd: dir, env: env() });
  expect(st.status).toBe(1);
  expect(st.err).toContain(`no points of sweep ${sweep} on the queue`);

  const bad = write('bad.emo', spec('bad', 1, '3').replace('conv 4 k3', 'conv 4 k3 s0'));
  const r = emocSync(['run', bad, '--detach'], { cwd: dir, env: env() });
  expect(r.status).not.toBe(0);
  expect(r.out).toBe('');
  const all = emocSync(['queue', 'status'], { cwd: dir, env: env() });
  expect(all.out).not.toMatch(/\bbad\b/);
}, 120_000);

it('refuses corrupted payloads and other data with a clear reason, and the worker carries on', async () => {
  const file = write('corrupt.emo', spec('corrupt', 1, '3, 4'));
  const r = compile(path.join(dir, file), { validate: true });
  expect(r.ok).toBe(true);
  const [p1, p2] = buildPayloads(r.experiments, fs.readFileSync(path.join(dir, file), 'utf8'));
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(redis.url) });
  try {
    const broken = { ...p1, ir: { ...p1.ir, layers: 'not layers' } };
    const otherVersion = { ...p1, emocVersion: '0.0.1' };
    const otherBuild = { ...p1, build: '000000000000' };
    const otherData = { ...p2, data: { ...p2.data, fingerprint: 'f'.repeat(64) } };
    await queue.add('broken', broken, { jobId: 'broken', attempts: 3 });
    await queue.add('version', otherVersion, { jobId: 'version', attempts: 3 });
    await queue.add('build', otherBuild, { jobId: 'build', attempts: 3 });
    await queue.add('data', otherData, { jobId: 'data', attempts: 2, backoff: { type: 'fixed', delay: 200 } });
    await queue.add('not-emoc', { hello: 1 }, { jobId: 'not-emoc', attempts: 3 });
    const w = worker();
    const failed = async (id: string) => {
      for (let i = 0; i < 600; i++) {
        // The state first, then the job: a job read before its state could be an attempt older (its
        // second attempt may fail between the two reads).
        if ((await queue.getJobState(id)) === 'failed') return (await queue.getJob(id))!;
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error(`job ${id} did not fail`);
    };
    const b = await failed('broken');
    expect(b.failedReason).toMatch(/^the job's IR is not valid: ir\/layers must be array/);
    // Refused without retrying: the payload would be refused the same way again.
    expect(b.attemptsMade).toBe(1);
    expect((await failed('version')).failedReason).toMatch(/^the job was compiled by emoc 0\.0\.1, this worker is emoc \d/);
    const ob = await failed('build');
    expect(ob.failedReason).toMatch(/^the job was compiled by emoc build 000000000000, this worker runs build [0-9a-f]{12} /);
    expect(ob.attemptsMade).toBe(1);
    expect((await failed('not-emoc')).failedReason).toContain('not an emoc point');
    const d = await failed('data');
    expect(d.failedReason).toContain("differs from the submitter's (fingerprint");
    expect(d.attemptsMade).toBe(2);
    // The worker is still up and still takes good jobs.
    await queue.add('good', p1, { jobId: pointJobId(p1) });
    await until(() => /corrupt\/h3: finished|h3: finished/.test(w.output()), 'the good job');
    expect(w.proc.exitCode).toBe(null);
  } finally {
    await queue.close();
  }
}, 180_000);

it("a SIGKILLed worker's point stalls, another worker resumes it from the checkpoint, with the uninterrupted numbers", async () => {
  const file = write('kill.emo', spec('killme', 3, '12'));
  const sub = emocSync(['run', file, '--detach'], { cwd: dir, env: env() });
  expect(sub.status, sub.err).toBe(0);
  const sweep = sub.out.trim();
  const runDir = path.join(dir, 'shared', 'killme', `queue-${sweep}`, 'h12');
  const a = worker();
  // Killed once epoch 1's checkpoint is on disk and before the point ends.
  await until(() => fs.existsSync(path.join(runDir, 'checkpoint', 'state.json')), 'the first checkpoint');
  a.proc.kill('SIGKILL');
  await a.exited;
  expect(a.output()).not.toMatch(/h12: finished/);
  const b = worker();
  const follow = emocSync(['run', file], { cwd: dir, env: env() });
  expect(follow.status, follow.out).toBe(0);
  // spawnSync held this process's event loop: let the worker's output arrive.
  await until(() => /h12: finished/.test(b.output()), 'the worker log');
  expect(b.output()).toMatch(/resuming killme\/h12 /);
  const resumed = epochs(runDir);
  expect(resumed.map((e) => e.epoch)).toEqual([1, 2, 3]);

  const local = emocSync(['run', file, '--runs', 'local', '--threads', '1', '--backend', 'wasm', '--no-dashboard'], {
    cwd: dir,
    env: { EMOC_QUEUE: '' },
  });
  expect(local.status, local.err).toBe(0);
  const localSweep = fs.readdirSync(path.join(dir, 'local', 'killme'))[0];
  expect(resumed).toEqual(epochs(path.join(dir, 'local', 'killme', localSweep, 'h12')));
}, 240_000);

it('a sweep survives Redis stopping and starting again', async () => {
  const file = write('restart.emo', spec('restart', 1, '2, 3, 5, 6'));
  worker();
  const follow = emoc(['run', file], { cwd: dir, env: env() });
  children.push(follow);
  await until(() => /: finished, val acc/.test(follow.output()), 'the first point');
  await redis.stop();
  await new Promise((r) => setTimeout(r, 1000));
  await redis.start();
  expect(await follow.exited).toBe(0);
  expect(follow.output()).toMatch(/every point finished/);
  const st = emocSync(['queue', 'status', follow.output().match(/^sweep ([0-9a-f]{12})/m)![1]], { cwd: dir, env: env() });
  expect(st.out).toContain('waiting 0, active 0, finished 4, failed 0');
}, 240_000);

it('SIGTERM checkpoints the running point and hands it back; status shows it active with its worker and epoch', async () => {
  const file = write('term.emo', spec('termme', 20, '9'));
  const sub = emocSync(['run', file, '--detach'], { cwd: dir, env: env() });
  expect(sub.status, sub.err).toBe(0);
  const sweep = sub.out.trim();
  const runDir = path.join(dir, 'shared', 'termme', `queue-${sweep}`, 'h9');
  const a = worker();
  await until(() => fs.existsSync(path.join(runDir, 'checkpoint', 'state.json')), 'the first checkpoint');
  // What `emoc queue status` prints, read in this process (the CLI takes longer than a few epochs here).
  const [active] = await listPoints(redis.url, sweep);
  a.proc.kill('SIGTERM');
  expect(active).toMatchObject({ point: 'h9', state: 'active', worker: `${os.hostname()}:${a.proc.pid}` });
  expect(active.epoch).toMatch(/^\d+\/20$/);
  expect(await a.exited).toBe(0);
  // Either it stopped after a batch and handed the point back, or the point ended before the signal landed.
  const handedBack = /h9: checkpointed and handed back/.test(a.output());
  if (handedBack) expect(fs.existsSync(path.join(runDir, 'checkpoint', 'state.json'))).toBe(true);
  const b = worker();
  const follow = emocSync(['run', file], { cwd: dir, env: env() });
  expect(follow.status, follow.out).toBe(0);
  await until(() => /h9: finished/.test(a.output() + b.output()), 'the worker log');
  if (handedBack) expect(b.output()).toMatch(/resuming termme\/h9 /);
  const local = emocSync(['run', file, '--runs', 'local', '--threads', '1', '--backend', 'wasm', '--no-dashboard'], {
    cwd: dir,
    env: { EMOC_QUEUE: '' },
  });
  expect(local.status, local.err).toBe(0);
  const localSweep = fs.readdirSync(path.join(dir, 'local', 'termme'))[0];
  // Stopped between batches, usually not at an epoch's end: the checkpoint carries the partial epoch's
  // sums and Adam's state bit for bit, so the numbers are the uninterrupted run's exactly.
  expect(epochs(runDir)).toEqual(epochs(path.join(dir, 'local', 'termme', localSweep, 'h9')));
}, 240_000);
