// Every .emo file in the repository (specs, fixtures, bench specs), for tests that must hold on all of them,
// and the punctuation the random-text tests put anywhere.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');

export function repoSpecs(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.') || e.name === 'dist') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.emo')) out.push(p);
    }
  };
  walk(ROOT);
  return out.sort();
}

/** The language's punctuation and the line break: words the random-text tests (grammar and compiler
 * properties) insert and swap, next to their own keywords and values. */
export const PUNCTUATION = ['{', '}', '[', ']', '(', ')', ',', ';', '|', '=', ':', '\n'];
