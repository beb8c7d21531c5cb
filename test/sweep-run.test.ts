// A sweep over a frozen backbone's taps and head sizes: one run per point, features extracted once and
// then read from the cache (the backbone is not loaded again), results table, resume skipping done points.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import type { ExperimentIR } from '../compiler/ir.ts';
import type { RunEvent } from '../runtime/events.ts';
import { runSweep, type ResultRow } from '../runtime/sweep.ts';

const SPEC = `experiment grid {
  data { source builtin:faces; images 42; input 64x64x3 }
  backbone expression { tap $tap }
  head {
    default activation relu
    fc $hidden
    fc 7 | softmax
  }
  train { epochs 2; batch 8; seed 3 }
  sweep {
    tap in [avgpool, logits]
    hidden in [none, 16]
    name "{tap}-h{hidden}"
  }
}
`;

let dir: string;
let experiments: ExperimentIR[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-sweep-'));
  fs.writeFileSync(path.join(dir, 'grid.emo'), SPEC);
  const r = compile(path.join(dir, 'grid.emo'), { validate: true });
  expect(r.ok).toBe(true);
  experiments = r.experiments;
});

async function sweep(stopAfterPoints = Infinity) {
  const events: RunEvent[] = [];
  let points = 0;
  const status = await runSweep({
    experiments,
    spec: path.join(dir, 'grid.emo'),
    specText: SPEC,
    runsDir: path.join(dir, 'runs'),
    cacheDir: path.join(dir, 'cache'),
    backend: 'wasm',
    threads: 1,
    sink: (e) => {
      events.push(e);
      if (e.type === 'point-end') points++;
    },
    shouldStop: () => points >= stopAfterPoints,
  });
  return { status, events };
}

const logs = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.message] : []));

it('runs every point, reuses cached features, and resumes skipping finished points', async () => {
  expect(experiments.map((e) => e.sweep?.point)).toEqual(['avgpool-hnone', 'avgpool-h16', 'logits-hnone', 'logits-h16']);

  const first = await sweep(1);
  expect(first.status).toBe('interrupted');
  const backboneLogs = logs(first.events).filter((m) => m.startsWith('backbone expression'));
  expect(backboneLogs).toHaveLength(1);
  expect(backboneLogs[0]).toMatch(/ 0 cached views, [1-9]\d* extracted in/);

  const second = await sweep();
  expect(second.status).toBe('finished');
  const ends = second.events.filter((e) => e.type === 'point-end');
  expect(ends.map((e) => (e.type === 'point-end' ? e.status : ''))).toEqual(['skipped', 'finished', 'finished', 'finished']);
  const messages = logs(second.events).filter((m) => m.startsWith('backbone expression'));
  // The first point ran the network once for every standard tap; every later point, whichever tap it
  // uses, reads the cache without loading the network.
  expect(messages).toHaveLength(3);
  for (const m of messages) expect(m).toMatch(/ [1-9]\d* cached views, 0 extracted \(backbone not loaded/);

  const sweepDir = second.events.find((e) => e.type === 'sweep-start');
  if (!sweepDir || sweepDir.type !== 'sweep-start') throw new Error('no sweep-start');
  const rows = JSON.parse(fs.readFileSync(path.join(sweepDir.sweepDir, 'results.json'), 'utf8')) as ResultRow[];
  expect(rows.map((r) => r.point)).toEqual(['avgpool-hnone', 'avgpool-h16', 'logits-hnone', 'logits-h16']);
  expect(rows.every((r) => r.valAcc !== null && r.status === 'finished')).toBe(true);
  const best = rows.filter((r) => r.best);
  expect(best).toHaveLength(1);
  expect(best[0].valAcc).toBe(Math.max(...rows.map((r) => r.valAcc!)));
  expect(fs.readFileSync(path.join(sweepDir.sweepDir, 'results.md'), 'utf8')).toContain(`**${best[0].point}** (best)`);
}, 120_000);
