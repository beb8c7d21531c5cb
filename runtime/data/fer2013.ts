// Scanner for the FER2013 CSV (fer2013.csv, Kaggle's icml_face_data.csv, or its train.csv):
//
//   emotion,pixels,Usage
//   0,70 80 82 ... (48*48 grey values),Training
//
// Usage Training -> train, PublicTest -> val. PrivateTest is FER2013's held-back test split, so it is
// only used for validation when the file has no PublicTest rows. Without a Usage column every row is
// training data and the loader holds out a validation split. Label ids 0..6 are angry, disgust, fear,
// happy, sad, surprise, neutral. The file (about 300 MB for the full set) is streamed line by line;
// only the rows kept are held, as 48*48 bytes each.

import { createReadStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { FER2013_LABELS, matchClasses } from './classes.ts';
import { resizeGrey } from './decode.ts';
import { findName, pathKind, readFolder } from './files.ts';
import type { PendingImage, ScannedSource } from './scan.ts';
import { DataError, type SkippedImage } from './types.ts';

const FORMAT_HINT =
  'a FER2013 CSV has a header line "emotion,pixels,Usage" and one row per image: label id 0-6, 48*48 space-separated grey values, split';

type Split = 'train' | 'val' | 'private';
const USAGE: Record<string, Split> = { training: 'train', publictest: 'val', privatetest: 'private' };

/** Splits one CSV line on commas outside double quotes (the pixels field is sometimes quoted). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      if (quoted && line[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = !quoted;
    } else if (ch === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/**
 * Parses "70 80 82 ..." into grey bytes, or returns why it cannot. Hand-rolled because split + Number
 * on 35,887 rows x 2,304 values makes 80 million short-lived strings.
 */
export function parsePixels(text: string): Uint8Array | string {
  const values: number[] = [];
  let value = -1;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 32;
    if (code >= 48 && code <= 57) {
      value = (value < 0 ? 0 : value * 10) + (code - 48);
      if (value > 255) return `pixel value out of range 0-255 at character ${i + 1}`;
    } else if (code === 32 || code === 9 || code === 13) {
      if (value >= 0) values.push(value);
      value = -1;
    } else {
      return `unexpected character '${text[i]}' in pixels`;
    }
  }
  if (values.length === 0) return 'no pixels';
  const side = Math.round(Math.sqrt(values.length));
  if (side * side !== values.length) return `${values.length} pixels is not a square image (FER2013 has 48*48 = 2304)`;
  return Uint8Array.from(values);
}

/** The CSV file a fer2013 source names: the file itself, or fer2013.csv (or the only .csv) in a folder. */
async function findCsv(abs: string, display: string): Promise<string> {
  const kind = await pathKind(abs);
  if (kind === 'missing')
    throw new DataError(`FER2013 file '${display}' does not exist`, abs, "paths in a spec are relative to the spec file's folder");
  if (kind === 'file') return abs;
  const { files } = await readFolder(abs, display);
  const csvs = files.filter((n) => n.toLowerCase().endsWith('.csv'));
  const name = findName(csvs, ['fer2013.csv', 'icml_face_data.csv']) ?? (csvs.length === 1 ? csvs[0] : undefined);
  if (name === undefined) throw new DataError(`folder '${display}' has no fer2013.csv`, abs, 'point the spec at the CSV file itself');
  return join(abs, name);
}

