// emoc eval RUN DATA: scores a finished run's model on another labelled data set with the run's own
// preprocessing and test-time views, and keeps the result in the run folder:
//   <run>/eval/<data-name>-<hash>/metrics.json and confusion.json
// (the hash is of the data's absolute path and split, so evaluating the same data again replaces its
// entry and two folders named 'val' do not collide).

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestAug } from '../../compiler/ir.ts';
import { writeJsonAtomic } from '../artifacts/atomic.ts';
import { loadModel } from '../artifacts/model-io.ts';
import { RUN_FILES, safeName } from '../artifacts/run-dir.ts';
import { selectBackend, type BackendPreference } from '../backend/select.ts';
import { defaultCacheRoot } from '../cache/features.ts';
import type { Size } from '../data/decode.ts';
import { decodeSplit } from '../data/load.ts';
import { RunFolderError } from '../errors.ts';
import { readRunIR } from '../predict.ts';
import { presentF1, scoreSet } from './score.ts';
import { scanEvalSource } from './source.ts';

const RUN_HINT = 'pass a run folder whose run finished at least one epoch, e.g. runs/s1/<run-id>';

export interface EvalOptions {
  /** Which split of a folder of splits or a CSV (test, val, train); default: see source.ts. */
  split?: string;
  backend?: BackendPreference;
  cacheDir?: string;
  /** At most this many images per class, the first in file order (as `emoc run --limit-per-class`). */
  limitPerClass?: number;
}

export interface EvalResult {
  /** The folder the metrics and confusion matrix were written to. */
  dir: string;
  /** The data as the user named it, with the split taken. */
  data: string;
  images: number;
  skipped: number;
  classes: string[];
  /** Classes with at least one image in the data: accuracy and macro-F1 are over these. */
  present: string[];
  acc: number;
  /** Macro-F1 over the classes present. */
  f1: number;
  loss: number;
  /** Recall per class in class order; null for a class the data has no images of. */
  recall: (number | null)[];
  testAugment: TestAug;
  confusion: number[][];
  notes: string[];
}

export async function evalRun(runDir: string, dataPath: string, opts: EvalOptions = {}): Promise<EvalResult> {
  const st = fs.statSync(runDir, { throwIfNoEntry: false });
  if (!st) throw new RunFolderError('no such run folder', runDir, RUN_HINT);
  if (!st.isDirectory()) throw new RunFolderError('not a folder', runDir, RUN_HINT);
  const ir = readRunIR(runDir);
  const modelDir = path.join(runDir, RUN_FILES.model);
  if (!fs.existsSync(path.join(modelDir, 'model.json')))
    throw new RunFolderError(`has no trained model (no ${RUN_FILES.model}/model.json)`, runDir, RUN_HINT);

  // The data is checked and decoded before the backend starts: a bad path fails fast.
  const found = await scanEvalSource(dataPath, process.cwd(), ir.data.classes, {
    split: opts.split,
    limitPerClass: opts.limitPerClass,
    strict: true,
  });
  const decoded = await decodeSplit(found.items, found, ir.data.input as Size, { cacheDir: opts.cacheDir ?? defaultCacheRoot() });

  await selectBackend({ prefer: opts.backend ?? 'auto' });
  const model = await loadModel(modelDir);
  let score;
  try {
    score = await scoreSet(ir, model, decoded.set, { cacheDir: opts.cacheDir });
  } finally {
    model.dispose();
  }
  const { confusion } = score;
  const counts = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const present = ir.data.classes.filter((_, i) => counts[i] > 0);
  const recall = confusion.map((row, i) => (counts[i] > 0 ? row[i] / counts[i] : null));

  const key = crypto
    .createHash('sha256')
    .update(`${found.where}\n${opts.split ?? ''}\n${opts.limitPerClass ?? ''}`)
    .digest('hex')
    .slice(0, 8);
  const dir = path.join(runDir, RUN_FILES.eval, `${safeName(path.basename(found.where)) || 'data'}-${key}`);
  fs.mkdirSync(dir, { recursive: true });
  const result: EvalResult = {
    dir,
    data: found.display,
    images: decoded.set.images.length,
    skipped: found.skipped.length + decoded.skipped.length,
    classes: ir.data.classes,
    present,
    acc: score.metrics.acc,
    f1: presentF1(confusion),
    loss: score.metrics.loss,
    recall,
    testAugment: ir.augment.test,
    confusion,
    notes: [...found.notes, ...decoded.notes],
  };
  const { confusion: _matrix, dir: _dir, ...metrics } = result;
  writeJsonAtomic(path.join(dir, 'metrics.json'), {
    run: path.resolve(runDir),
    path: found.where,
    split: opts.split ?? null,
    limitPerClass: opts.limitPerClass ?? null,
    ...metrics,
    evaluatedAt: new Date().toISOString(),
  });
  writeJsonAtomic(path.join(dir, 'confusion.json'), { classes: ir.data.classes, matrix: confusion });
  return result;
}

/** The confusion matrix as a text table: rows are the true class, columns the predicted one. */
export function confusionTable(classes: readonly string[], matrix: readonly (readonly number[])[]): string {
  const short = classes.map((c) => c.slice(0, 8));
  const first = Math.max('true \\ predicted'.length, ...classes.map((c) => c.length));
  const width = Math.max(...short.map((c) => c.length), ...matrix.flat().map((n) => String(n).length));
  const head = `${'true \\ predicted'.padEnd(first)}  ${short.map((c) => c.padStart(width)).join(' ')}`;
  const rows = matrix.map((row, i) => `${classes[i].padEnd(first)}  ${row.map((n) => String(n).padStart(width)).join(' ')}`);
  return [head, ...rows].join('\n');
}
