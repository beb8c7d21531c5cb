// emoc fmt [--check | --write] FILE...: the canonical layout, through the prettier plugin
// (compiler/format). Without a flag the formatted text goes to stdout; --check lists the files that
// would change and exits 1, like prettier --check; --write rewrites them.

import * as fs from 'node:fs';
import type { Command } from 'commander';
import { formatDiagnostics, useColor } from '../diagnostics-printer.ts';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../../runtime/artifacts/atomic.ts';

export function registerFmt(program: Command): void {
  program
    .command('fmt')
    .description('format specs in the canonical layout (also a prettier plugin: compiler/format/prettier-plugin.mjs)')
    .argument('[files...]', '.emo spec files')
    .option('--check', 'list the files that are not formatted; exit 1 if any')
    .option('--write', 'rewrite the files in place')
    .action(async (files: string[], opts: { check?: boolean; write?: boolean }) => {
      if (files.length === 0) program.error('error: missing spec file (usage: emoc fmt [--check | --write] FILE...)');
      if (opts.check && opts.write) program.error('error: --check and --write exclude each other');
      let unformatted = 0;
      let broken = 0;
      for (const file of files) {
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch {
          throw new UserError(`cannot read '${file}'`, 'check the path', 2);
        }
        // prettier loads only where something is formatted: loading it costs ~80 ms of CPU.
        const { formatEmo } = await import('../../compiler/format/format.ts');
        const result = await formatEmo(text, { filepath: file, useConfig: true });
        if (!result.ok) {
          broken++;
          process.stderr.write(formatDiagnostics(result.diagnostics, { color: useColor(process.stderr), texts: new Map([[file, text]]) }));
          continue;
        }
        const changed = result.text !== text;
        if (opts.check) {
          if (changed) {
            unformatted++;
            process.stdout.write(`${file}\n`);
          }
        } else if (opts.write) {
          if (changed) {
            writeFileAtomic(file, result.text);
            process.stdout.write(`${file}\n`);
          }
        } else process.stdout.write(result.text);
      }
      if (opts.check && unformatted)
        process.stderr.write(`${unformatted} file${unformatted === 1 ? '' : 's'} would be reformatted; run: emoc fmt --write\n`);
      if (broken)
        throw new UserError(
          `${broken} file${broken === 1 ? ' has' : 's have'} syntax errors and ${broken === 1 ? 'was' : 'were'} not formatted`,
          undefined,
          2,
        );
      process.exitCode = opts.check && unformatted ? 1 : 0;
    });
}
