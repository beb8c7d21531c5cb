// Atomic file writes: write a temporary file beside the target, then rename over it. A crash leaves
// either the old file or the new one, never half of one.

import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;

function tempName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${counter++}.tmp`);
}

export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tempName(target);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
}

export function writeJsonAtomic(target: string, value: unknown): void {
  writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}

/** Append a line by rewriting the file atomically (metrics.jsonl is small: one line per epoch). */
export function appendLineAtomic(target: string, line: string): void {
  const prior = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  writeFileAtomic(target, `${prior}${line}\n`);
}

/**
 * Replace a whole directory atomically enough: fill `<dir>.tmp`, move the old one aside, rename the
 * new one in, delete the old. Readers see the old or the new directory, never a mix.
 */
export function replaceDirAtomic(dir: string, fill: (tmpDir: string) => void | Promise<void>): Promise<void> {
  const tmp = `${dir}.${process.pid}.tmp`;
  const old = `${dir}.${process.pid}.old`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  return Promise.resolve(fill(tmp)).then(() => {
    if (fs.existsSync(dir)) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    fs.rmSync(old, { recursive: true, force: true });
  });
}
