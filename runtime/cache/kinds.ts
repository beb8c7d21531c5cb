// The kinds of cache entry, in a module of their own so the CLI can name them without loading the cache.

export const CACHE_KINDS = ['data', 'features'] as const;
export type CacheKind = (typeof CACHE_KINDS)[number];
