// Classify image files with a finished run's model, using the run's own preprocessing and test-time
// views (ten-crop predictions are averaged, as in evaluation).

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ExperimentIR } from '../compiler/ir.ts';
import { loadModel } from './artifacts/model-io.ts';
import { RUN_FILES } from './artifacts/run-dir.ts';
import { selectBackend, type BackendPreference } from './backend/select.ts';
import { DecodeError, decodeFile } from './data/decode.ts';
import type { ImageSet, LoadedData } from './data/types.ts';
import { RunFolderError } from './errors.ts';
import type { Feed } from './feed.ts';
import { imageFeed } from './feed.ts';
import { imageFeedIR, isFinetuned } from './finetune/image-ir.ts';
import { outputsProbabilities } from './model.ts';

export interface Prediction {
  image: string;
  label: string | null;
  probabilities: Record<string, number>;
  error?: string;
}

const RUN_HINT = 'pass a run folder whose run finished at least one epoch, e.g. runs/s1/<run-id>';

/** Why an image file cannot be used, or null for a failure that is not about the file (a bug: rethrown). */
function unreadable(e: unknown): string | null {
  if (e instanceof DecodeError) return e.reason;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'a folder, not an image';
  if (code === 'EACCES' || code === 'EPERM') return 'no permission to read it';
  return null;
}

export function readRunIR(runDir: string): ExperimentIR {
  const file = path.join(runDir, RUN_FILES.ir);
  if (!fs.existsSync(file)) throw new RunFolderError(`not a run folder (no ${RUN_FILES.ir})`, runDir, RUN_HINT);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ExperimentIR;
  } catch (e) {
    throw new RunFolderError(
      `${RUN_FILES.ir} is not valid JSON (${(e as Error).message})`,
      runDir,
      'the run folder is damaged: train the run again',
    );
  }
}

export async function predict(
  runDir: string,
  images: string[],
  opts: { backend?: BackendPreference; cacheDir?: string },
): Promise<Prediction[]> {
  const modelDir = path.join(runDir, RUN_FILES.model);
  if (!fs.existsSync(path.join(modelDir, 'model.json'))) {
    throw new RunFolderError(`has no trained model (no ${RUN_FILES.model}/model.json)`, runDir, RUN_HINT);
  }
  const ir = readRunIR(runDir);
  await selectBackend({ prefer: opts.backend ?? 'auto' });
  const [h, w, c] = ir.data.input;
  const decoded: Uint8Array[] = [];
  const ok: string[] = [];
  const failed: Prediction[] = [];
  for (const image of images) {
    try {
      decoded.push(await decodeFile(image, [h, w, c]));
      ok.push(image);
    } catch (e) {
      const reason = unreadable(e);
      if (reason === null) throw e;
      failed.push({ image, label: null, probabilities: {}, error: reason });
    }
  }
  const results: Prediction[] = [];
  if (ok.length) {
    const set: ImageSet = { height: h, width: w, channels: c, images: decoded, labels: decoded.map(() => 0), origins: ok };
    const data: LoadedData = { classes: ir.data.classes, train: set, val: set, skipped: [], notes: [] };
    const feed: Feed =
      ir.backbone && !isFinetuned(ir)
        ? await (await import('./backbone-feed.ts')).featureFeed(ir, data, { cacheDir: opts.cacheDir, sink: () => {} })
        : imageFeed(imageFeedIR(ir), set, set);
    const model = await loadModel(modelDir);
    const probabilities = outputsProbabilities(ir);
    const k = ir.data.classes.length;
    const it = feed.evalBatches('val');
    let index = 0;
    for (let r = it.next(); !r.done; r = it.next()) {
      const { x, n, views } = r.value;
      const probs = tf.tidy(() => {
        const out = model.predict(tf.tensor(x, [n * views, ...feed.inputShape])) as tf.Tensor2D;
        const p = probabilities ? out : tf.softmax(out);
        return tf.mean(tf.reshape(p, [n, views, k]), 1).arraySync() as number[][];
      });
      for (const row of probs) {
        const best = row.indexOf(Math.max(...row));
        results.push({
          image: ok[index++],
          label: ir.data.classes[best],
          probabilities: Object.fromEntries(ir.data.classes.map((cl, i) => [cl, row[i]])),
        });
      }
    }
    model.dispose();
  }
  // Keep the order the user gave.
  const byImage = new Map([...results, ...failed].map((p) => [p.image, p]));
  return images.map((i) => byImage.get(i)!);
}
