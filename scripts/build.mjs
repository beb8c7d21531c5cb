// The build behind `npm install` (package.json "prepare"; also `npm run build`): compiled JavaScript in
// dist/, so `emoc` starts without transpiling TypeScript (bin/emoc.js falls back to the sources through
// tsx when dist/ is missing or stale; see scripts/dist-stamp.cjs).
//
// Two parts, because what matters differs:
//   - The front end (everything `emoc` loads at start: the CLI, its commands, compiler/, grammar/, and the
//     few runtime modules they import statically) is bundled from src/cli.ts with code splitting: one
//     entry file and a handful of chunks in dist/chunks/ (a command's own code, the parser with chevrotain,
//     loaded by the command that needs it) instead of ~80 small modules, each of which node has to resolve,
//     read and compile at every start. Packages stay in node_modules, except chevrotain and commander
//     (many small files, or CommonJS that node loads through its slower CommonJS path).
//   - Everything else (the runtime: TensorFlow.js, training, data, the dashboard, reached from the front
//     end only through import()) is one .js file per module at the same relative path, with every non-.ts
//     file (wasm kernels, worker .mjs scripts) copied beside it, so what the code finds through
//     import.meta.url is where it expects it.
// A runtime module that imports a front-end module (ir.ts, errors.ts, ...) must get the bundle's instance of
// it, not a second copy (errors are matched with instanceof): each such front-end module is also an entry of
// the bundle, written at its own path (dist/src/errors.js), where it re-exports the bundle's code.
// The IR's JSON Schema validator is generated ahead of time with ajv standalone (compiler/schema.ts loads it).
// The new dist/ replaces the old one in one rename, so a reader never sees half a build.
//
//   node scripts/build.mjs          build into dist/
//   node scripts/build.mjs --check  exit 0 when dist/ is up to date, else 1 with the reason

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { STAMP_FILE, staleReason, stampEntry } from './dist-stamp.cjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(root, 'dist');
const SOURCE_DIRS = ['grammar', 'compiler', 'runtime', 'src'];
/** AssemblyScript sources of the wasm kernels: built into the .wasm files by scripts/build-wasm-kernels.ts. */
const SKIP_DIRS = new Set(['runtime/backend/wasm/assembly']);
/** The front end's entry: what bin/emoc.js imports. */
const CLI_ENTRY = 'src/cli.ts';
/** The front end's bundle, in dist/ (bin/emoc.js loads it; the stamp records its hash). */
const FRONT_END_FILE = 'emoc.cjs';
/** The global registry through which the rest reaches the bundle's modules (Symbol.for key). */
const FRONT_END_KEY = 'emoc.front-end';
/** Marks the front end's import() of the rest in esbuild's output, to be routed through __emocImport. */
const IMPORT_MARK = '__emoc_rest__:';
/** Packages bundled into the front end: chevrotain is ~700 small ESM files (with lodash-es), commander is
 * CommonJS (node's CommonJS loader costs more than the code). Both are used by the front end only. */
