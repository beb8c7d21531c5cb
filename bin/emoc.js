#!/usr/bin/env node
// Entry point. Runs the compiled JavaScript in dist/ (made by `npm install`, see scripts/build.mjs) when it
// is the build of the sources as they are now; otherwise the TypeScript sources through tsx, so an edit
// takes effect without a rebuild (the dev loop, `npm test`). EMOC_DIST=0 always runs the sources;
// EMOC_DIST=1 insists on dist/ and fails with the reason when it is missing or stale.
import { fileURLToPath } from 'node:url';
import { staleReason } from '../scripts/dist-stamp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const mode = process.env.EMOC_DIST;
const stale = mode === '0' ? 'EMOC_DIST=0' : staleReason(root, fileURLToPath(new URL('../dist', import.meta.url)));

if (!stale) {
  await import('../dist/src/cli.js');
} else if (mode === '1') {
  process.stderr.write(`emoc: EMOC_DIST=1 but dist/ is not usable: ${stale}\n  hint: run npm run build\n`);
  process.exitCode = 2;
} else {
  // The project's tsconfig is named explicitly: run from another folder, tsx would not find it and the
  // dashboard's JSX would compile with the wrong runtime.
  process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('../tsconfig.json', import.meta.url));
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
