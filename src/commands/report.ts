// emoc report RUN|SWEEP: write report.html and report.md into the folder.

import * as fs from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write a self-contained report.html (and report.md) for a run or sweep folder')
    .argument('<dir>', 'run folder or sweep folder')
    .action(async (dir: string) => {
      if (!fs.existsSync(dir)) throw new UserError(`no such folder: ${dir}`, 'pass a folder under runs/');
      const { writeReport } = await import('../../runtime/report/report.ts');
      try {
        const out = await writeReport(dir);
        process.stdout.write(`wrote ${out.html}\nwrote ${out.md}\n`);
      } catch (e) {
        throw new UserError(`cannot write a report for ${dir}: ${(e as Error).message}`, 'pass a run folder (with summary.json) or a sweep folder (with sweep.json)');
      }
    });
}
