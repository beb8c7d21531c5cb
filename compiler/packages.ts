// Is an npm package installed where emoc can load it? Tensor-free: used by `emoc check` for backbones.

import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);

/** The installed package's folder, or null. */
export function packageDir(name: string): string | null {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

export function packageInstalled(name: string): boolean {
  return packageDir(name) !== null;
}
