// emoc's version, read from package.json: the one place it is written. The CLI's --version and the queue's
// job payloads (a worker refuses jobs from another version) both read it here. Node built-ins only, so
// `emoc --version` stays fast.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root: two folders up from the sources, three from their build in dist/. */
function findRoot(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export const packageRoot = findRoot();

let version: string | null = null;
export function emocVersion(): string {
  version ??= (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
