// The dashboard rendered from recorded event streams (test/fixtures/events, made by
// make-fixtures.ts): assertions are on the frames a user would see.

import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { Dashboard } from '../runtime/ui/Dashboard.tsx';
import { estimateEtaMs, initialState, reduce, replay, requestStop, MAX_LOGS, type DashboardState } from '../runtime/ui/state.ts';
import { colorEnabled } from '../runtime/ui/theme.ts';
import type { RunEvent } from '../runtime/events.ts';
import { frameLines, loadEvents } from './ui-helpers.ts';

const finished = loadEvents('run-finished.jsonl');
const interrupted = loadEvents('run-interrupted.jsonl');
const sweep = loadEvents('sweep-4-points.jsonl');

function frame(state: DashboardState, width = 80, height = 24): string[] {
  const { lastFrame, unmount } = render(<Dashboard state={state} width={width} height={height} color={false} />);
  const lines = frameLines(lastFrame());
  unmount();
  return lines;
}

/** The events up to and including the n-th event matching `pick`. */
function until(events: RunEvent[], pick: (e: RunEvent) => boolean, n = 1): RunEvent[] {
  let seen = 0;
  const i = events.findIndex((e) => pick(e) && ++seen === n);
  return events.slice(0, i + 1);
}

const lineWith = (lines: string[], text: string) => lines.find((l) => l.includes(text)) ?? '';
/** The line that starts with `prefix` after an optional one-character marker (sweep rows: "★ lr-0.1"). */
const row = (lines: string[], prefix: string) => lines.find((l) => l.startsWith(prefix) || l.slice(2).startsWith(prefix)) ?? '';

describe('dashboard during a run', () => {
  // Epoch 2, batch 5 of 7: one epoch of history, the recall bars of epoch 1.
  const midRun = until(finished, (e) => e.type === 'batch' && e.epoch === 2 && e.batch === 5);
  const lines = frame(replay(midRun));
  const text = lines.join('\n');

  it('shows the header: experiment, data, backend, parameters', () => {
    expect(lines[0]).toMatch(/^emoc baseline\s+wasm ×2 · 121,543 params \(121,031 trainable\)$/);
    expect(text).toContain('data builtin:faces (280 images) · train 210 · val 70 · 2 skipped');
    expect(text).toContain('ang 30/10');
    expect(text).toContain('sur 30/10');
  });

  it('shows progress over batches with speed, ETA and elapsed time', () => {
    const progress = lineWith(lines, 'epoch 2/3');
    expect(progress).toContain('5/7');
    expect(progress).toContain('156 img/s');
    expect(progress).toMatch(/ETA \d+s/);
    expect(progress).toContain('elapsed 5s');
    expect(progress).toMatch(/█+░+/);
    expect(text).toContain('batch loss 1.406  acc 48.1%');
  });

  it('draws curves with the best epoch marked', () => {
    expect(row(lines, 'val acc ').trim()).toMatch(/^val acc\s+[▁-█]+\s+34\.3%\s+34\.3%$/);
    expect(text).toContain('▲ best epoch 1');
  });

  it('shows per-class validation recall of the latest epoch as bars', () => {
    expect(text).toContain('val recall (epoch 1)');
    expect(lineWith(lines, 'happy ')).toMatch(/happy\s+█+.*60\.0%/);
    expect(lineWith(lines, 'disgust ')).toContain('10.0%');
  });

  it('tells how to stop, and says so while stopping', () => {
    expect(lines[lines.length - 1]).toBe('q or Ctrl-C stop (a checkpoint is written)');
    const stopping = frame(requestStop(replay(midRun))).join('\n');
    expect(stopping).toContain('stopping: finishing the batch, then writing a checkpoint');
  });
});

describe('dashboard at the end of a run', () => {
  const lines = frame(replay(finished));
  const text = lines.join('\n');

  it('shows the outcome', () => {
    expect(text).toContain('■ finished · 3 epochs · best epoch 2 · val acc 50.0% · F1 0.484');
    expect(text).toContain('▲ best epoch 2');
  });

  it('shows the confusion matrix with counts and row percentages', () => {
    expect(text).toContain('rows: true class · count and row %');
    expect(lineWith(lines, 'true\\pred')).toMatch(/ang\s+dis\s+fea\s+hap\s+neu\s+sad\s+sur\s+recall/);
    // happy: 8 of 10 right, one each taken for neutral and sad.
    expect(lineWith(lines, 'happy ')).toMatch(/^happy\s+·\s+·\s+·\s+8\s+80%\s+1\s+10%\s+1\s+10%\s+·\s+█+/);
    expect(lineWith(lines, 'angry ')).toMatch(/^angry\s+5\s+50%\s+3\s+30%\s+2\s+20%/);
  });

  it('shows an interrupted run as interrupted, with how to resume', () => {
    const t = frame(replay(interrupted)).join('\n');
    expect(t).toContain('■ interrupted · 2 epochs · best epoch 2');
    expect(t).toContain('resume with emoc run --resume');
    expect(t).toContain('epoch 1–2 of 10');
    expect(t).not.toContain('q or Ctrl-C');
  });
});

