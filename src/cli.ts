// The emoc command line: wires the front end, the runtime and the UI together. Commands live in
// src/commands/, one file each. User mistakes end as one clear line and a non-zero exit, never a stack trace.

import { Command, CommanderError } from 'commander';
import { registerCheck } from './commands/check.ts';
import { registerCompile } from './commands/compile.ts';
import { registerExplain } from './commands/explain.ts';
import { registerRun } from './commands/run.ts';
import { registerPredict } from './commands/predict.ts';
import { registerEval } from './commands/eval.ts';
import { registerResults } from './commands/results.ts';
import { registerReport } from './commands/report.ts';
import { registerCache } from './commands/cache.ts';
import { registerFmt } from './commands/fmt.ts';
import { registerLint } from './commands/lint.ts';
import { registerDiff } from './commands/diff.ts';
import { registerPreview } from './commands/preview.ts';
import { registerWorker } from './commands/worker.ts';
import { registerQueue } from './commands/queue.ts';
import { reportFailure } from './errors.ts';
import { emocVersion } from '../runtime/version.ts';

/** Runs the command line `argv` (node's, so the command starts at argv[2]) and exits with its code.
 * A function, not top-level code: bin/emoc.js calls it on the compiled build (CommonJS, see
 * scripts/build.mjs) or on these sources, and the build cannot hold a top-level await. */
export async function main(argv: string[] = process.argv): Promise<void> {
  // A reader that stops early (`emoc run --help | head`) closes the pipe: that ends the output, and is no
  // failure of the command to print a stack for. Other stream errors stay errors.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
  const program = new Command();
  program
    .name('emoc')
    .description('emoc: compile, check and run .emo facial-emotion-recognition experiments')
    .version(emocVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  registerCheck(program);
  registerCompile(program);
  registerExplain(program);
  registerRun(program);
  registerPredict(program);
  registerEval(program);
  registerResults(program);
  registerReport(program);
  registerCache(program);
  registerFmt(program);
  registerLint(program);
  registerDiff(program);
  registerPreview(program);
  registerWorker(program);
  registerQueue(program);

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
    } else {
      // Typed errors (runtime kinds, UserError) print one line and a hint; anything else is a bug in emoc (70).
      const { text, exitCode } = reportFailure(e);
      process.stderr.write(text);
      process.exitCode = exitCode;
    }
  }

  // The wasm backend's worker threads keep the event loop alive; leave once the command is done.
  process.stdout.write('', () => process.exit(process.exitCode ?? 0));
}
