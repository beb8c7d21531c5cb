// Finds the labelled images of one evaluation split: the spec's `test "path"` and `emoc eval RUN DATA`.
//
// DATA is a folder of class folders, a folder of train/ val/ test/ splits of class folders, or a FER2013
// CSV (Usage Training / PublicTest / PrivateTest). Which split: the one named (`--split`), else the folder
// itself when it holds class folders, else test, else val. Images are only found here; the loader decodes
// them through the same path (and data cache) as training data.

import { join, resolve } from 'node:path';
import { FER2013_LABELS, matchClasses } from '../data/classes.ts';
import { scanFer2013 } from '../data/fer2013.ts';
import { findName, IMAGE_EXTENSIONS, pathKind, readFolder } from '../data/files.ts';
import { scanClassRoot, scanSfew } from '../data/folder.ts';
import type { PendingImage } from '../data/scan.ts';
import { DataError, type SkippedImage } from '../data/types.ts';

/** Split folder names (and FER2013 Usage values), in the order a default is looked for. */
const SPLITS: Record<string, readonly string[]> = {
  test: ['test', 'testing', 'privatetest'],
  val: ['val', 'validation', 'valid', 'publictest'],
  train: ['train', 'training'],
};
const SPLIT_NAMES = Object.values(SPLITS).flat();
const LAYOUT_HINT = 'pass a folder of class folders (e.g. happy/*.jpg), a folder with train/ val/ test/ splits of them, or a FER2013 CSV';

export interface EvalSource {
  items: PendingImage[];
  skipped: SkippedImage[];
  notes: string[];
  /** As the user wrote it, plus the split taken (e.g. 'data/fer2013/val'). */
  display: string;
  /** Absolute path of the same. */
  where: string;
}

export interface EvalSourceOptions {
  /** A split to take from a folder of splits or a CSV ('test', 'val', 'train' or a folder name). */
  split?: string;
  /** 'fer2013' reads a CSV; 'sfew' takes its Val/; otherwise decided by the path. */
  kind?: 'folder' | 'sfew' | 'fer2013';
  limitPerClass?: number;
  /** Images of classes the model does not know are a DataError (emoc eval) instead of a note (test split). */
  strict: boolean;
}

export async function scanEvalSource(
  path: string,
  baseDir: string,
  classes: readonly string[],
  opts: EvalSourceOptions,
): Promise<EvalSource> {
  const abs = resolve(baseDir, path);
  const kind = await pathKind(abs);
  if (kind === 'missing')
    throw new DataError(
      `'${path}' does not exist`,
      abs,
      `${LAYOUT_HINT}; paths are relative to ${baseDir === process.cwd() ? 'the working folder' : "the spec file's folder"}`,
    );
  if (kind === 'file' || opts.kind === 'fer2013') return scanCsv(path, baseDir, classes, opts);
  if (opts.kind === 'sfew') {
    const sfew = await scanSfew(path, baseDir, classes, opts.limitPerClass);
    if (sfew.val === null)
      throw new DataError(`'${path}' has no Val/ folder`, abs, 'SFEW layout: Train/<Class>/ and Val/<Class>/; its Test/ has no labels');
    return nonEmpty({ items: sfew.val, skipped: [], notes: sfew.notes, display: path, where: abs });
  }
  return scanDir(path, abs, classes, opts);
}

