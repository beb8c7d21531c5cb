// emoc eval RUN DATA: score a finished run's model on a folder of class folders or a FER2013 CSV.

import { InvalidArgumentError, type Command } from 'commander';
import { positiveInt } from './run.ts';

const FORMATS = ['human', 'json'] as const;

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description("score a finished run's model on labelled data (class folders, a train/val/test folder, or a FER2013 CSV)")
    .argument('<run>', 'run folder, e.g. runs/s1/20261128-101500-ab12')
    .argument('<data>', 'folder of class folders, folder of train/ val/ test/ splits, or FER2013 CSV')
    .option('--split <name>', 'split of a folder of splits or a CSV: test, val or train (default: the folder itself, else test, else val)')
    .option(
      '--format <format>',
      'human or json',
      (v) => {
        if (!(FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected ${FORMATS.join(' or ')}`);
        return v;
      },
      'human',
    )
    .option('--limit-per-class <n>', 'use at most N images per class (quick checks)', positiveInt)
    .option('--backend <name>', 'tfjs backend (auto, wasm, cpu, ...)', 'auto')
    .option('--cache <dir>', 'cache folder: decoded data sets and backbone features', '.emoc/cache')
    .action(
      async (
        run: string,
        data: string,
        opts: { split?: string; format: string; backend: string; cache: string; limitPerClass?: number },
      ) => {
        const { evalRun, confusionTable } = await import('../../runtime/evaluate/eval.ts');
        // Bad paths, a non-run folder or empty data throw typed errors: one line and a hint, exit 1.
        const r = await evalRun(run, data, {
          split: opts.split,
          backend: opts.backend as never,
          cacheDir: opts.cache,
          limitPerClass: opts.limitPerClass,
        });
        if (opts.format === 'json') {
          process.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
        const missing = r.classes.filter((c) => !r.present.includes(c));
        const lines = [
          ...r.notes,
          `${r.data}: ${r.images} images${r.skipped ? ` (${r.skipped} unreadable skipped)` : ''}, test-time ${r.testAugment.kind === 'none' ? 'single view' : r.testAugment.kind}`,
          `accuracy ${pct(r.acc)}   macro-F1 ${r.f1.toFixed(3)}${missing.length ? ` (over the ${r.present.length} classes present; no images of ${missing.join(', ')})` : ''}   loss ${r.loss.toFixed(4)}`,
          `recall: ${r.classes.map((c, i) => `${c} ${r.recall[i] === null ? '-' : pct(r.recall[i]!)}`).join(', ')}`,
          confusionTable(r.classes, r.confusion),
          `written: ${r.dir}`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    );
}
