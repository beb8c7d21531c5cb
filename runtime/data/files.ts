// Directory helpers for the file-based sources: what is a folder, which files are images, and
// case-insensitive lookup of split folders (Train/ vs train/). Listings are sorted by code unit so
// every machine sees files in the same order (the hold-out and limits depend on it).
//
// Symbolic links are followed, to folders and to files alike: people link data sets into place
// (train/ -> /data/fer/train, happy/ -> ../../other/happy). Each followed link is reported in the
// listing's notes so the run log says where the images really came from. A link that leads nowhere
// is left out with a note. A link loop (a link that resolves to itself, or a folder link to a folder
// that contains it) is a DataError naming the link: our scans are only a few levels deep, so a loop
// cannot hang them, but it is never a layout anyone meant, and skipping it would silently drop a
// class or a split and fail later with a message that hides the cause.

import type { Dirent } from 'node:fs';
import { readdir, readlink, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
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
  let kind: 'dir' | 'file' | 'missing';
  try {
    kind = (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw loopError(path, display);
    kind = 'missing';
  }
  if (kind === 'missing') throw new DataError(`data folder '${display}' does not exist`, path, hint);
  if (kind === 'file') throw new DataError(`data path '${display}' is a file, not a folder`, path, hint);
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const visible = (name: string) => !name.startsWith('.') && !name.startsWith('__'); // .DS_Store, __MACOSX

function loopError(path: string, display: string): DataError {
  return new DataError(
    `'${display}' is a symbolic link loop: it leads back to itself`,
    path,
    'point the link at the folder or file that holds the images (ls -l shows where it points)',
  );
}

/** A folder's visible entries, symbolic links resolved to what they point at. */
export interface FolderListing {
  /** Subfolder names (real or linked), sorted. */
  dirs: string[];
  /** File names (real or linked), sorted. */
  files: string[];
  /** Links followed or left out, for the run log. */
  notes: string[];
}

/**
 * Lists `dir` (shown as `display` in notes and errors), following symbolic links. Throws DataError on
 * a link loop. Linked files are summarised in one note per folder: a class folder of 4,000 linked
 * images should not add 4,000 lines to the run log.
 */
export async function readFolder(dir: string, display: string): Promise<FolderListing> {
  const entries = await readdir(dir, { withFileTypes: true });
  const dirs: string[] = [];
  const files: string[] = [];
  const notes: string[] = [];
  const linkedFiles: { name: string; target: string }[] = [];
  let realDir: string | null = null;
  for (const e of entries) {
    if (!visible(e.name)) continue;
    if (!e.isSymbolicLink()) {
      if (e.isDirectory()) dirs.push(e.name);
      else if (e.isFile()) files.push(e.name);
      continue;
    }
    const link = await resolveLink(dir, display, e);
    if (link.kind === 'broken') {
      notes.push(`link '${join(display, e.name)}' points to '${link.target}', which does not exist: left out`);
    } else if (link.kind === 'dir') {
      realDir ??= await realpath(dir);
      // A folder link to the folder itself or to one that contains it: scanning it would find this
      // folder again (train/happy -> .. lists train/'s class folders as if they were images of happy).
      if (realDir === link.target || realDir.startsWith(link.target.endsWith(sep) ? link.target : link.target + sep)) {
        throw new DataError(
          `'${join(display, e.name)}' is a symbolic link loop: it points to '${link.target}', a folder that contains the link`,
          join(dir, e.name),
          'point the link at the folder that holds the images, not at one of its parents',
        );
      }
      dirs.push(e.name);
      notes.push(`followed link '${join(display, e.name)}' -> '${link.target}'`);
    } else {
      files.push(e.name);
      linkedFiles.push({ name: e.name, target: link.target });
    }
  }
  if (linkedFiles.length > 0) {
    const first = linkedFiles.sort((a, b) => byCodeUnit(a.name, b.name))[0];
    const more =
      linkedFiles.length > 1
        ? ` (${linkedFiles.length} linked files; first '${first.name}' -> '${first.target}')`
        : ` ('${first.name}' -> '${first.target}')`;
    notes.push(`followed file links in '${display}'${more}`);
  }
  return { dirs: dirs.sort(byCodeUnit), files: files.sort(byCodeUnit), notes };
}

/** What a symbolic link leads to: a folder or file (with its real path), or nothing. */
async function resolveLink(dir: string, display: string, e: Dirent): Promise<{ kind: 'dir' | 'file' | 'broken'; target: string }> {
  const path = join(dir, e.name);
  try {
    const target = await realpath(path);
    return { kind: (await stat(target)).isDirectory() ? 'dir' : 'file', target };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw loopError(path, join(display, e.name));
    if (code === 'ENOENT') return { kind: 'broken', target: await readlink(path).catch(() => '?') };
    throw err; // EACCES and the like: a system problem the caller reports as it is
  }
}

/** Splits file names into images (by extension) and others, keeping their order. */
export function splitImages(files: readonly string[]): { images: string[]; others: string[] } {
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
