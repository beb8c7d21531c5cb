// emoc explain FILE: a Keras-summary-like table per experiment, and the list of points for a sweep.

import type { Command } from 'commander';
import { withLimitFlags, limitOptions, type LimitFlags } from '../compile-flags.ts';
import { selectPoints } from '../select.ts';

export function registerExplain(program: Command): void {
  withLimitFlags(program.command('explain'))
    .description('print each layer with its output shape and parameter count; for a sweep, its points')
    .argument('<file>', '.emo spec file; FILE#point selects one sweep point')
    .action(async (file: string, opts: LimitFlags) => {
      // Loaded here, not at start: `emoc --version` and --help never construct the parser.
      const [{ compileOrExit }, { explain }] = await Promise.all([import('../compile-or-exit.ts'), import('../../compiler/explain.ts')]);
      const { experiments } = compileOrExit(file, limitOptions(opts));
      process.stdout.write(explain(selectPoints(experiments, file)));
    });
}
