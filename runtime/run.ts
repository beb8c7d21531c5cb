// One experiment, end to end: backend, data, model, training, artifacts. Resumable from a checkpoint.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ExperimentIR } from '../compiler/ir.ts';
import { appendLineAtomic, replaceDirAtomic, writeFileAtomic, writeJsonAtomic } from './artifacts/atomic.ts';
import { loadModel, loadTensors, saveModel, saveTensors } from './artifacts/model-io.ts';
import { makeRunFolder, newRunId, readSummary, RUN_FILES, safeName, type RunSummary } from './artifacts/run-dir.ts';
import { currentBackendThreads, selectBackend, type BackendInfo, type BackendPreference } from './backend/select.ts';
import { defaultCacheRoot } from './cache/features.ts';
import { generateBuiltinFaces } from './data/builtin-faces.ts';
import { writeContactSheet } from './preview.ts';
import { loadData } from './data/load.ts';
import { countPerClass } from './data/sets.ts';
import type { LoadedData } from './data/types.ts';
import type { EventSink, RunStatus } from './events.ts';
import { imageFeed, type Feed } from './feed.ts';
import { imageFeedIR, isFinetuned } from './finetune/image-ir.ts';
import { buildModel, outputsProbabilities } from './model.ts';
import { assertResumable, readCheckpointState, restoreFromCheckpoint } from './resume.ts';
import { evaluate, initialState, makeOptimizer, train, type TrainState } from './train.ts';
import { scoreSet } from './evaluate/score.ts';

export interface RunOptions {
  ir: ExperimentIR;
  specText: string;
  /** Where run folders go (default: runs/ in the working directory). */
  runsDir?: string;
  /** Explicit run folder (sweeps place points inside their sweep folder). */
  runDir?: string;
  backend?: BackendPreference;
  threads?: number;
  sink: EventSink;
  shouldStop: () => boolean;
  /** Continue the interrupted run in this folder. */
  resume?: string;
  /** Quick runs and tests: at most this many images per class per split (real data). */
  limitPerClass?: number;
  /** Where feature caches live (backbone experiments). */
  cacheDir?: string;
}

export interface RunOutcome {
  status: RunStatus;
  runDir: string;
  summary: RunSummary;
}

/** The generator loadData calls for `source builtin:faces`. */
function builtinImages(d: ExperimentIR['data']) {
  const [height, width, channels] = d.input;
  // internal: loadData calls this only for a builtin source, so another kind here is a bug in the caller.
  if (d.source.kind !== 'builtin') throw new Error('not a builtin source');
  return generateBuiltinFaces({
    images: d.source.images,
    height,
    width,
    channels: channels as 1 | 3,
    classes: d.classes,
    valSplit: d.valSplit,
  });
}

async function loadExperimentData(
  ir: ExperimentIR,
  opts: { limitPerClass?: number; onProgress?: (done: number, total: number) => void; cacheDir?: string },
): Promise<LoadedData> {
  return loadData(ir.data, {
    baseDir: path.dirname(ir.file),
    seed: ir.train.seed,
    builtin: builtinImages,
    limitPerClass: opts.limitPerClass,
    onProgress: opts.onProgress,
    // Decoded image files are cached beside the backbone features, so a second run skips decoding.
    cacheDir: opts.cacheDir ?? defaultCacheRoot(),
  });
}