async function scanDir(path: string, abs: string, classes: readonly string[], opts: EvalSourceOptions): Promise<EvalSource> {
  const { dirs } = await readFolder(abs, path);
  const splitDirs = dirs.filter((d) => SPLIT_NAMES.includes(d.toLowerCase()));
  const classDirs = dirs.filter((d) => !SPLIT_NAMES.includes(d.toLowerCase()));
  let rootAbs = abs;
  let rootDisplay = path;
  if (opts.split !== undefined || classDirs.length === 0) {
    const name = pickSplit(splitDirs, opts.split);
    if (name === undefined) {
      if (dirs.length === 0) throw new DataError(`'${path}' is empty: no class folders and no train/ val/ test/ splits`, abs, LAYOUT_HINT);
      const what = opts.split === undefined ? 'has no class folders and no test/ or val/ split' : `has no split '${opts.split}'`;
      throw new DataError(
        `'${path}' ${what}`,
        abs,
        splitDirs.length ? `splits found: ${splitDirs.join(', ')}; choose one with --split` : LAYOUT_HINT,
      );
    }
    rootAbs = join(abs, name);
    rootDisplay = join(path, name);
  }
  // In a folder of class folders, split folders beside them (a stray val/) are not classes.
  const inner = rootAbs === abs ? classDirs : (await readFolder(rootAbs, rootDisplay)).dirs;
  if (inner.length === 0) throw new DataError(`'${rootDisplay}' has no class folders`, rootAbs, LAYOUT_HINT);
  const match = matchClasses(inner, classes);
  const unknown = inner.filter((d) => !match.labels.has(d));
  if (opts.strict && unknown.length > 0) {
    throw new DataError(
      `class folder${unknown.length > 1 ? 's' : ''} ${unknown.map((d) => `'${d}'`).join(', ')} in '${rootDisplay}' ${unknown.length > 1 ? 'are' : 'is'} not a class the model knows`,
      join(rootAbs, unknown[0]),
      `the model's classes are ${classes.join(', ')} (names match case-insensitively, with synonyms); remove the folder or evaluate a run trained on it`,
    );
  }
  if (match.labels.size === 0) {
    throw new DataError(
      `none of the model's classes (${classes.join(', ')}) has a folder in '${rootDisplay}'`,
      rootAbs,
      `class folders found: ${inner.join(', ')}`,
    );
  }
  const root = await scanClassRoot(rootAbs, rootDisplay, classes, false, opts.limitPerClass);
  return nonEmpty({ items: root.items, skipped: [], notes: root.notes, display: rootDisplay, where: rootAbs });
}

function pickSplit(splitDirs: readonly string[], wanted: string | undefined): string | undefined {
  if (wanted !== undefined) {
    const names = SPLITS[wanted.toLowerCase()] ?? [wanted];
    return findName(splitDirs, names) ?? splitDirs.find((d) => d.toLowerCase() === wanted.toLowerCase());
  }
  return findName(splitDirs, SPLITS.test) ?? findName(splitDirs, SPLITS.val);
}

/** A FER2013 CSV: the named split, else PrivateTest, else PublicTest, else every row (no Usage column). */
async function scanCsv(path: string, baseDir: string, classes: readonly string[], opts: EvalSourceOptions): Promise<EvalSource> {
  // Scanned against all seven FER2013 labels so that rows of a class the model does not know are seen.
  const all = await scanFer2013(path, baseDir, FER2013_LABELS, undefined, true);
  const wanted = opts.split?.toLowerCase();
  let rows: PendingImage[] | null;
  if (wanted === undefined) rows = all.test?.length ? all.test : all.val?.length ? all.val : all.train;
  else if (SPLITS.test.includes(wanted)) rows = all.test ?? null;
  else if (SPLITS.val.includes(wanted)) rows = all.val;
  else if (SPLITS.train.includes(wanted)) rows = all.train;
  else
    throw new DataError(
      `unknown split '${opts.split}' for a FER2013 CSV`,
      all.where,
      'the CSV splits are train (Training), val (PublicTest) and test (PrivateTest)',
    );
  if (rows === null || rows.length === 0)
    throw new DataError(
      `'${all.display}' has no ${opts.split ?? ''} rows`.replace('  ', ' '),
      all.where,
      'FER2013 Usage values: Training, PublicTest, PrivateTest',
    );
  const match = matchClasses(FER2013_LABELS, classes, (n) => `FER2013 label '${n}'`);
  const items: PendingImage[] = [];
  const unknown = new Map<string, number>();
  const taken = new Map<number, number>();
  for (const row of rows) {
    const name = FER2013_LABELS[row.label];
    const label = match.labels.get(name);
    if (label === undefined) {
      unknown.set(name, (unknown.get(name) ?? 0) + 1);
      continue;
    }
    if (opts.limitPerClass !== undefined && (taken.get(label) ?? 0) >= opts.limitPerClass) continue;
    taken.set(label, (taken.get(label) ?? 0) + 1);
    items.push({ ...row, label });
  }
  const notes = [...all.notes];
  if (unknown.size > 0) {
    const list = [...unknown].map(([n, k]) => `${k} '${n}'`).join(', ');
    if (opts.strict)
      throw new DataError(
        `'${all.display}' has rows of classes the model does not know (${list})`,
        all.where,
        `the model's classes are ${classes.join(', ')}`,
      );
    notes.push(`rows left out, not in the experiment's classes: ${list}`);
  }
  return nonEmpty({ items, skipped: all.skipped, notes, display: all.display, where: all.where });
}

function nonEmpty(source: EvalSource): EvalSource {
  if (source.items.length === 0)
    throw new DataError(
      `no images in '${source.display}'`,
      source.where,
      `add images (${IMAGE_EXTENSIONS.join(', ')}) to its class folders`,
    );
  return source;
}
