// Is dist/ the build of the sources as they are now? Written by scripts/build.mjs, read by bin/emoc.js at
// every start, so the check has to stay cheap (a stat per input, no directory walk): the stamp lists every
// input with its size, mtime, ctime and content hash. A file whose size changed is stale; one whose mtime
// and ctime are both unchanged is taken as unchanged (ctime cannot be set back by cp -p, tar or git, so an
// edit always moves it); any other file is hashed and compared, so a touched but unchanged file (git
// checkout, editor save without edits) keeps the build valid. A missing input makes it stale too.
// Plain JavaScript, and CommonJS like bin/emoc.js (node starts a CommonJS program faster than an ES module).

const fs = require("node:fs");
const path = require("node:path");

const STAMP_FILE = "stamp.json";

/** SHA-256 of a file's bytes. node:crypto is loaded only here: loading it costs several milliseconds,
 * and a start whose inputs all kept their times hashes nothing. */
function hashFile(file) {
  const { createHash } = process.getBuiltinModule("node:crypto");
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** The stamp entry of `rel` (relative to `root`) as it is now. */
function stampEntry(root, rel) {
  const abs = path.join(root, rel);
  const st = fs.statSync(abs);
  return {
    path: rel,
    size: st.size,
    mtimeMs: st.mtimeMs,
    ctimeMs: st.ctimeMs,
    sha256: hashFile(abs),
  };
}

/** Whether `distDir` holds a build of the inputs under `root` as they are now: `stale` is null when it
 * does, else why not; `stamp` is the build's stamp (what it holds, e.g. the front end's file and hash). */
function readBuild(root, distDir) {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(path.join(distDir, STAMP_FILE), "utf8"));
  } catch {
    return { stale: "no build (run: npm run build)", stamp: null };
  }
  // No exceptions for a missing file and no path.join per input: this loop runs at every start.
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  for (const e of stamp.inputs ?? []) {
    const abs = prefix + e.path;
    const st = fs.statSync(abs, { throwIfNoEntry: false });
    if (!st) return { stale: `${e.path} is gone`, stamp };
    if (st.size !== e.size) return { stale: `${e.path} changed`, stamp };
    if (st.mtimeMs === e.mtimeMs && st.ctimeMs === e.ctimeMs) continue;
    if (hashFile(abs) !== e.sha256)
      return { stale: `${e.path} changed`, stamp };
  }
  if (!stamp.inputs?.length) return { stale: "empty build stamp", stamp };
  return {
    stale: stamp.frontEnd?.file ? null : "built by an older scripts/build.mjs",
    stamp,
  };
}

/** null when `distDir` holds a build of the inputs under `root` as they are now, else why not. */
function staleReason(root, distDir) {
  return readBuild(root, distDir).stale;
}

module.exports = { STAMP_FILE, stampEntry, readBuild, staleReason };
