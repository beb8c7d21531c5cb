// Directory helpers for the file-based sources: what is a folder, which files are images, and
// case-insensitive lookup of split folders (Train/ vs train/). Listings are sorted by code unit so
// every machine sees files in the same order (the hold-out and limits depend on it).

import { readdir, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { DataError } from './types.ts';

/** Extensions tried as images; anything else in a class folder is ignored with a note. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'];

export async function pathKind(path: string): Promise<'dir' | 'file' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

/** Stops the run when a data folder is missing or is a file. */
export async function requireDir(path: string, display: string, hint: string): Promise<void> {
  const kind = await pathKind(path);
  if (kind === 'missing') throw new DataError(`data folder '${display}' does not exist`, path, hint);
  if (kind === 'file') throw new DataError(`data path '${display}' is a file, not a folder`, path, hint);
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const visible = (name: string) => !name.startsWith('.') && !name.startsWith('__'); // .DS_Store, __MACOSX

/** Subfolder names, sorted, hidden ones left out. */
export async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && visible(e.name)).map((e) => e.name).sort(byCodeUnit);
}

/** File names in a folder, sorted, split into images (by extension) and others. */
export async function listFiles(dir: string): Promise<{ images: string[]; others: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && visible(e.name)).map((e) => e.name).sort(byCodeUnit);
  const isImage = (n: string) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase());
  return { images: files.filter(isImage), others: files.filter((n) => !isImage(n)) };
}

/** The first of `wanted` (case-insensitive) among `names`, in `wanted` order. */
export function findName(names: readonly string[], wanted: readonly string[]): string | undefined {
  for (const w of wanted) {
    const hit = names.find((n) => n.toLowerCase() === w.toLowerCase());
    if (hit !== undefined) return hit;
  }
  return undefined;
}