describe('dashboard for a sweep', () => {
  it('shows queued and running points while the sweep goes', () => {
    // The first point trains 2 epochs of 7 batches; the 17th batch is the second point's third.
    const secondPoint = until(sweep, (e) => e.type === 'batch', 17);
    const lines = frame(replay(secondPoint));
    expect(lines[0]).toContain('emoc sweep lr-sweep · point 2/4 lr-0.001');
    expect(row(lines, 'lr-0.01 ')).toMatch(/★ lr-0\.01\s+done\s+51\.0%\s+40\.0%\s+0\.383/);
    expect(row(lines, 'lr-0.001 ')).toMatch(/▶ lr-0\.001\s+running/);
    expect(row(lines, 'lr-0.0001')).toMatch(/· lr-0\.0001\s+queued/);
    expect(row(lines, 'lr-0.1 ')).toMatch(/queued/);
    expect(lines.join('\n')).toContain('1/4 done');
  });

  it('marks the best point and the failed one at the end', () => {
    const lines = frame(replay(sweep));
    const text = lines.join('\n');
    expect(text).toContain('lr-sweep · 3/4 done · 1 failed · best ★ lr-0.001 · sweep ended');
    expect(row(lines, 'lr-0.001 ')).toMatch(/^★ lr-0\.001\s+done\s+51\.0%\s+50\.0%\s+0\.484$/);
    expect(row(lines, 'lr-0.1 ')).toMatch(/^✗ lr-0\.1\s+failed\s+–\s+–\s+–$/);
    expect(text).toContain('loss is NaN at epoch 1 batch 3');
  });
});

describe('dashboard size', () => {
  const streams = { finished, interrupted, sweep };
  for (const [name, events] of Object.entries(streams)) {
    it(`fits 80x24 at every step of the ${name} stream`, () => {
      let state = initialState;
      for (const [i, event] of events.entries()) {
        state = reduce(state, event);
        if (i % 3 !== 0 && i !== events.length - 1) continue; // every third frame keeps the test quick
        const lines = frame(state, 80, 24);
        const tooWide = lines.filter((l) => [...l].length > 80);
        expect(tooWide, `event ${i}`).toEqual([]);
        // Below the height: ink clears the whole screen (flicker) when output reaches it.
        expect(lines.length, `event ${i}`).toBeLessThan(24);
      }
    });
  }

  it('uses more space when there is more: line charts in a tall, wide terminal', () => {
    const lines = frame(replay(finished), 120, 50);
    expect(lines.length).toBeGreaterThan(30);
    expect(lines.length).toBeLessThan(50);
    expect(lines.every((l) => [...l].length <= 120)).toBe(true);
    expect(lineWith(lines, 'accuracy')).toContain('── val');
    expect(lines.join('\n')).toMatch(/[┤┼]/);
    expect(lines.join('\n')).toContain('train/val angry 30/10  disgust 30/10');
  });
});

describe('state', () => {
  it('estimates the time left from the time per batch so far', () => {
    const s = replay(until(finished, (e) => e.type === 'batch' && e.epoch === 2 && e.batch === 5));
    // 12 batches in 5100 ms; 2 + 7 batches left.
    expect(estimateEtaMs(s.run!)).toBeCloseTo((5100 / 12) * 9, 5);
    expect(estimateEtaMs(replay(finished).run!)).toBeNull();
  });

  it('keeps a bounded number of log lines', () => {
    let s = initialState;
    for (let i = 0; i < 100; i++) s = reduce(s, { type: 'log', level: 'info', message: `m${i}` });
    expect(s.logs).toHaveLength(MAX_LOGS);
    expect(s.logs[MAX_LOGS - 1].message).toBe('m99');
  });

  it('marks points finished in an earlier invocation', () => {
    const s = reduce(initialState, { type: 'sweep-start', sweep: 's', sweepDir: 'd', points: ['a', 'b'], done: ['a'] });
    expect(s.sweep!.points.map((p) => p.status)).toEqual(['done-before', 'queued']);
  });

  it('folds batch events cheaply (the 2% budget)', () => {
    const start = finished[0];
    let s = reduce(initialState, start);
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) {
      s = reduce(s, { type: 'batch', epoch: 1, batch: (i % 7) + 1, batches: 7, loss: 1, acc: 0.5, imagesPerSec: 150, elapsedMs: i });
    }
    const perEvent = (performance.now() - t0) / 100_000;
    // A batch takes tens of milliseconds at least; 2% of 10 ms is 200 µs.
    expect(perEvent).toBeLessThan(0.05);
  });
});

describe('NO_COLOR', () => {
  it('turns colour off when set and not empty (no-color.org)', () => {
    expect(colorEnabled({ NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({})).toBe(true);
  });
});
