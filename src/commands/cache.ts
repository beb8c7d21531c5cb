// emoc cache ls|clear: manage the feature cache of frozen backbones.

import type { Command } from 'commander';

export function registerCache(program: Command): void {
  const cache = program.command('cache').description('list or clear the backbone feature cache');
  cache
    .command('ls')
    .description('list cache entries')
    .option('--dir <dir>', 'cache folder', '.emoc/cache')
    .option('--json', 'print JSON')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const { listCache } = await import('../../runtime/cache/features.ts');
      const rows = await listCache(opts.dir);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stdout.write(`cache ${opts.dir} is empty\n`);
        return;
      }
      for (const r of rows) {
        const what = r.ok ? `${r.backbone} ${r.tap} ${r.preprocess} view=${r.view} ${r.n}x${r.width}${r.label ? ` ${r.label}` : ''}` : `BAD: ${r.problem}`;
        process.stdout.write(`${(r.bytes / 1024).toFixed(0).padStart(8)} KiB  ${what}  ${r.path}\n`);
      }
      const total = rows.reduce((a, r) => a + r.bytes, 0);
      process.stdout.write(`${rows.length} entries, ${(total / 2 ** 20).toFixed(1)} MiB\n`);
    });
  cache
    .command('clear')
    .description('delete cache entries (all, or those matching the filters)')
    .option('--dir <dir>', 'cache folder', '.emoc/cache')
    .option('--backbone <name>', 'only this backbone')
    .option('--tap <name>', 'only this tap')
    .action(async (opts: { dir: string; backbone?: string; tap?: string }) => {
      const { clearCache } = await import('../../runtime/cache/features.ts');
      const r = await clearCache(opts.dir, { backbone: opts.backbone, tap: opts.tap });
      process.stdout.write(`removed ${r.removed} entries (${(r.bytes / 2 ** 20).toFixed(1)} MiB)\n`);
    });
}
