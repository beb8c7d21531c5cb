// Loads the compiled front end (dist/emoc.cjs, one CommonJS file: see scripts/build.mjs) with a V8 code
// cache, so a start does not parse and compile ~800 kB of JavaScript again: node 20 caches no ES module
// (module.enableCompileCache() is node 22), but vm.Script takes and makes V8's cached data.
//
// The cache is a file per (build, node version, CPU architecture, command) under the checkout's
// .emoc/cache/code/: the build's hash is in the name, so a rebuild never meets an old cache, and V8 itself
// rejects data from another V8 or other flags (then it is made again). Each command has its own, made at
// the end of its first run, because V8 saves the functions that run compiled: `check` caches the parser,
// `--version` does not need it. A folder that cannot be written just means no cache (a read-only install);
// EMOC_CODE_CACHE=0 turns it off. Plain CommonJS, like bin/emoc.js.

const fs = require("node:fs");
const { createRequire } = require("node:module");
const path = require("node:path");
const { pathToFileURL } = require("node:url");
const vm = require("node:vm");

/** The cache folder of the checkout at `root`. */
const codeCacheDir = (root) => path.join(root, ".emoc", "cache", "code");

/** The cache file for the build with hash `buildHash`, run as `argv` (node's: the command is argv[2]). */
function codeCacheFile(root, buildHash, argv) {
  const word =
    argv.slice(2).find((a) => !a.startsWith("-")) ?? argv[2] ?? "help";
  const command = word.replace(/[^A-Za-z0-9-]/g, "").slice(0, 32) || "other";
  return path.join(
    codeCacheDir(root),
    `${buildHash.slice(0, 16)}-${process.version}-${process.arch}-${command}.v8`,
  );
}

/** module.exports of the CommonJS file `file`, compiled with the cached data in `cacheFile` when it is
 * there and V8 accepts it; otherwise the data is made when the process exits and written for next time. */
function requireWithCodeCache(file, cacheFile) {
  const source = fs.readFileSync(file, "utf8");
  let cachedData;
  if (cacheFile) {
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      // first run of this command on this build
    }
  }
  // Node's CommonJS wrapper plus importModule: the file's import() of ES modules is done from here (code
  // compiled by vm.Script cannot import() without an experimental option; scripts/build.mjs routes it).
  const wrapped = `(function (exports, require, module, __filename, __dirname, importModule) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  if (cacheFile && (!cachedData || script.cachedDataRejected))
    process.once("exit", () => writeCache(script, cacheFile));
  const module = { exports: {}, filename: file, id: file };
  const importModule = (specifier) =>
    import(new URL(specifier, pathToFileURL(file)).href);
  script.runInThisContext()(
    module.exports,
    createRequire(file),
    module,
    file,
    path.dirname(file),
    importModule,
  );
  return module.exports;
}

/** Writes the script's cached data to `cacheFile` (temp file and rename: a reader sees all or nothing) and
 * removes the caches of other builds. Best effort: a failure costs the next start its cache, nothing else. */
function writeCache(script, cacheFile) {
  try {
    const dir = path.dirname(cacheFile);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.part`;
    fs.writeFileSync(tmp, script.createCachedData());
    fs.renameSync(tmp, cacheFile);
    const build = path.basename(cacheFile).split("-")[0];
    for (const f of fs.readdirSync(dir))
      if (f.endsWith(".v8") && !f.startsWith(`${build}-`))
        fs.rmSync(path.join(dir, f), { force: true });
  } catch {
    // read-only checkout, full disk, a race with another emoc: run without a cache
  }
}

module.exports = { codeCacheDir, codeCacheFile, requireWithCodeCache };
