// A sweep through a real Redis and two real `emoc worker` processes: every point runs once, with the same
// numbers as the local run of the same spec; a second submission runs nothing; status, cancel and
// results read the queue; the password never reaches run folders, logs or `ps`.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { emoc, emocSync, startRedis, until, type Child, type RedisServer } from './queue-helpers.ts';

const PASSWORD = 's3cret-Queue-pw';
const SPEC = `experiment tiny {
  data { source builtin:faces; images 28; input 24x24x1 }
  model {
    default activation relu
    conv $filters k3 | maxpool 2
    flatten
    fc $hidden
    fc 7 | softmax
  }
  train { epochs 1; batch 8; seed 5 }
  sweep {
    filters in [2, 4]
    hidden in [4, 6, 8, 10]
    name "f{filters}-h{hidden}"
  }
}
`;
const POINTS = ['f2-h4', 'f2-h6', 'f2-h8', 'f2-h10', 'f4-h4', 'f4-h6', 'f4-h8', 'f4-h10'];

let redis: RedisServer;
let dir: string;
let workers: Child[] = [];
const env = () => ({ EMOC_QUEUE: redis.url });

beforeAll(async () => {
  redis = await startRedis(PASSWORD);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-queue-'));
  fs.writeFileSync(path.join(dir, 'grid.emo'), SPEC);
});

afterAll(async () => {
  for (const w of workers) w.proc.kill('SIGKILL');
  await redis?.stop();
});

const startWorkers = () => {
  // One worker takes the URL (with its password) on the command line, the other from EMOC_QUEUE.
  workers = [
    emoc(['worker', '--queue', redis.url, '--runs', 'shared-runs', '--threads', '1', '--backend', 'wasm'], {
      cwd: dir,
      env: { EMOC_QUEUE: '' },
    }),
    emoc(['worker', '--runs', 'shared-runs', '--threads', '1', '--backend', 'wasm'], { cwd: dir, env: env() }),
  ];
};

const starts = (point: string) => workers.flatMap((w) => w.output().match(new RegExp(`starting tiny/${point} `, 'g')) ?? []).length;

function valMetrics(runDir: string) {
  const lines = fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { epoch: number; train: { loss: number }; val: { loss: number; acc: number } });
  return lines.map((l) => ({ epoch: l.epoch, trainLoss: l.train.loss, valLoss: l.val.loss, valAcc: l.val.acc }));
}

it("runs an 8-point sweep on two workers, each point once, with the local run's numbers", async () => {
  // Submitted before any worker runs: the points wait; status shows them; --detach prints the sweep id.
  const detached = emocSync(['run', 'grid.emo', '--detach'], { cwd: dir, env: env() });
  expect(detached.status, detached.err).toBe(0);
  const sweep = detached.out.trim();
  expect(sweep).toMatch(/^[0-9a-f]{12}$/);
  const waiting = emocSync(['queue', 'status', sweep], { cwd: dir, env: env() });
  expect(waiting.status, waiting.err).toBe(0);
  expect(waiting.out).toContain('waiting 8, active 0, finished 0, failed 0');

  startWorkers();
  const follow = emocSync(['run', 'grid.emo'], { cwd: dir, env: env() });
  expect(follow.status, follow.out + follow.err).toBe(0);
  expect(follow.out).toContain(`sweep ${sweep}: every point finished`);
  for (const p of POINTS) expect(follow.out).toMatch(new RegExp(`^${p}: finished, val acc`, 'm'));

  await until(() => POINTS.every((p) => starts(p) === 1), 'worker logs');
  for (const p of POINTS) expect(starts(p)).toBe(1);

  // The same spec run locally, one process, the same seed: the same numbers per point.
  const local = emocSync(['run', 'grid.emo', '--runs', 'local-runs', '--threads', '1', '--backend', 'wasm', '--no-dashboard'], {
    cwd: dir,
    env: { EMOC_QUEUE: '' },
  });
  expect(local.status, local.err).toBe(0);
  const localSweep = fs.readdirSync(path.join(dir, 'local-runs', 'tiny'))[0];
  for (const p of POINTS) {
    const queued = valMetrics(path.join(dir, 'shared-runs', 'tiny', `queue-${sweep}`, p));
    expect(queued).toHaveLength(1);
    expect(queued).toEqual(valMetrics(path.join(dir, 'local-runs', 'tiny', localSweep, p)));
  }

  // Submitting again adds nothing and runs nothing.
  const again = emocSync(['run', 'grid.emo', '--detach'], { cwd: dir, env: env() });
  expect(again.status).toBe(0);
  expect(again.out.trim()).toBe(sweep);
  expect(again.err).toContain('queued 0 new points of 8');
  const followAgain = emocSync(['run', 'grid.emo'], { cwd: dir, env: env() });
  expect(followAgain.status).toBe(0);
  expect(followAgain.out).toContain('(8 already queued or done)');
  for (const p of POINTS) expect(starts(p)).toBe(1);

  const status = emocSync(['queue', 'status', sweep], { cwd: dir, env: env() });
  expect(status.out).toContain('waiting 0, active 0, finished 8, failed 0');

  // Results from Redis alone: the same rows as the local table of the queued run folders.
  const fromQueue = emocSync(['results', '--queue', redis.url, sweep, '--format', 'json', '--sort', 'point', '--asc'], {
    cwd: dir,
    env: {},
  });
  expect(fromQueue.status, fromQueue.err).toBe(0);
  const fromFolders = emocSync(
    ['results', path.join('shared-runs', 'tiny', `queue-${sweep}`), '--format', 'json', '--sort', 'point', '--asc'],
    { cwd: dir },
  );
  const strip = (rows: Record<string, unknown>[]) => rows.map(({ run: _run, ...r }) => r);
  expect(strip(JSON.parse(fromQueue.out) as Record<string, unknown>[])).toEqual(
    strip(JSON.parse(fromFolders.out) as Record<string, unknown>[]),
  );
  expect(JSON.parse(fromQueue.out)).toHaveLength(8);

  // The password is nowhere: not in the run folders, not in any output, not in the workers' command lines.
  const files: string[] = [];
  const walk = (d: string) =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : files.push(path.join(d, e.name))));
  walk(path.join(dir, 'shared-runs'));
  for (const f of files) expect(fs.readFileSync(f).includes(PASSWORD), f).toBe(false);
  for (const text of [follow.out, follow.err, detached.err, status.out, fromQueue.out, ...workers.map((w) => w.output())])
    expect(text).not.toContain(PASSWORD);
  expect(follow.out).toContain(`redis://:***@127.0.0.1:${redis.port}`);
  for (const w of workers) expect(fs.readFileSync(`/proc/${w.proc.pid}/cmdline`, 'utf8')).not.toContain(PASSWORD);
  // SIGTERM: a worker with nothing to do stops cleanly.
  for (const w of workers) w.proc.kill('SIGTERM');
  for (const w of workers) expect(await w.exited).toBe(0);
}, 300_000);

it('refuses bad queue URLs with one line and never shows the password', () => {
  const r = emocSync(['queue', 'status', '--queue', 'http://u:hunter2@host:1'], { cwd: dir, env: { EMOC_QUEUE: '' } });
  expect(r.status).toBe(2);
  expect(r.err).toMatch(/^emoc: unsupported queue URL scheme http: in http:\/\/u:\*\*\*@host:1/m);
  expect(r.err).not.toContain('hunter2');
  const none = emocSync(['worker'], { cwd: dir, env: { EMOC_QUEUE: '' } });
  expect(none.status).toBe(2);
  expect(none.err).toContain('no queue given');
});
