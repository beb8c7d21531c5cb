// mountDashboard: bounded redraw rate, `q` and Ctrl-C stop once, done() draws the final frame.

import { afterEach, describe, expect, it } from 'vitest';
import { mountDashboard } from '../runtime/ui/mount.tsx';
import { FakeStdin, FakeStdout, loadEvents, stripAnsi } from './ui-helpers.ts';

const finished = loadEvents('run-finished.jsonl');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function mount(fps = 8) {
  const stdout = new FakeStdout(80, 24);
  const stdin = new FakeStdin();
  let stops = 0;
  let frames = 0;
  const dashboard = mountDashboard({
    onStop: () => stops++,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    fps,
    onFrame: () => frames++,
  });
  return { dashboard, stdout, stdin, stops: () => stops, frames: () => frames };
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('mountDashboard', () => {
  it('redraws at a bounded rate however many events arrive', async () => {
    const m = mount(8);
    cleanup = m.dashboard.done;
    const start = finished[0];
    m.dashboard.sink(start);
    const t0 = Date.now();
    let batch = 0;
    // At least 500 ms and 6,000 events, however slow the machine: the bound below is relative to the time taken.
    while (Date.now() - t0 < 500 || batch < 6000) {
      for (let i = 0; i < 200; i++) {
        batch++;
        m.dashboard.sink({
          type: 'batch',
          epoch: 1,
          batch: (batch % 7) + 1,
          batches: 7,
          loss: 1,
          acc: 0.5,
          imagesPerSec: 150,
          elapsedMs: batch,
        });
      }
      await sleep(5);
    }
    const elapsed = Date.now() - t0;
    // 8 fps over the elapsed time, plus one frame of slack for timer phase.
    expect(m.frames()).toBeLessThanOrEqual(Math.ceil((elapsed / 1000) * 8) + 1);
    expect(m.frames()).toBeGreaterThan(0);
  });

  it('calls onStop once for q, again-q and Ctrl-C, and shows the run stopping', async () => {
    const m = mount();
    for (const e of finished.slice(0, 10)) m.dashboard.sink(e);
    await sleep(50);
    m.stdin.type('q');
    m.stdin.type('q');
    m.stdin.type('\u0003');
    await sleep(200);
    expect(m.stops()).toBe(1);
    // The trainer then finishes the batch and emits `end`.
    m.dashboard.sink({ ...(finished[finished.length - 1] as any), status: 'interrupted', message: 'stopped by user' });
    await m.dashboard.done();
    const output = stripAnsi(m.stdout.writes.join(''));
    expect(output).toContain('■ interrupted');
  });

  it('stops on Ctrl-C too, and draws the final frame on done()', async () => {
    const m = mount();
    for (const e of finished) m.dashboard.sink(e);
    m.stdin.type('\u0003');
    await sleep(50);
    await m.dashboard.done();
    await m.dashboard.done(); // idempotent
    expect(m.stops()).toBe(0); // the run had already ended: nothing to stop
    const output = stripAnsi(m.stdout.writes.join(''));
    expect(output).toContain('■ finished · 3 epochs · best epoch 2');
    expect(output).toContain('happy');
  });

  it('Ctrl-C while running calls onStop', async () => {
    const m = mount();
    cleanup = m.dashboard.done;
    for (const e of finished.slice(0, 5)) m.dashboard.sink(e);
    await sleep(20);
    m.stdin.type('\u0003');
    await sleep(50);
    expect(m.stops()).toBe(1);
  });
});
