// A fingerprint of the data a point trains on, so a worker whose copy differs refuses the job rather than
// training on other images. The built-in faces are generated from their settings; a folder or CSV is
// hashed with the decoded-data cache's content key (runtime/cache/decoded.ts: every file's bytes in order),
// plus the relative file names, since here the labels (class folders) matter too.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataIR } from '../../compiler/ir.ts';
import { decodedKey } from '../cache/decoded.ts';
import { FileReader } from '../data/read-files.ts';

/** The absolute data location a point reads (the source path resolved against the spec's folder). */
export function dataLocation(data: DataIR, specFile: string): string {
  return data.source.kind === 'builtin' ? `builtin:${data.source.name}` : path.resolve(path.dirname(specFile), data.source.path);
}

function filesUnder(root: string): string[] {
  const st = fs.statSync(root, { throwIfNoEntry: false });
  if (!st) return [];
  if (st.isFile()) return [root];
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile()) out.push(p);
    }
  };
  visit(root);
  return out;
}

/** sha256 hex of the data a point would read at `location`; "missing" when nothing is there. */
export function dataFingerprint(data: DataIR, location: string): string {
  if (data.source.kind === 'builtin') return createHash('sha256').update(JSON.stringify(data.source)).digest('hex');
  const files = filesUnder(location);
  if (files.length === 0) return 'missing';
  const reader = new FileReader();
  const lengths = new Int32Array(files.length);
  const unreadable: string[] = [];
  files.forEach((f, i) => {
    try {
      lengths[i] = reader.read(f).length;
    } catch (e) {
      lengths[i] = -1;
      unreadable.push((e as NodeJS.ErrnoException).code ?? 'unreadable');
    }
  });
  const names = files.map((f) => path.relative(location, f).split(path.sep).join('/'));
  const content = decodedKey([0, 0, 0], 'fingerprint', { lengths, unreadable, bytes: reader.pieces() });
  return createHash('sha256').update(content).update(JSON.stringify(names)).digest('hex');
}
