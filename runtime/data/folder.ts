// Scanners for image-folder sources:
//
//   folder  <root>/<class>/*.jpg                         no validation split: the loader holds one out
//           <root>/train/<class>/, <root>/val/<class>/   (or test/ when there is no val/), e.g.
//                                                        ../shared/data/fer2013-sample
//   sfew    <root>/Train/<Class>/, <root>/Val/<Class>/   SFEW 2.0 (its Test/ has no labels)
//
// Class folders are matched to the experiment's classes through classes.ts (case, synonyms). The
// training split must have a folder for every listed class; a validation split may miss one (noted).

import { lstat, realpath } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { matchClasses } from './classes.ts';
import { findName, IMAGE_EXTENSIONS, readFolder, requireDir, splitImages } from './files.ts';
import type { PendingImage, ScannedSource } from './scan.ts';
import { DataError } from './types.ts';

const PATH_HINT = "paths in a spec are relative to the spec file's folder";
const TRAIN_NAMES = ['train', 'training'];
const VAL_NAMES = ['val', 'validation', 'valid'];
const TEST_NAMES = ['test', 'testing'];

export interface ClassRoot {
  items: PendingImage[];
  /** Folder (as displayed) of each label's first class folder. */
  folderOf: Map<number, string>;
  notes: string[];
}

/**
 * The images under one folder of class folders. When `required`, every listed class must have a folder
 * (a DataError otherwise); when not (validation splits), missing classes are only noted.
 */
export async function scanClassRoot(
  abs: string,
  display: string,
  classes: readonly string[],
  required: boolean,
  limitPerClass?: number,
): Promise<ClassRoot> {
  const listing = await readFolder(abs, display);
  const folders = listing.dirs;
  // Named without the split, so a folder left out of both train/ and val/ gives one note, not two.
  const match = matchClasses(folders, classes, (n) => `class folder '${n}'`);
  const notes = [...listing.notes, ...match.notes];

  if (match.labels.size === 0 && required) {
    throw new DataError(
      `none of the experiment's classes (${classes.join(', ')}) has a folder in '${display}'`,
      abs,
      `class folders found: ${folders.join(', ') || 'none'}; names match case-insensitively, with synonyms such as happiness -> happy`,
    );
  }
  if (match.missing.length > 0) {
    const list = match.missing.map((c) => `'${c}'`).join(', ');
    const which = match.missing.length === 1 ? `class ${list} has` : `classes ${list} have`;
    if (required) {
      throw new DataError(
        `${which} no folder in '${display}'`,
        abs,
        `add a folder of images per class (e.g. '${match.missing[0]}/'), or remove the class from the spec's classes`,
      );
    }
    notes.push(`${which} no folder in '${display}': no validation images for ${match.missing.length === 1 ? 'it' : 'them'}`);
  }

  const items: PendingImage[] = [];
  const folderOf = new Map<number, string>();
  const taken = new Map<number, number>();
  for (const [folder, label] of match.labels) {
    if (!folderOf.has(label)) folderOf.set(label, join(display, folder));
    const absFolder = join(abs, folder);
    const displayFolder = join(display, folder);
    const inside = await readFolder(absFolder, displayFolder);
    notes.push(...inside.notes);
    const { images, others } = splitImages(inside.files);
    if (others.length > 0) {
      const shown = others.slice(0, 3).join(', ') + (others.length > 3 ? ', ...' : '');
      notes.push(
        `folder '${join(display, folder)}': ${others.length} file(s) that are not ${IMAGE_EXTENSIONS.join('/')} left out (${shown})`,
      );
    }
    for (const name of images) {
      // The limit counts per class, across merged folders (e.g. happy/ and happiness/).
      if (limitPerClass !== undefined && (taken.get(label) ?? 0) >= limitPerClass) break;
      taken.set(label, (taken.get(label) ?? 0) + 1);
      // Plain concatenation: names from readdir have no separators, and path.join per file is a
      // measurable share of loading 30,000 images from the data cache.
      items.push({ origin: displayFolder + sep + name, label, file: absFolder + sep + name });
    }
  }
  return { items, folderOf, notes };
}

function otherFolderNotes(all: readonly string[], used: readonly (string | undefined)[], display: string, why: string): string[] {
  return all.filter((d) => !used.includes(d)).map((d) => `folder '${join(display, d)}' ${why}: left out`);
}

