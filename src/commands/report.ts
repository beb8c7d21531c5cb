// emoc report RUN|SWEEP: write report.html and report.md into the folder.

import type { Command } from 'commander';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write a self-contained report.html (and report.md) for a run or sweep folder')
    .argument('<dir>', 'run folder or sweep folder')
    .action(async (dir: string) => {
      // A missing or wrong folder is a typed error from the runtime (one line and a hint); anything else is a bug.
      const { writeReport } = await import('../../runtime/report/report.ts');
      const out = await writeReport(dir);
      process.stdout.write(`wrote ${out.html}\nwrote ${out.md}\n`);
    });
}
