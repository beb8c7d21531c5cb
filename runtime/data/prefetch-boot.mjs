// Entry of the batch prefetch worker (runtime/data/prefetch.ts): workers do not inherit the main
// thread's TypeScript loader, so register tsx here, then load the TypeScript worker.
const { register } = await import('tsx/esm/api');
register();
await import('./prefetch-worker.ts');
