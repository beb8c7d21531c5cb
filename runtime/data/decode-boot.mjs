// Entry of the image decoding workers (decode-pool.ts). Workers do not inherit the main thread's
// TypeScript loader: run the compiled decode-worker.js when it sits beside this file (dist/), else
// register tsx and run the TypeScript source.
import { existsSync } from 'node:fs';

const compiled = new URL('./decode-worker.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./decode-worker.ts');
}
