#!/usr/bin/env node
// Entry point. Runs the compiled JavaScript in dist/ (made by `npm install`, see scripts/build.mjs) when it
// is the build of the sources as they are now; otherwise the TypeScript sources through tsx, so an edit
// takes effect without a rebuild (the dev loop, `npm test`). EMOC_DIST=0 always runs the sources;
// EMOC_DIST=1 insists on dist/ and fails with the reason when it is missing or stale.
import { fileURLToPath } from 'node:url';
import { readBuild } from '../scripts/dist-stamp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = fileURLToPath(new URL('../dist', import.meta.url));
const mode = process.env.EMOC_DIST;
const { stale, stamp } = mode === '0' ? { stale: 'EMOC_DIST=0', stamp: null } : readBuild(root, dist);

if (!stale) {
  // The front end is one CommonJS file, compiled with a V8 code cache (scripts/code-cache.mjs).
  const { codeCacheFile, requireWithCodeCache } = await import('../scripts/code-cache.mjs');
  const cache = process.env.EMOC_CODE_CACHE === '0' ? null : codeCacheFile(root, stamp.frontEnd.sha256, process.argv);
  const { main } = requireWithCodeCache(`${dist}/${stamp.frontEnd.file}`, cache);
  await main(process.argv);
} else if (mode === '1') {
  process.stderr.write(`emoc: EMOC_DIST=1 but dist/ is not usable: ${stale}\n  hint: run npm run build\n`);
  process.exitCode = 2;
} else {
  // The project's tsconfig is named explicitly: run from another folder, tsx would not find it and the
  // dashboard's JSX would compile with the wrong runtime.
  process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('../tsconfig.json', import.meta.url));
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli.ts');
  await main(process.argv);
}