/**
 * The data folder's subfolders, after checking it exists; notes name the links followed, the data
 * folder itself included (a linked-in data set is the common case).
 */
async function openRoot(abs: string, display: string): Promise<{ dirs: string[]; notes: string[] }> {
  await requireDir(abs, display, PATH_HINT);
  const notes: string[] = [];
  if ((await lstat(abs)).isSymbolicLink()) notes.push(`followed link '${display}' -> '${await realpath(abs)}'`);
  const listing = await readFolder(abs, display);
  return { dirs: listing.dirs, notes: [...notes, ...listing.notes] };
}

/**
 * A folder of class folders, or of train/ + val/ (or test/) splits of class folders. With `withTest`
 * (the spec's `test auto`), a test/ beside train/ and val/ is the test split.
 */
export async function scanFolder(
  path: string,
  baseDir: string,
  classes: readonly string[],
  limitPerClass?: number,
  withTest = false,
): Promise<ScannedSource> {
  const abs = resolve(baseDir, path);
  const { dirs, notes } = await openRoot(abs, path);
  const trainName = findName(dirs, TRAIN_NAMES);

  if (trainName === undefined) {
    const root = await scanClassRoot(abs, path, classes, true, limitPerClass);
    return source(root, null, notes, path, abs);
  }

  const valName = findName(dirs, VAL_NAMES) ?? findName(dirs, TEST_NAMES);
  if (valName !== undefined && TEST_NAMES.includes(valName.toLowerCase()))
    notes.push(`folder '${join(path, valName)}' is used as the validation split (there is no val/)`);
  const testName = withTest && valName !== undefined && VAL_NAMES.includes(valName.toLowerCase()) ? findName(dirs, TEST_NAMES) : undefined;
  notes.push(
    ...otherFolderNotes(dirs, [trainName, valName, testName], path, `is not a train/ or val/${withTest ? ' or test/' : ''} split`),
  );
  const train = await scanClassRoot(join(abs, trainName), join(path, trainName), classes, true, limitPerClass);
  const val = valName === undefined ? null : await scanClassRoot(join(abs, valName), join(path, valName), classes, false, limitPerClass);
  const test =
    testName === undefined ? null : await scanClassRoot(join(abs, testName), join(path, testName), classes, false, limitPerClass);
  if (test) test.notes = test.notes.map((n) => n.replace(/: no validation images for/, ': no test images for'));
  return { ...source(train, val, [...notes, ...(test?.notes ?? [])], path, abs), test: test?.items ?? null };
}

/** SFEW 2.0: Train/<Class>/ and Val/<Class>/ (a missing Val/ falls back to the hold-out, with a note). */
export async function scanSfew(path: string, baseDir: string, classes: readonly string[], limitPerClass?: number): Promise<ScannedSource> {
  const abs = resolve(baseDir, path);
  const { dirs, notes } = await openRoot(abs, path);
  const trainName = findName(dirs, TRAIN_NAMES);
  if (trainName === undefined) {
    throw new DataError(
      `'${path}' is not an SFEW folder: it has no Train/ folder`,
      abs,
      'SFEW layout: Train/<Class>/*.png and Val/<Class>/*.png',
    );
  }
  const valName = findName(dirs, VAL_NAMES);
  notes.push(...otherFolderNotes(dirs, [trainName, valName], path, 'is not an SFEW Train/ or Val/ split (SFEW Test/ has no labels)'));
  if (valName === undefined) notes.push(`'${path}' has no Val/ folder`);
  const train = await scanClassRoot(join(abs, trainName), join(path, trainName), classes, true, limitPerClass);
  const val = valName === undefined ? null : await scanClassRoot(join(abs, valName), join(path, valName), classes, false, limitPerClass);
  return source(train, val, notes, path, abs);
}

function source(train: ClassRoot, val: ClassRoot | null, notes: string[], display: string, where: string): ScannedSource {
  return {
    train: train.items,
    val: val?.items ?? null,
    skipped: [],
    notes: [...new Set([...notes, ...train.notes, ...(val?.notes ?? [])])],
    display,
    where,
    classWhere: (label) => train.folderOf.get(label) ?? display,
  };
}
