// emoc compile FILE [--json]: print the IR (validated against the schema).

import type { Command } from 'commander';
import { withLimitFlags, limitOptions, type LimitFlags } from '../compile-flags.ts';
import { selectPoints } from '../select.ts';

export function registerCompile(program: Command): void {
  withLimitFlags(program.command('compile'))
    .description('print the typed IR of a spec (every default explicit), validated against its JSON Schema')
    .argument('<file>', '.emo spec file; FILE#point selects one sweep point')
    .option('--json', 'print JSON (the default; kept for scripts that pass it)')
    .option('--schema', 'print the IR JSON Schema instead')
    .action(async (file: string, opts: { schema?: boolean } & LimitFlags) => {
      if (opts.schema) {
        const { IR_SCHEMA } = await import('../../compiler/schema.ts');
        process.stdout.write(`${JSON.stringify(IR_SCHEMA, null, 2)}\n`);
        return;
      }
      // Loaded here, not at start: `emoc --version` and --help never construct the parser.
      const { compileOrExit } = await import('../compile-or-exit.ts');
      const { experiments } = compileOrExit(file, limitOptions(opts));
      const selected = selectPoints(experiments, file);
      process.stdout.write(`${JSON.stringify(selected.length === 1 ? selected[0] : selected, null, 2)}\n`);
    });
}
