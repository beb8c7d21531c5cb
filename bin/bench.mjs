#!/usr/bin/env node
// `npm run bench`: see bench/index.ts. An ES module (.mjs): bin/ is CommonJS (bin/package.json) for emoc's start.
import { fileURLToPath } from 'node:url';
process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('../tsconfig.json', import.meta.url));
const { register } = await import('tsx/esm/api');
register();
await import('../bench/index.ts');
process.exit(0);
