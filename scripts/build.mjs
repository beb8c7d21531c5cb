#!/usr/bin/env node
// The build behind `npm install` (package.json "prepare"; also `npm run build`): compiled JavaScript in
// dist/, so `emoc` starts without transpiling TypeScript (bin/emoc.js falls back to the sources through
// tsx when dist/ is missing or stale; see scripts/dist-stamp.mjs).
//
// Layout: every .ts/.tsx under grammar/ compiler/ runtime/ src/ becomes one .js file at the same relative
// path (esbuild, one file per module, every import left external with .ts -> .js), and every other file
// there (wasm kernels, worker .mjs scripts) is copied beside it, so what the code finds through
// import.meta.url is where it expects it. Two things are made ahead of time because they dominate start-up:
//   - chevrotain (ESM, ~700 files with lodash-es) is bundled into dist/vendor/chevrotain.js;
//   - the IR's JSON Schema validator is generated with ajv standalone (compiler/schema.ts loads it).
// The new dist/ replaces the old one in one rename, so a reader never sees half a build.
//
//   node scripts/build.mjs          build into dist/
//   node scripts/build.mjs --check  exit 0 when dist/ is up to date, else 1 with the reason

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { STAMP_FILE, staleReason, stampEntry } from './dist-stamp.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(root, 'dist');
const SOURCE_DIRS = ['grammar', 'compiler', 'runtime', 'src'];
/** AssemblyScript sources of the wasm kernels: built into the .wasm files by scripts/build-wasm-kernels.ts. */
const SKIP_DIRS = new Set(['runtime/backend/wasm/assembly']);
/** Packages with many small ESM files that the front end loads at start: bundled into dist/vendor/. */
const VENDORED = ['chevrotain'];
/** Files besides the sources whose change changes the build. */
const BUILD_INPUTS = [
  'package.json',
  'tsconfig.json',
  'scripts/build.mjs',
  'scripts/dist-stamp.mjs',
  ...VENDORED.map((p) => `node_modules/${p}/package.json`),
];

if (process.argv.includes('--check')) {
  const why = staleReason(root, DIST);
  process.stdout.write(why ? `dist/ is stale: ${why}\n` : 'dist/ is up to date\n');
  process.exit(why ? 1 : 0);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // Installed without the build tool: emoc still runs, from the sources.
  process.stderr.write('emoc build: esbuild is not installed; emoc will run from the TypeScript sources\n');
  process.exit(0);
}

/** Every file under the source folders, relative to the root, in a stable order. */
function sourceFiles() {
  const out = [];
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(r)) walk(r);
      } else if (e.isFile()) out.push(r);
    }
  };
  for (const d of SOURCE_DIRS) walk(d);
  return out;
}

const isModule = (f) => /\.(ts|tsx)$/.test(f) && !f.endsWith('.d.ts');

/** A relative specifier from the output of `importerRel` to `targetRel` (both relative to dist/). */
function relativeSpecifier(importerRel, targetRel) {
  const rel = path.relative(path.dirname(importerRel), targetRel).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** esbuild plugin: each module stays its own file; relative .ts imports point at the .js outputs,
 * vendored packages at their bundle, every other package is imported from node_modules as usual. */
const oneFilePerModule = {
  name: 'one-file-per-module',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('.')) return { path: args.path.replace(/\.tsx?$/, '.js'), external: true };
      const pkg = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      if (VENDORED.includes(pkg) && args.path === pkg) {
        const importer = path.relative(root, args.importer);
        return { path: relativeSpecifier(importer, `vendor/${pkg}.js`), external: true };
      }
      return { path: args.path, external: true };
    });
  },
};

const started = performance.now();
const out = `${DIST}.tmp-${process.pid}`;
fs.rmSync(out, { recursive: true, force: true });
// esbuild has printed the errors with their locations; the stack trace would add nothing. The old dist/
// stays as it was (bin/emoc.js will see that it is stale and run the sources).
process.on('uncaughtException', (e) => {
  fs.rmSync(out, { recursive: true, force: true });
  process.stderr.write(`emoc build failed: ${e.message.split('\n')[0]}\n`);
  process.exit(1);
});
const files = sourceFiles();
const modules = files.filter(isModule);

await esbuild.build({
  absWorkingDir: root,
  entryPoints: modules.map((f) => path.join(root, f)),
  outbase: root,
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  tsconfig: path.join(root, 'tsconfig.json'),
  // Read by grammar/build-mode.ts: the build skips chevrotain's grammar checks (the tests run them).
  define: { 'process.env.EMOC_BUILD': JSON.stringify('dist') },
  plugins: [oneFilePerModule],
  logLevel: 'warning',
});

for (const pkg of VENDORED) {
  await esbuild.build({
    absWorkingDir: root,
    stdin: { contents: `export * from '${pkg}';`, resolveDir: root, loader: 'js' },
    outfile: path.join(out, 'vendor', `${pkg}.js`),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
}

// Declaration files (.d.ts) describe untyped packages to the type checker; nothing loads them.
for (const f of files.filter((f) => !isModule(f) && !f.endsWith('.d.ts'))) {
  fs.mkdirSync(path.dirname(path.join(out, f)), { recursive: true });
  fs.copyFileSync(path.join(root, f), path.join(out, f));
}

// The IR validator as code: the compiled schema module gives the schema and ajv's options (one source).
const schema = await import(pathToFileURL(path.join(out, 'compiler/schema.js')).href);
const require = createRequire(import.meta.url);
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;
const ajv = new Ajv({ ...schema.AJV_OPTIONS, code: { source: true } });
const validatorSource = standaloneCode(ajv, ajv.compile(schema.IR_SCHEMA));
await esbuild.build({
  absWorkingDir: root,
  stdin: { contents: validatorSource, resolveDir: root, loader: 'js' },
  outfile: path.join(out, 'compiler', schema.PRECOMPILED_VALIDATOR),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});

const inputs = [...files, ...BUILD_INPUTS].map((f) => stampEntry(root, f));
fs.writeFileSync(path.join(out, STAMP_FILE), `${JSON.stringify({ builtAt: new Date().toISOString(), inputs }, null, 1)}\n`);

// Swap in the new build: rename the old one away first (a rename cannot replace a non-empty folder).
const old = `${DIST}.old-${process.pid}`;
if (fs.existsSync(DIST)) fs.renameSync(DIST, old);
fs.renameSync(out, DIST);
fs.rmSync(old, { recursive: true, force: true });
process.stdout.write(`emoc build: ${modules.length} modules -> dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
