// emoc check FILE...: diagnostics like a compiler; exit 1 on any error.

import type { Command } from 'commander';
import { CODES, hasErrors } from '../../compiler/diagnostics.ts';
import { withLimitFlags, limitOptions, type LimitFlags } from '../compile-flags.ts';
import { formatDiagnostics, useColor } from '../diagnostics-printer.ts';

export function registerCheck(program: Command): void {
  withLimitFlags(program.command('check'))
    .description('check specs and print diagnostics like a compiler')
    .argument('[files...]', '.emo spec files')
    .option('--json', 'print diagnostics as JSON')
    .option('--codes', 'list every diagnostic code and its meaning')
    .action(async (files: string[], opts: { json?: boolean; codes?: boolean } & LimitFlags) => {
      if (opts.codes) {
        for (const [code, meaning] of Object.entries(CODES)) process.stdout.write(`${code}  ${meaning}\n`);
        return;
      }
      if (files.length === 0) program.error('error: missing spec file (usage: emoc check FILE...)');
      // Loaded here, not at start: `emoc --version` and --help never construct the parser.
      const { compile } = await import('../../compiler/compile.ts');
      let failed = false;
      const all = [];
      for (const file of files) {
        const result = compile(file, { ...limitOptions(opts), keepIRs: false });
        all.push(...result.diagnostics);
        failed ||= hasErrors(result.diagnostics);
        if (!opts.json) {
          const text = formatDiagnostics(result.diagnostics, { color: useColor(process.stderr), texts: result.program.texts });
          if (text) process.stderr.write(text);
          else process.stdout.write(`${file}: ok (${result.count} experiment${result.count === 1 ? '' : 's'})\n`);
        }
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      process.exitCode = failed ? 1 : 0;
    });
}
