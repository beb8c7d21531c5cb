// emoc worker --queue URL: take sweep points from a BullMQ queue on Redis and train them (runtime/queue/).

import type { Command } from 'commander';
import { BACKENDS } from '../../compiler/vocabulary.ts';
import type { BackendPreference } from '../../runtime/backend/select.ts';
import { backendChoice, positiveInt } from './run.ts';

interface WorkerFlags {
  queue?: string;
  concurrency: number;
  runs: string;
  cache: string;
  backend: BackendPreference;
  threads?: number;
  lockMs?: number;
  stalledMs?: number;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('take sweep points from a queue (emoc run --queue) and train them until stopped')
    .option('--queue <url>', 'redis://[user:pass@]host:port[/db] or rediss://; default EMOC_QUEUE (prefer it: argv is visible to ps)')
    .option('--concurrency <n>', 'points trained at once', positiveInt, 1)
    .option('--runs <dir>', "where run folders go (share it between workers to resume a lost worker's point)", 'runs')
    .option('--cache <dir>', 'cache folder: decoded data sets and backbone features', '.emoc/cache')
    .option('--backend <name>', `tfjs backend: ${BACKENDS.join(', ')}`, backendChoice, 'auto')
    .option('--threads <n>', 'wasm threads', positiveInt)
    .option('--lock-ms <n>', "how long a point's lock lasts without renewal before it counts as stalled (default 30000)", positiveInt)
    .option('--stalled-ms <n>', 'how often to look for stalled points (default 30000)', positiveInt)
    .addHelpText('after', '\nSIGTERM or Ctrl-C: the current point finishes its batch, writes a checkpoint and goes back to the queue.')
    .action(async (flags: WorkerFlags) => {
      const { queueUrl, redacted, hideArgvPassword } = await import('../../runtime/queue/connection.ts');
      hideArgvPassword();
      const url = queueUrl(flags.queue);
      const { startWorker } = await import('../../runtime/queue/worker.ts');
      const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
      const w = await startWorker({
        url,
        concurrency: flags.concurrency,
        runsDir: flags.runs,
        cacheDir: flags.cache,
        backend: flags.backend,
        threads: flags.threads,
        log,
        lockDuration: flags.lockMs,
        stalledInterval: flags.stalledMs,
      });
      log(`worker ready on ${redacted(url)}, concurrency ${flags.concurrency}, runs in ${flags.runs}`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          log('stopping: current points checkpoint and go back to the queue');
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          void w.close().then(resolve, resolve);
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
      log('worker stopped');
    });
}
