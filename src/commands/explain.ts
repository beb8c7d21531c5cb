// emoc explain FILE: a Keras-summary-like table per experiment, and the list of points for a sweep.

import type { Command } from 'commander';
import { EXPLAIN_POINTS } from '../../compiler/limits.ts';
import { withLimitFlags, limitOptions, type LimitFlags } from '../compile-flags.ts';
import { selectPoints } from '../select.ts';

export function registerExplain(program: Command): void {
  withLimitFlags(program.command('explain'))
    .description('print each layer with its output shape and parameter count; for a sweep, its points')
    .argument('<file>', '.emo spec file; FILE#point selects one sweep point')
    .action(async (file: string, opts: LimitFlags) => {
      // Loaded here, not at start: `emoc --version` and --help never construct the parser.
      const [{ compileOrExit }, { explain }] = await Promise.all([import('../compile-or-exit.ts'), import('../../compiler/explain.ts')]);
      // A whole sweep is listed by its first points, so only their IRs are kept; FILE#point may name any.
      const whole = !file.includes('#');
      const { experiments, sweepSizes } = compileOrExit(file, { ...limitOptions(opts), ...(whole ? { keepPoints: EXPLAIN_POINTS } : {}) });
      process.stdout.write(whole ? explain(experiments, sweepSizes) : explain(selectPoints(experiments, file)));
    });
}
