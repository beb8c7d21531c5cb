// The queued sweep followed live in a real terminal: `emoc run --queue` under tmux draws the dashboard's
// sweep table from the queue's events while a real worker runs the points on a real redis-server, and
// leaves it on screen with every point done (its worker named) before exiting 0. (CI installs tmux.)

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EMOC, emoc, startRedis, type Child, type RedisServer } from './queue-helpers.ts';

const SPEC = `experiment tiny {
  data { source builtin:faces; images 28; input 24x24x1 }
  model {
    default activation relu
    conv 2 k3 | maxpool 2
    flatten
    fc $hidden
    fc 7 | softmax
  }
  train { epochs 2; batch 8; seed 3 }
  sweep {
    hidden in [4, 6, 8]
    name "h{hidden}"
  }
}
`;
const POINTS = ['h4', 'h6', 'h8'];
const session = `emoc-queue-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session);

let redis: RedisServer;
let worker: Child | null = null;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-queue-tmux-'));
  fs.writeFileSync(path.join(dir, 'grid.emo'), SPEC);
});

afterAll(async () => {
  try {
    tmux('kill-session', '-t', session);
  } catch {
    /* already gone */
  }
  worker?.proc.kill('SIGKILL');
  await redis?.stop();
});

async function waitFor(test: (text: string) => boolean, ms: number): Promise<string> {
  const until = Date.now() + ms;
  let text = '';
  while (Date.now() < until) {
    text = screen();
    if (test(text)) return text;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out; the screen was:\n${text}`);
}

it('follows a queued sweep on the dashboard sweep table until every point is done', async () => {
  // ink draws only a final frame when CI is set, so the terminal run unsets it like a user's shell.
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '110',
    '-y',
    '30',
    `cd ${dir} && env -u CI EMOC_DIST=0 node ${EMOC} run grid.emo --queue ${redis.url}; echo EXIT=$?; sleep 60`,
  );
  // Submitted with no worker yet: the table is there, every point queued.
  const queued = await waitFor((t) => t.includes('0/3 done'), 60_000);
  expect(queued).toContain('points run by queue workers');
  for (const p of POINTS) expect(queued).toMatch(new RegExp(`· ${p}\\s+queued`));
  expect(queued).toContain('stop following (the workers carry on)');

  worker = emoc(['worker', '--queue', redis.url, '--runs', 'runs', '--threads', '1', '--backend', 'wasm'], { cwd: dir });
  const end = await waitFor((t) => t.includes('EXIT='), 120_000);
  expect(end, worker.output()).toContain('EXIT=0');
  expect(end).toContain('3/3 done');
  expect(end).toContain('sweep ended');
  // Every row: done, with metrics and the worker that ran it (one worker: the same name on each row).
  const rows = POINTS.map((p) => end.split('\n').find((l) => new RegExp(`^. ${p}\\s`).test(l)) ?? '');
  for (const r of rows) expect(r).toMatch(/done\s+\d+\.\d%\s+\d+\.\d%\s+\d\.\d{3}\s+\S+/);
  const workerName = (r: string) => r.trim().split(/\s+/).pop();
  expect(new Set(rows.map(workerName)).size).toBe(1);
  expect(end).toMatch(/every point finished/);
}, 200_000);