const BUNDLED_PACKAGES = ['chevrotain', 'commander'];
/** Files besides the sources whose change changes the build. */
const BUILD_INPUTS = [
  'package.json',
  'tsconfig.json',
  'scripts/build.mjs',
  'scripts/dist-stamp.cjs',
  'scripts/code-cache.cjs',
  'bin/emoc.js',
  'bin/package.json',
  ...BUNDLED_PACKAGES.map((p) => `node_modules/${p}/package.json`),
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
const toJs = (rel) => rel.replace(/\.tsx?$/, '.js');
const rootRelative = (abs) => path.relative(root, abs).split(path.sep).join('/');
const packageOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

/** A relative specifier from the output of `importerRel` to `targetRel` (both relative to dist/). */
function relativeSpecifier(importerRel, targetRel) {
  const rel = path.relative(path.dirname(importerRel), targetRel).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

const COMMON = {
  absWorkingDir: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  tsconfig: path.join(root, 'tsconfig.json'),
  // Read by grammar/build-mode.ts: the build skips chevrotain's grammar checks (the tests run them).
  define: { 'process.env.EMOC_BUILD': JSON.stringify('dist') },
  logLevel: 'warning',
};

/** The front end's modules: those reached from CLI_ENTRY through static imports, and through import() of
 * anything outside runtime/ (esbuild's own traversal, with import() of runtime/ left out). */
async function frontEndModules() {
  const r = await esbuild.build({
    ...COMMON,
    entryPoints: [path.join(root, CLI_ENTRY)],
    outdir: path.join(root, 'dist.analysis'),
    bundle: true,
    splitting: true,
    write: false,
    metafile: true,
    packages: 'external',
    plugins: [
      {
        name: 'runtime-by-import-only',
        setup(build) {
          build.onResolve({ filter: /^\./ }, (args) => {
            const target = rootRelative(path.resolve(args.resolveDir, args.path));
            return args.kind === 'dynamic-import' && target.startsWith('runtime/') ? { path: args.path, external: true } : undefined;
          });
        },
      },
    ],
  });
  return new Set(Object.keys(r.metafile.inputs).filter(isModule));
}

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
const frontEnd = await frontEndModules();
const rest = modules.filter((f) => !frontEnd.has(f));

// The rest, one file per module. Front-end modules they import are recorded: they become entries of the
// bundle, so both sides share one instance.
const importedByRest = new Set();
await esbuild.build({
  ...COMMON,
  entryPoints: rest.map((f) => path.join(root, f)),
  outbase: root,
  outdir: out,
  bundle: true,
  plugins: [
    {
      name: 'one-file-per-module',
      setup(build) {
        build.onResolve({ filter: /.*/ }, (args) => {
          if (args.kind === 'entry-point') return undefined;
          if (args.path.startsWith('.')) {
            const target = rootRelative(path.resolve(args.resolveDir, args.path));
            if (frontEnd.has(target)) importedByRest.add(target);
            return { path: toJs(args.path), external: true };
          }
          return { path: args.path, external: true };
        });
      },
    },
  ],
});

// What each of those exports, for its stand-in (below): esbuild's metafile lists an entry's exports.
const exportsOf = new Map();
if (importedByRest.size) {
  const r = await esbuild.build({
    ...COMMON,
    entryPoints: [...importedByRest].map((f) => path.join(root, f)),
    outbase: root,
    outdir: path.join(root, 'dist.analysis'),
    bundle: true,
    splitting: true,
    write: false,
    metafile: true,
    packages: 'external',
  });
  for (const o of Object.values(r.metafile.outputs)) if (o.entryPoint) exportsOf.set(o.entryPoint, o.exports);
}

/** The exports of `source` (TypeScript importing the sources) run now, as the sources run: with the
 * grammar checks on. Bundled into a temporary module in the unfinished build (packages from node_modules),
 * imported, removed. */
let evaluated = 0;
async function evaluate(source) {
  // A new name each time: an ES module is imported once per URL.
  const file = path.join(out, `build-step-${++evaluated}.mjs`);
  try {
    await esbuild.build({
      ...COMMON,
      define: {},
      stdin: { contents: source, resolveDir: root, sourcefile: 'build-step.ts', loader: 'ts' },
      outfile: file,
      bundle: true,
      packages: 'external',
    });
    return await import(pathToFileURL(file).href);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

// The parser's lookahead, derived once here from the validated grammar (grammar/lookahead.ts).
const { lookaheadTable } = await evaluate(
  [
    "import { EmoParser, MAX_LOOKAHEAD } from './grammar/parser.ts';",
    "import { RecordingLookahead } from './grammar/lookahead.ts';",
    'const recorder = new RecordingLookahead({ maxLookahead: MAX_LOOKAHEAD });',
    'new EmoParser(recorder);',
    'export const lookaheadTable = recorder.table;',
  ].join('\n'),
);

// The front end: one CommonJS file, so bin/emoc.js can compile it with a V8 code cache (node 20 caches
// no ES module). Its entry exports main() and registers a loader for each module the rest imports.
const entrySource = [
  `export { main } from './${CLI_ENTRY}';`,
  `const LOADERS = {${[...importedByRest].map((f) => `\n  ${JSON.stringify(f)}: () => import('./${f}'),`).join('')}\n};`,
  `globalThis[Symbol.for(${JSON.stringify(FRONT_END_KEY)})] ??= { load: (file) => LOADERS[file]() };`,
].join('\n');
await esbuild.build({
  ...COMMON,
  stdin: { contents: entrySource, resolveDir: root, sourcefile: 'front-end-entry.ts', loader: 'ts' },
  outfile: path.join(out, FRONT_END_FILE),
  format: 'cjs',
  bundle: true,
  // Each module's import.meta.url becomes the bundle's own (dist/emoc.cjs): the front end only resolves
  // packages from it, and finds the generated IR validator beside it.
  define: {
    ...COMMON.define,
    'import.meta.url': '__emocFileUrl',
    'process.env.EMOC_LOOKAHEAD_TABLE': JSON.stringify(JSON.stringify(lookaheadTable)),
  },
  // import() of the rest goes through the loader's importModule (scripts/code-cache.cjs: code compiled by
  // vm.Script has no import() of its own without an experimental flag), or plain import() when node's
  // require() loaded the file.
  banner: {
    js: [
      "var __emocFileUrl = require('node:url').pathToFileURL(__filename).href;",
      "var __emocImport = typeof importModule === 'function' ? importModule : (specifier) => import(specifier);",
    ].join('\n'),
  },
  plugins: [
    {
      name: 'front-end',
      setup(build) {
        build.onResolve({ filter: /.*/ }, (args) => {
          // Inside a bundled package, esbuild resolves as usual.
          if (args.kind === 'entry-point' || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
          if (args.path.startsWith('.')) {
            const target = rootRelative(path.resolve(args.resolveDir, args.path));
            return frontEnd.has(target)
              ? undefined
              : { path: `${IMPORT_MARK}${relativeSpecifier(FRONT_END_FILE, toJs(target))}`, external: true };
          }
          return BUNDLED_PACKAGES.includes(packageOf(args.path)) ? undefined : { path: args.path, external: true };
        });
      },
    },
  ],
});

// The rest is reached only through import(): anything else would need an ES module from CommonJS.
const frontEndFile = path.join(out, FRONT_END_FILE);
const frontEndCode = fs.readFileSync(frontEndFile, 'utf8').replaceAll(`import("${IMPORT_MARK}`, '__emocImport("');
if (frontEndCode.includes(IMPORT_MARK))
  throw new Error(
    `the front end imports the rest other than by import(): ${frontEndCode.match(new RegExp(`.*${IMPORT_MARK}.*`))[0].trim()}`,
  );
fs.writeFileSync(frontEndFile, frontEndCode);

// Stand-ins at the paths of the front-end modules the rest imports (dist/src/errors.js, ...): each hands
// over the bundle's instance, loading the bundle first where no one has (a worker thread, a test that
// imports a dist/ module directly).
for (const f of importedByRest) {
  // A stand-in copies the values once: a binding reassigned later would not reach the rest.
  if (/^export (let|var) /m.test(fs.readFileSync(path.join(root, f), 'utf8'))) {
    throw new Error(`${f} exports a let/var binding, which its stand-in for runtime/ modules would copy once`);
  }
  const names = exportsOf.get(f) ?? [];
  const named = names.filter((n) => n !== 'default');
  const lines = [
    `// Generated by scripts/build.mjs: ${f} lives in ${FRONT_END_FILE}; this hands over its instance.`,
    "import { createRequire } from 'node:module';",
    `const key = Symbol.for(${JSON.stringify(FRONT_END_KEY)});`,
    `globalThis[key] ?? createRequire(import.meta.url)(${JSON.stringify(relativeSpecifier(toJs(f), FRONT_END_FILE))});`,
    `const m = await globalThis[key].load(${JSON.stringify(f)});`,
    ...(named.length ? [`export const { ${named.join(', ')} } = m;`] : []),
    ...(names.includes('default') ? ['export default m.default;'] : []),
  ];
  fs.mkdirSync(path.dirname(path.join(out, toJs(f))), { recursive: true });
  fs.writeFileSync(path.join(out, toJs(f)), `${lines.join('\n')}\n`);
}

// Declaration files (.d.ts) describe untyped packages to the type checker; nothing loads them.
for (const f of files.filter((f) => !isModule(f) && !f.endsWith('.d.ts'))) {
  fs.mkdirSync(path.dirname(path.join(out, f)), { recursive: true });
  fs.copyFileSync(path.join(root, f), path.join(out, f));
}

// The IR validator as code, from the schema and ajv's options in compiler/schema.ts (one source), written
// beside the file that holds schema.ts's code (it loads the validator by a relative path).
const SCHEMA = 'compiler/schema.ts';
const schema = await evaluate(`export * from './${SCHEMA}';`);
const require = createRequire(import.meta.url);
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;
const ajv = new Ajv({ ...schema.AJV_OPTIONS, code: { source: true } });
const validator = await esbuild.build({
  absWorkingDir: root,
  stdin: { contents: standaloneCode(ajv, ajv.compile(schema.IR_SCHEMA)), resolveDir: root, loader: 'js' },
  outfile: path.join(out, schema.PRECOMPILED_VALIDATOR),
  bundle: true,
  write: false,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
const schemaHome = frontEnd.has(SCHEMA) ? path.dirname(path.join(out, FRONT_END_FILE)) : path.join(out, path.dirname(SCHEMA));
fs.writeFileSync(path.join(schemaHome, schema.PRECOMPILED_VALIDATOR), validator.outputFiles[0].contents);

const inputs = [...files, ...BUILD_INPUTS].map((f) => stampEntry(root, f));
const frontEndHash = createHash('sha256')
  .update(fs.readFileSync(path.join(out, FRONT_END_FILE)))
  .digest('hex');
const stamp = { builtAt: new Date().toISOString(), frontEnd: { file: FRONT_END_FILE, sha256: frontEndHash }, inputs };
fs.writeFileSync(path.join(out, STAMP_FILE), `${JSON.stringify(stamp, null, 1)}\n`);

// Swap in the new build: rename the old one away first (a rename cannot replace a non-empty folder).
const old = `${DIST}.old-${process.pid}`;
if (fs.existsSync(DIST)) fs.renameSync(DIST, old);
fs.renameSync(out, DIST);
fs.rmSync(old, { recursive: true, force: true });
const took = ((performance.now() - started) / 1000).toFixed(1);
process.stdout.write(
  `emoc build: front end ${frontEnd.size} modules -> dist/${FRONT_END_FILE}, the rest ${rest.length} modules -> dist/ in ${took} s\n`,
);
