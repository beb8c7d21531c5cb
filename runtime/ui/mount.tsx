// Mounts the dashboard for a live run. The CLI passes `sink` to the trainer.
//
// Cost control (the dashboard may not slow training by more than 2%): `sink` only folds the event
// into the state, a few object copies, and marks it dirty; a timer re-renders at most `fps` times a
// second, however many batch events arrive in between. React never renders per event.

import { render } from 'ink';
import type { RunEvent } from '../events.ts';
import { Dashboard } from './Dashboard.tsx';
import { StopKeys } from './StopKeys.tsx';
import { initialState, reduce, requestStop, type DashboardState } from './state.ts';
import { colorEnabled } from './theme.ts';

export interface MountOptions {
  /** Called once, on the first `q` or Ctrl-C: the trainer finishes the batch, checkpoints and emits `end`. */
  onStop: () => void;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Redraws per second at most (default 8). */
  fps?: number;
  /** Environment for the NO_COLOR decision (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Called after each redraw; for tests and overhead measurements. */
  onFrame?: () => void;
}

export interface MountedDashboard {
  sink: (event: RunEvent) => void;
  /** Draws the final frame and unmounts; resolves once ink has let go of the terminal. */
  done: () => Promise<void>;
}

const DEFAULT_FPS = 8;

/** The run ended and no sweep point follows: a key press then has nothing to stop. */
function nothingLeftToStop(state: DashboardState): boolean {
  const sweepGoesOn = state.sweep !== null && !state.sweep.ended;
  return state.run?.end != null && !sweepGoesOn;
}

export function mountDashboard(opts: MountOptions): MountedDashboard {
  const stdout = opts.stdout ?? process.stdout;
  const stdin = opts.stdin ?? process.stdin;
  const fps = Math.max(1, opts.fps ?? DEFAULT_FPS);
  const color = colorEnabled(opts.env);

  let state: DashboardState = initialState;
  let dirty = false;
  let stopRequested = false;
  let finished = false;

  const stop = () => {
    if (stopRequested || finished || nothingLeftToStop(state)) return;
    stopRequested = true;
    state = requestStop(state);
    dirty = true;
    opts.onStop();
  };
  const view = () => (
    <>
      <Dashboard state={state} color={color} />
      <StopKeys onStop={stop} />
    </>
  );

  const instance = render(view(), {
    stdout,
    stdin,
    // Ctrl-C must stop the run cleanly (checkpoint first), not exit the process: StopKeys handles it.
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: fps,
  });
  const redraw = () => {
    dirty = false;
    instance.rerender(view());
    opts.onFrame?.();
  };
  const timer = setInterval(() => dirty && redraw(), Math.ceil(1000 / fps));
  timer.unref(); // never the reason the process stays alive
  const onResize = () => (dirty = true);
  stdout.on('resize', onResize);
  // Without raw mode (stdin not a terminal), Ctrl-C is a signal rather than a key.
  const onSigint = () => stop();
  process.on('SIGINT', onSigint);

  return {
    sink(event) {
      state = reduce(state, event);
      dirty = true;
    },
    async done() {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      stdout.off('resize', onResize);
      process.off('SIGINT', onSigint);
      redraw();
      instance.unmount();
      await instance.waitUntilExit();
    },
  };
}
