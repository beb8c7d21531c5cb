// Entry of the batch prefetch worker (runtime/data/prefetch.ts). In the build (dist/, scripts/build.mjs)
// the worker is compiled JavaScript beside this file; in the sources, workers do not inherit the main
// thread's TypeScript loader, so register tsx here, then load the TypeScript worker.
import { existsSync } from 'node:fs';

const compiled = new URL('./prefetch-worker.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./prefetch-worker.ts');
}
