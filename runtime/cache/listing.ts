// What `emoc cache ls` and `emoc cache clear` see: both kinds of entry under one cache folder, the
// backbone feature matrices (features.ts) and the decoded data sets (decoded.ts).

import { rm, stat } from 'node:fs/promises';
import { clearCache, listCache, STALE_TEMP_MS, type CacheListing } from './features.ts';
import { listDecoded, type DecodedMeta } from './decoded.ts';
import type { CacheKind } from './kinds.ts';

export type CacheRow =
  | ({ kind: 'features' } & CacheListing)
  | ({ kind: 'data'; path: string; bytes: number; ok: boolean; problem?: string } & Partial<DecodedMeta>);

/** Every entry (and leftover temp file) under `root`: decoded data sets first, then features. */
export async function listAllCache(root: string): Promise<CacheRow[]> {
  const data = (await listDecoded(root)).map((r): CacheRow => ({
    kind: 'data',
    path: r.path,
    bytes: r.bytes,
    ok: r.ok,
    problem: r.problem,
    ...r.meta,
  }));
  const features = (await listCache(root)).map((r): CacheRow => ({ kind: 'features', ...r }));
  return [...data, ...features];
}

export interface ClearAllFilter {
  kind?: CacheKind;
  /** Feature entries of this backbone only (decoded data sets have no backbone: left alone). */
  backbone?: string;
  /** Feature entries of this tap only. */
  tap?: string;
}

/** Removes the matching entries; temp files only once they are stale (another process may be writing). */
export async function clearAllCache(root: string, filter: ClearAllFilter = {}): Promise<{ removed: number; bytes: number }> {
  let removed = 0;
  let bytes = 0;
  const featureFilter = filter.backbone !== undefined || filter.tap !== undefined;
  if ((filter.kind ?? 'data') === 'data' && !featureFilter) {
    for (const row of await listDecoded(root)) {
      if (row.path.endsWith('.tmp') && Date.now() - (await stat(row.path)).mtimeMs < STALE_TEMP_MS) continue;
      await rm(row.path, { force: true });
      removed++;
      bytes += row.bytes;
    }
  }
  if ((filter.kind ?? 'features') === 'features') {
    const r = await clearCache(root, { backbone: filter.backbone, tap: filter.tap });
    removed += r.removed;
    bytes += r.bytes;
  }
  return { removed, bytes };
}
