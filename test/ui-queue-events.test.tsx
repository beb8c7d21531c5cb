// The queue follower's job events mapped into the dashboard's event stream: the sweep table a user sees
// while workers run the points (status, worker and epoch, then the final metrics or the failure).

import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { Dashboard } from '../runtime/ui/Dashboard.tsx';
import { replay, type DashboardState } from '../runtime/ui/state.ts';
import { queueEventMapper } from '../runtime/ui/queue-events.ts';
import type { FollowEvent } from '../runtime/queue/submit.ts';
import type { PointResult } from '../runtime/queue/worker.ts';
import type { RunEvent } from '../runtime/events.ts';
import { frameLines } from './ui-helpers.ts';

const split = (acc: number, f1: number) => ({ loss: 1, acc, f1, recall: [acc, acc] });
function result(worker: string, valAcc: number, trainAcc: number, f1: number): PointResult {
  return {
    worker,
    runDir: `/runs/${worker}`,
    metrics: [],
    summary: {
      experiment: 'grid',
      point: 'x',
      runId: 'r',
      status: 'finished',
      bestEpoch: 2,
      epochsRun: 2,
      train: split(trainAcc, f1),
      val: split(valAcc, f1),
      classes: ['a', 'b'],
      confusion: [
        [1, 0],
        [0, 1],
      ],
      elapsedMs: 1000,
      backend: { name: 'wasm', threads: 1 },
      startedAt: '',
      finishedAt: '',
    },
  };
}

const points = [
  { jobId: 'j1', point: 'lr-0.1' },
  { jobId: 'j2', point: 'lr-0.01' },
  { jobId: 'j3', point: 'lr-0.001' },
];

function frame(state: DashboardState): string[] {
  const { lastFrame, unmount } = render(<Dashboard state={state} width={100} height={30} color={false} />);
  const lines = frameLines(lastFrame());
  unmount();
  return lines;
}
const row = (lines: string[], point: string) => lines.find((l) => l.slice(2).startsWith(`${point} `)) ?? '';

function run(events: FollowEvent[]): DashboardState {
  const m = queueEventMapper('grid', 'redis://host:6379', points);
  const stream: RunEvent[] = [m.start(), ...events.flatMap((e) => m.map(e))];
  return replay(stream);
}

describe('a queued sweep on the dashboard', () => {
  const midway: FollowEvent[] = [
    { kind: 'active', jobId: 'j1' },
    { kind: 'progress', jobId: 'j1', progress: { worker: 'box-a:11', epoch: 1, epochs: 2, valAcc: 0.4 } },
    { kind: 'active', jobId: 'j2' },
    { kind: 'progress', jobId: 'j2', progress: { worker: 'box-b:22', epoch: 1, epochs: 2, valAcc: 0.3 } },
    { kind: 'completed', jobId: 'j1', result: result('box-a:11', 0.5, 0.625, 0.45) },
    { kind: 'progress', jobId: 'nobody', progress: { worker: 'x', epoch: 1, epochs: 1, valAcc: 0.9 } },
  ];

  it('shows each point with its status, worker and epoch while the workers run', () => {
    const lines = frame(run(midway));
    expect(lines.find((l) => l.startsWith('sweep grid'))).toContain('1/3 done');
    expect(row(lines, 'lr-0.1')).toMatch(/lr-0\.1\s+done\s+62\.5%\s+50\.0%\s+0\.450\s+box-a:11$/);
    expect(row(lines, 'lr-0.01')).toMatch(/lr-0\.01\s+epoch 1\/2\s/);
    expect(row(lines, 'lr-0.01')).toContain('box-b:22 · val 30.0%');
    expect(row(lines, 'lr-0.001')).toMatch(/lr-0\.001\s+queued/);
    expect(lines.join('\n')).toContain('worker');
    expect(lines[1]).toBe('points run by queue workers · redis://host:6379');
    expect(lines[lines.length - 1]).toBe('q or Ctrl-C stop following (the workers carry on)');
  });

  it('a point handed back to the queue waits again, then a failure is shown with its reason', () => {
    const state = run([
      ...midway,
      { kind: 'waiting', jobId: 'j2' },
      { kind: 'failed', jobId: 'j3', reason: 'no data at /data/fer on worker box-c:33' },
    ]);
    const lines = frame(state);
    expect(row(lines, 'lr-0.01')).toMatch(/lr-0\.01\s+queued/);
    expect(row(lines, 'lr-0.01')).not.toContain('box-b');
    expect(row(lines, 'lr-0.001')).toMatch(/lr-0\.001\s+failed/);
    expect(lines.find((l) => l.startsWith('sweep grid'))).toContain('1 failed');
    expect(lines.join('\n')).toContain('lr-0.001: no data at /data/fer on worker box-c:33');
  });

  it('ends with every point finished, the best one starred', () => {
    const m = queueEventMapper('grid', 'redis://host:6379', points);
    const done: FollowEvent[] = [
      { kind: 'completed', jobId: 'j1', result: result('box-a:11', 0.5, 0.6, 0.45) },
      { kind: 'completed', jobId: 'j2', result: result('box-b:22', 0.75, 0.8, 0.7) },
      { kind: 'completed', jobId: 'j3', result: result('box-a:11', 0.25, 0.3, 0.2) },
    ];
    const state = replay([m.start(), ...done.flatMap((e) => m.map(e)), m.end()]);
    expect(state.sweep?.points.map((p) => p.status)).toEqual(['finished', 'finished', 'finished']);
    expect(state.sweep?.bestPoint).toBe('lr-0.01');
    const lines = frame(state);
    const title = lines.find((l) => l.startsWith('sweep grid')) ?? '';
    expect(title).toContain('3/3 done');
    expect(title).toContain('★ lr-0.01');
    expect(title).toContain('sweep ended');
    expect(lines[lines.length - 1]).toBe('sweep ended');
    expect(lines.find((l) => l.startsWith('★ lr-0.01'))).toMatch(/done\s+80\.0%\s+75\.0%\s+0\.700\s+box-b:22$/);
  });
});