function envInfo(backend: BackendInfo) {
  return {
    backend,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

export async function runExperiment(opts: RunOptions): Promise<RunOutcome> {
  const { ir, sink } = opts;
  const resuming = opts.resume !== undefined;
  const runDir = opts.resume ?? opts.runDir ?? path.join(opts.runsDir ?? 'runs', safeName(ir.name), newRunId());
  const runId = path.basename(runDir);
  const startedAt = new Date().toISOString();
  // A folder that cannot be resumed is refused before anything in it (a finished run's files) is touched.
  if (resuming) assertResumable(runDir, ir);
  const backend = await selectBackend({ prefer: opts.backend ?? 'auto', threads: opts.threads });
  // Data problems (a missing folder, an empty class) stop here, before a run folder exists.
  const data = await loadExperimentData(ir, { limitPerClass: opts.limitPerClass, cacheDir: opts.cacheDir });
  makeRunFolder(runDir);
  if (!resuming) {
    writeFileAtomic(path.join(runDir, RUN_FILES.spec), opts.specText);
    writeJsonAtomic(path.join(runDir, RUN_FILES.ir), ir);
  }
  writeJsonAtomic(path.join(runDir, RUN_FILES.env), envInfo(backend));

  const k = ir.data.classes.length;
  let state: TrainState = initialState(k);
  const summaryOf = (status: RunStatus, extra: Partial<RunSummary>): RunSummary => ({
    experiment: ir.sweep?.sweep ?? ir.name,
    point: ir.sweep?.point ?? null,
    runId,
    status,
    bestEpoch: state.bestEpoch,
    epochsRun: state.history.length,
    train: null,
    val: null,
    classes: ir.data.classes,
    confusion: [],
    elapsedMs: state.elapsedMs,
    backend: { name: backend.name, threads: backend.threads },
    startedAt,
    finishedAt: new Date().toISOString(),
    ...extra,
  });

  let model: tfl.LayersModel | null = null;
  let optimizer: tf.Optimizer | null = null;
  let feed: Feed | null = null;
  try {
    sink({
      type: 'log',
      level: 'info',
      message: `backend ${backend.name}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}${backend.simd ? ', SIMD' : ''}${backend.emocKernels ? `, emoc kernels (${backend.emocKernels})` : ''}`,
    });
    for (const note of data.notes) sink({ type: 'log', level: 'info', message: note });
    for (const s of data.skipped) sink({ type: 'log', level: 'warn', message: `skipped ${s.origin}: ${s.reason}` });
    if (data.skipped.length) writeJsonAtomic(path.join(runDir, 'skipped.json'), data.skipped);
    // What the augment section does to the training images, for report.html; a sheet that cannot be
    // drawn is noted and never stops the run.
    if (!resuming) {
      await writeContactSheet(path.join(runDir, RUN_FILES.augment), ir, data).catch((e: Error) =>
        sink({ type: 'log', level: 'warn', message: `no augmentation contact sheet: ${e.message}` }),
      );
    }

    feed = await makeFeed(ir, data, opts);
    optimizer = makeOptimizer(ir);
    if (resuming) {
      const ckpt = path.join(runDir, RUN_FILES.checkpoint);
      state = readCheckpointState<TrainState>(runDir);
      // The checkpoint's history is the record of finished epochs: a line written after the last checkpoint
      // (a kill between the epoch's line and its checkpoint) is dropped, as that epoch runs again.
      writeFileAtomic(path.join(runDir, RUN_FILES.metrics), state.history.map((e) => `${JSON.stringify(e)}\n`).join(''));
      model = await loadModel(path.join(ckpt, 'model'));
      const o = optimizer;
      await restoreFromCheckpoint(runDir, 'optimizer state', () => restoreOptimizer(o, path.join(ckpt, 'optimizer')));
    } else if (isFinetuned(ir)) {
      const { buildFinetuneModel } = await import('./finetune/build.ts');
      model = await buildFinetuneModel(ir);
    } else {
      model = buildModel(ir, feed.inputShape[0]);
    }

    const params = model.countParams();
    const trainable = model.trainableWeights.reduce((a, w) => a + (w.shape as number[]).reduce((x, y) => x * y, 1), 0);
    sink({
      type: 'start',
      runId,
      runDir,
      experiment: ir.sweep?.sweep ?? ir.name,
      point: ir.sweep?.point ?? null,
      source: ir.data.source.kind === 'builtin' ? `builtin:${ir.data.source.name}` : ir.data.source.path,
      classes: ir.data.classes,
      counts: { train: countPerClass(data.train, k), val: countPerClass(data.val, k) },
      skipped: data.skipped.length,
      backend: { name: backend.name, threads: backend.threads },
      params: { total: params, trainable },
      epochs: ir.train.epochs,
      batchSize: ir.train.batchSize,
      batchesPerEpoch: feed.batchesPerEpoch,
      viewsPerEpoch: feed.viewsPerEpoch,
      resumedFromEpoch: resuming ? state.epoch + 1 : null,
      time: startedAt,
    });

    const m = model;
    const o = optimizer;
    const result = await train(ir, m, o, feed, state, {
      sink,
      shouldStop: opts.shouldStop,
      onEpoch: (e) => appendLineAtomic(path.join(runDir, RUN_FILES.metrics), JSON.stringify(e)),
      onBest: async () => replaceDirAtomic(path.join(runDir, RUN_FILES.model), (tmp) => saveModel(m, tmp)),
      checkpoint: async (s) =>
        replaceDirAtomic(path.join(runDir, RUN_FILES.checkpoint), async (tmp) => {
          await saveModel(m, path.join(tmp, 'model'));
          await saveTensors(await o.getWeights(), path.join(tmp, 'optimizer'));
          writeJsonAtomic(path.join(tmp, 'state.json'), s);
        }),
    });
    state = result.state;

    // Final numbers come from the best epoch's weights (the saved model), as early stopping intends.
    let confusion: number[][] = [];
    let val = null;
    let trainMetrics = null;
    let test = null;
    let testConfusion: number[][] = [];
    if (fs.existsSync(path.join(runDir, RUN_FILES.model, 'model.json'))) {
      const best = await loadModel(path.join(runDir, RUN_FILES.model));
      const evaluated = evaluate(best, feed, 'val', k, outputsProbabilities(ir));
      confusion = evaluated.confusion;
      val = evaluated.metrics;
      // The test split is scored here only, once, with the chosen weights: it never steers training.
      if (data.test && data.test.images.length > 0) {
        const scored = await scoreSet(ir, best, data.test, { cacheDir: opts.cacheDir, sink });
        test = scored.metrics;
        testConfusion = scored.confusion;
        writeJsonAtomic(path.join(runDir, RUN_FILES.testConfusion), { classes: ir.data.classes, matrix: scored.confusion });
        sink({
          type: 'log',
          level: 'info',
          message: `test (${data.test.images.length} images): acc ${(100 * test.acc).toFixed(2)}%, macro-F1 ${test.f1.toFixed(3)}, loss ${test.loss.toFixed(4)}`,
        });
      }
      trainMetrics = state.history.find((e) => e.epoch === state.bestEpoch)?.train ?? null;
      best.dispose();
      writeJsonAtomic(path.join(runDir, RUN_FILES.confusion), { classes: ir.data.classes, matrix: confusion });
    }
    const summary = summaryOf(result.status, { train: trainMetrics, val, confusion, ...(test ? { test, testConfusion } : {}) });
    writeJsonAtomic(path.join(runDir, RUN_FILES.summary), summary);
    if (result.status !== 'interrupted') fs.rmSync(path.join(runDir, RUN_FILES.checkpoint), { recursive: true, force: true });
    sink({
      type: 'end',
      status: result.status,
      runDir,
      bestEpoch: state.bestEpoch,
      epochsRun: state.history.length,
      confusion,
      val,
      train: trainMetrics,
      elapsedMs: state.elapsedMs,
    });
    return { status: result.status, runDir, summary };
  } catch (e) {
    const message = (e as Error).message;
    const prior = readSummary(runDir);
    const summary = summaryOf('failed', { message, train: prior?.train ?? null, val: prior?.val ?? null });
    writeJsonAtomic(path.join(runDir, RUN_FILES.summary), summary);
    sink({
      type: 'end',
      status: 'failed',
      runDir,
      bestEpoch: state.bestEpoch,
      epochsRun: state.history.length,
      confusion: [],
      val: null,
      train: null,
      elapsedMs: state.elapsedMs,
      message,
    });
    throw e;
  } finally {
    feed?.close?.();
    model?.dispose();
    optimizer?.dispose();
  }
}

async function restoreOptimizer(optimizer: tf.Optimizer, file: string): Promise<void> {
  const saved = loadTensors(file);
  // A plain SGD optimizer has no slots to restore.
  if (saved.length === 0) return;
  await optimizer.setWeights(saved);
}

/**
 * Whether to build training batches ahead on a worker thread: only when a core is left over by the
 * backend's threads (EMOC_PREFETCH=1 or 0 forces it). Measured on 2 cores, one epoch of 10-crop S1:
 * with one wasm thread, prefetching takes the input wait from 2.6% to ~1.8% and the epoch 3% faster;
 * with both cores computing, the worker preempts a compute thread and the epoch gets ~4% slower.
 */
export function prefetchBatches(computeThreads: number, cores = os.availableParallelism(), env = process.env.EMOC_PREFETCH): boolean {
  if (env === '1' || env === '0') return env === '1';
  return cores > computeThreads;
}

async function makeFeed(ir: ExperimentIR, data: LoadedData, opts: RunOptions): Promise<Feed> {
  if (ir.backbone && !isFinetuned(ir)) {
    const { featureFeed } = await import('./backbone-feed.ts');
    return featureFeed(ir, data, { cacheDir: opts.cacheDir, sink: opts.sink });
  }
  const prefetch = prefetchBatches(currentBackendThreads());
  if (prefetch) opts.sink({ type: 'log', level: 'info', message: 'training batches built ahead on a worker thread' });
  // A fine-tuned backbone runs on every batch, so it is fed images (every augmentation works with it).
  return imageFeed(imageFeedIR(ir), data.train, data.val, { prefetch });
}
