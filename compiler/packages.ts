// Is an npm package installed where emoc can load it? Tensor-free: used by `emoc check` for backbones.

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The installed package's folder, or null. Walks Node's own lookup paths rather than resolving
 * `NAME/package.json`, which packages with an `exports` map (like @vladmandic/human) do not expose.
 */
export function packageDir(name: string): string | null {
  for (const dir of require.resolve.paths(name) ?? []) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
  }
  return null;
}

export function packageInstalled(name: string): boolean {
  return packageDir(name) !== null;
}