/** With `withTest` (the spec's `test auto`), PrivateTest rows are the test split when PublicTest is the validation one. */
export async function scanFer2013(
  path: string,
  baseDir: string,
  classes: readonly string[],
  limitPerClass?: number,
  withTest = false,
): Promise<ScannedSource> {
  const file = await findCsv(resolve(baseDir, path), path);
  const display = file === resolve(baseDir, path) ? path : join(path, file.slice(file.lastIndexOf('/') + 1));

  // Label id -> experiment label (undefined: left out).
  const match = matchClasses(FER2013_LABELS, classes, (n) => `FER2013 label '${n}' (id ${FER2013_LABELS.indexOf(n as never)})`);
  if (match.missing.length > 0) {
    const list = match.missing.map((c) => `'${c}'`).join(', ');
    throw new DataError(
      `${match.missing.length === 1 ? `class ${list} is` : `classes ${list} are`} not a FER2013 label`,
      file,
      `FER2013's labels are ${FER2013_LABELS.join(', ')}; remove the class from the spec's classes`,
    );
  }
  const labelOf = FER2013_LABELS.map((name) => match.labels.get(name));

  const rows: Record<Split, PendingImage[]> = { train: [], val: [], private: [] };
  const taken: Record<Split, number[]> = { train: [], val: [], private: [] };
  const skipped: SkippedImage[] = [];
  const leftOut = new Array<number>(FER2013_LABELS.length).fill(0);
  let columns: { emotion: number; pixels: number; usage: number } | null = null;
  let lineNo = 0;

  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const fields = splitCsvLine(line);
    if (columns === null) {
      const names = fields.map((f) => f.trim().toLowerCase());
      columns = { emotion: names.indexOf('emotion'), pixels: names.indexOf('pixels'), usage: names.indexOf('usage') };
      if (columns.emotion < 0 || columns.pixels < 0) {
        lines.close();
        throw new DataError(`'${display}' is not a FER2013 CSV: its header has no emotion and pixels columns`, file, FORMAT_HINT);
      }
      continue;
    }
    const origin = `${display}:${lineNo}`;
    const id = Number(fields[columns.emotion]?.trim());
    if (!Number.isInteger(id) || id < 0 || id >= FER2013_LABELS.length) {
      skipped.push({ origin, reason: `emotion '${fields[columns.emotion] ?? ''}' is not a label id 0-6` });
      continue;
    }
    const usage = columns.usage < 0 ? 'training' : (fields[columns.usage] ?? '').trim().toLowerCase();
    const split = USAGE[usage];
    if (split === undefined) {
      skipped.push({ origin, reason: `unknown Usage '${fields[columns.usage] ?? ''}'` });
      continue;
    }
    const label = labelOf[id];
    if (label === undefined) {
      leftOut[id]++;
      continue;
    }
    if (limitPerClass !== undefined && (taken[split][label] ?? 0) >= limitPerClass) continue;
    const pixels = parsePixels(fields[columns.pixels] ?? '');
    if (typeof pixels === 'string') {
      skipped.push({ origin, reason: pixels });
      continue;
    }
    taken[split][label] = (taken[split][label] ?? 0) + 1;
    const side = Math.sqrt(pixels.length);
    rows[split].push({ origin, label, decode: (size) => resizeGrey(pixels, side, side, size, origin) });
  }
  if (columns === null) throw new DataError(`FER2013 file '${display}' is empty`, file, FORMAT_HINT);

  const notes = [...match.notes];
  leftOut.forEach((n, id) => {
    if (n > 0) notes.push(`${n} row(s) of FER2013 label '${FER2013_LABELS[id]}' left out: not in the experiment's classes`);
  });
  let val: PendingImage[] | null = rows.val;
  let test: PendingImage[] | null = null;
  if (rows.val.length === 0 && rows.private.length > 0) {
    val = rows.private;
    notes.push(`'${display}' has no PublicTest rows: its PrivateTest rows are the validation split`);
  } else if (rows.private.length > 0 && withTest) {
    test = rows.private;
  } else if (rows.private.length > 0) {
    notes.push(`${rows.private.length} PrivateTest row(s) not used (FER2013's held-back test split)`);
  }
  if (columns.usage < 0 || val.length === 0) val = null;

  return {
    train: rows.train,
    val,
    test,
    skipped,
    notes,
    display,
    where: file,
    classWhere: (label) => `${display} (label id ${labelOf.indexOf(label)}, ${FER2013_LABELS[labelOf.indexOf(label)]})`,
  };
}
