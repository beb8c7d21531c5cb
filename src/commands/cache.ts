// emoc cache ls|clear: manage the cache folder: decoded data sets (so a second run on the same images
// skips decoding) and frozen backbones' features.

import type { Command } from 'commander';
import { CACHE_KINDS as KINDS, type CacheKind } from '../../runtime/cache/kinds.ts';
import { UserError } from '../errors.ts';

function kindOption(kind: string | undefined): CacheKind | undefined {
  if (kind === undefined) return undefined;
  const k = KINDS.find((x) => x === kind);
  if (!k) throw new UserError(`--kind must be ${KINDS.join(' or ')}, not '${kind}'`, `e.g. emoc cache clear --kind data`);
  return k;
}

export function registerCache(program: Command): void {
  const cache = program.command('cache').description('list or clear the cache of decoded data sets and backbone features');
  cache
    .command('ls')
    .description('list cache entries')
    .option('--dir <dir>', 'cache folder', '.emoc/cache')
    .option('--json', 'print JSON')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const { listAllCache } = await import('../../runtime/cache/listing.ts');
      const rows = await listAllCache(opts.dir);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stdout.write(`cache ${opts.dir} is empty\n`);
        return;
      }
      for (const r of rows) {
        let what: string;
        if (!r.ok) what = `BAD: ${r.problem}`;
        else if (r.kind === 'data')
          what = `${r.images} images ${r.size?.join('x')}${r.failed ? ` (${r.failed} unreadable)` : ''} from ${r.source}`;
        else what = `${r.backbone} ${r.tap} ${r.preprocess} view=${r.view} ${r.n}x${r.width}${r.label ? ` ${r.label}` : ''}`;
        process.stdout.write(`${r.kind.padEnd(8)} ${(r.bytes / 1024).toFixed(0).padStart(8)} KiB  ${what}  ${r.path}\n`);
      }
      const total = rows.reduce((a, r) => a + r.bytes, 0);
      process.stdout.write(`${rows.length} entries, ${(total / 2 ** 20).toFixed(1)} MiB\n`);
    });
  cache
    .command('clear')
    .description('delete cache entries (all, or those matching the filters)')
    .option('--dir <dir>', 'cache folder', '.emoc/cache')
    .option('--kind <kind>', `only this kind of entry (${KINDS.join(' or ')})`)
    .option('--backbone <name>', 'only feature entries of this backbone')
    .option('--tap <name>', 'only feature entries of this tap')
    .action(async (opts: { dir: string; kind?: string; backbone?: string; tap?: string }) => {
      const kind = kindOption(opts.kind);
      const { clearAllCache } = await import('../../runtime/cache/listing.ts');
      const r = await clearAllCache(opts.dir, { kind, backbone: opts.backbone, tap: opts.tap });
      process.stdout.write(`removed ${r.removed} entries (${(r.bytes / 2 ** 20).toFixed(1)} MiB)\n`);
    });
}
