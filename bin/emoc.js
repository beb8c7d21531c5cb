#!/usr/bin/env node
// Entry point. Runs the compiled JavaScript in dist/ (made by `npm install`, see scripts/build.mjs) when it
// is the build of the sources as they are now; otherwise the TypeScript sources through tsx, so an edit
// takes effect without a rebuild (the dev loop, `npm test`). EMOC_DIST=0 always runs the sources;
// EMOC_DIST=1 insists on dist/ and fails with the reason when it is missing or stale.
// CommonJS (bin/package.json): node starts a CommonJS program ~10 ms sooner than an ES module, and the
// compiled front end is CommonJS too, so a command that needs no ES module never starts node's ESM loader.
'use strict';
const path = require('node:path');
const { readBuild } = require('../scripts/dist-stamp.cjs');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const mode = process.env.EMOC_DIST;
const { stale, stamp } = mode === '0' ? { stale: 'EMOC_DIST=0', stamp: null } : readBuild(root, dist);

if (!stale) {
  // The front end is one CommonJS file, compiled with a V8 code cache (scripts/code-cache.cjs).
  const { codeCacheFile, requireWithCodeCache } = require('../scripts/code-cache.cjs');
  const cache = process.env.EMOC_CODE_CACHE === '0' ? null : codeCacheFile(root, stamp.frontEnd.sha256, process.argv);
  const { main } = requireWithCodeCache(path.join(dist, stamp.frontEnd.file), cache);
  main(process.argv);
} else if (mode === '1') {
  process.stderr.write(`emoc: EMOC_DIST=1 but dist/ is not usable: ${stale}\n  hint: run npm run build\n`);
  process.exitCode = 2;
} else {
  // The project's tsconfig is named explicitly: run from another folder, tsx would not find it and the
  // dashboard's JSX would compile with the wrong runtime.
  process.env.TSX_TSCONFIG_PATH ??= path.join(root, 'tsconfig.json');
  (async () => {
    const { register } = await import('tsx/esm/api');
    register();
    const { main } = await import('../src/cli.ts');
    await main(process.argv);
  })();
}
