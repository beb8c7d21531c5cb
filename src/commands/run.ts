// emoc run FILE[#point]: train the experiment(s) a spec describes; --resume RUN continues one.

import * as fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { ExperimentIR } from '../../compiler/ir.ts';
import { BACKENDS, isOneOf } from '../../compiler/vocabulary.ts';
import type { BackendPreference } from '../../runtime/backend/select.ts';
import type { EventSink } from '../../runtime/events.ts';
import { withLimitFlags, limitOptions, type LimitFlags } from '../compile-flags.ts';
import { UserError } from '../errors.ts';
import { jsonPrinter, plainPrinter } from '../printers.ts';
import { selectPoints } from '../select.ts';

export interface RunFlags extends LimitFlags {
  backend: BackendPreference;
  threads?: number;
  json?: boolean;
  runs: string;
  resume?: string;
  epochs?: number;
  images?: number;
  limitPerClass?: number;
  cache: string;
  dashboard: boolean;
  queue?: string;
  detach?: boolean;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

export function backendChoice(value: string): BackendPreference {
  if (!isOneOf(BACKENDS, value)) throw new InvalidArgumentError(`expected one of ${BACKENDS.join(', ')}`);
  return value;
}

export function registerRun(program: Command): void {
  withLimitFlags(program.command('run'))
    .description('train the experiment(s) of a spec and write run artifacts under runs/')
    .argument('[file]', '.emo spec; FILE#point runs one sweep point')
    .option('--backend <name>', `tfjs backend: ${BACKENDS.join(', ')}`, backendChoice, 'auto')
    .option('--threads <n>', 'wasm threads (default: every core, or EMOC_WASM_THREADS)', positiveInt)
    .option('--json', 'print one JSON event per line')
    .option('--no-dashboard', 'plain progress lines even in a terminal')
    .option('--runs <dir>', 'where run folders go', 'runs')
    .option('--resume <run>', 'continue an interrupted run from its folder')
    .option('--epochs <n>', 'override the number of epochs', positiveInt)
    .option('--images <n>', 'override the number of built-in images', positiveInt)
    .option('--limit-per-class <n>', 'use at most N images per class per split (quick trials)', positiveInt)
    .option('--cache <dir>', 'cache folder: decoded data sets and backbone features', '.emoc/cache')
    .option('--queue <url>', 'enqueue the points on redis://... for emoc worker instead of training here (or EMOC_QUEUE)')
    .option('--detach', 'with --queue: print the sweep id and return without following')
    .addHelpText('after', '\nCtrl-C (or q in the dashboard) finishes the current batch, writes a checkpoint and exits 130.')
    .action(async (file: string | undefined, flags: RunFlags) => {
      let experiments: ExperimentIR[];
      let specText: string;
      if (flags.resume) {
        // Refused here, before the backend and the data load, when the folder cannot be resumed.
        const { openResumableRun } = await import('../../runtime/resume.ts');
        const run = openResumableRun(flags.resume);
        experiments = [run.ir];
        specText = run.specText;
      } else {
        if (!file) throw new UserError('missing spec file', 'usage: emoc run FILE[#point]', 2);
        const { compileOrExit } = await import('../compile-or-exit.ts');
        experiments = selectPoints(compileOrExit(file, limitOptions(flags)).experiments, file);
        specText = fs.readFileSync(file.replace(/#.*$/, ''), 'utf8');
      }
      experiments = experiments.map((ir) => applyOverrides(ir, flags));
      if (flags.queue !== undefined || (process.env.EMOC_QUEUE && !flags.resume)) {
        const { runQueued } = await import('../queued-run.ts');
        process.exitCode = await runQueued(experiments, specText, flags);
        return;
      }
      process.exitCode = await runAll(experiments, specText, flags, file);
    });
}

function applyOverrides(ir: ExperimentIR, flags: RunFlags): ExperimentIR {
  const out = structuredClone(ir);
  if (flags.epochs) out.train.epochs = flags.epochs;
  if (flags.images && out.data.source.kind === 'builtin') out.data.source.images = flags.images;
  return out;
}

/** Stop requests: the first Ctrl-C stops after the batch; a second one aborts at once. */
function stopControl(sink: () => EventSink) {
  let requested = false;
  const onSignal = () => {
    if (requested) {
      process.stderr.write('\naborted\n');
      process.exit(130);
    }
    requested = true;
    sink()({ type: 'log', level: 'warn', message: 'stopping after this batch and writing a checkpoint (Ctrl-C again aborts at once)' });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    request: () => {
      requested = true;
    },
    shouldStop: () => requested,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

async function runAll(experiments: ExperimentIR[], specText: string, flags: RunFlags, file: string | undefined): Promise<number> {
  const interactive = !!process.stdout.isTTY && !flags.json && flags.dashboard;
  let sink: EventSink = flags.json ? jsonPrinter() : plainPrinter();
  const stop = stopControl(() => sink);
  let ui: { sink: EventSink; done: () => Promise<void> } | null = null;
  if (interactive) {
    const { mountDashboard } = await import('../../runtime/ui/mount.tsx');
    ui = mountDashboard({ onStop: () => stop.request() });
    sink = ui.sink;
  }
  const { runExperiment } = await import('../../runtime/run.ts');
  const { runSweep } = await import('../../runtime/sweep.ts');
  try {
    const common = {
      specText,
      runsDir: flags.runs,
      backend: flags.backend,
      threads: flags.threads,
      sink,
      shouldStop: stop.shouldStop,
      limitPerClass: flags.limitPerClass,
      cacheDir: flags.cache,
    };
    let status: string;
    if (flags.resume) status = (await runExperiment({ ...common, ir: experiments[0], resume: flags.resume })).status;
    else if (experiments.length === 1 && !experiments[0].sweep) status = (await runExperiment({ ...common, ir: experiments[0] })).status;
    else status = await runSweep({ ...common, experiments, spec: file ?? '' });
    return status === 'interrupted' ? 130 : status === 'failed' ? 1 : 0;
  } finally {
    stop.dispose();
    await ui?.done();
  }
}
