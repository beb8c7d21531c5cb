// The training loop: epochs of batches from a Feed, the IR's optimizer, schedule, class weights and
// early stopping, metrics per epoch, checkpoints, and a clean stop between batches when asked.
// It emits events and knows nothing of terminals.

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ExperimentIR, Metric } from '../compiler/ir.ts';
import { DivergedError } from './errors.ts';
import type { EpochEvent, EventSink, RunStatus, SplitMetrics } from './events.ts';
import type { Feed } from './feed.ts';
import { addToConfusion, emptyConfusion, metricsFromConfusion } from './metrics.ts';
import { outputsProbabilities, setDropoutStep } from './model.ts';
import { learningRate } from './schedule.ts';
import { TrainStep, type StepRecipe } from './train-step.ts';
import { BACKBONE_LAYER } from './finetune/image-ir.ts';
import { makeOptimizer as makeIrOptimizer, setLearningRate } from './optim/make.ts';

/** Everything needed to continue a run exactly where it stopped. */
export interface TrainState {
  /** 0-based epoch in progress (or next to start). */
  epoch: number;
  /** Batches of `epoch` already done. */
  batch: number;
  /** Running training statistics of the epoch in progress. */
  running: { lossSum: number; samples: number; confusion: number[][] };
  history: EpochEvent[];
  bestEpoch: number | null;
  bestScore: number | null;
  /** Epochs since the early-stopping metric last improved. */
  stale: number;
  elapsedMs: number;
}

export function initialState(classes: number): TrainState {
  return {
    epoch: 0,
    batch: 0,
    running: { lossSum: 0, samples: 0, confusion: emptyConfusion(classes) },
    history: [],
    bestEpoch: null,
    bestScore: null,
    stale: 0,
    elapsedMs: 0,
  };
}

export interface TrainHooks {
  sink: EventSink;
  /** Polled between batches: true asks the loop to stop after the current batch. */
  shouldStop: () => boolean;
  /** Persist model, optimizer and state (end of each epoch, and when stopping). */
  checkpoint: (state: TrainState) => Promise<void>;
  /** Called when an epoch is the best so far: keep these weights as the run's model. */
  onBest: (epoch: number) => Promise<void>;
  /** Called after each epoch with its metrics (metrics.jsonl). */
  onEpoch: (event: EpochEvent) => void;
}

export interface TrainResult {
  status: RunStatus;
  state: TrainState;
}

export function makeOptimizer(ir: ExperimentIR): tf.Optimizer {
  return makeIrOptimizer(ir.train.optimizer);
}

/** Per-class loss weights in class order. */
export function classWeightVector(ir: ExperimentIR, labels: number[]): number[] {
  const k = ir.data.classes.length;
  const cw = ir.train.classWeights;
  if (cw === 'none') return new Array(k).fill(1);
  if (cw === 'balanced') {
    const counts = new Array(k).fill(0);
    for (const l of labels) counts[l] += 1;
    return counts.map((c) => (c > 0 ? labels.length / (k * c) : 0));
  }
  return ir.data.classes.map((c) => cw[c] ?? 1);
}

function score(metric: Metric, m: SplitMetrics): number {
  return metric === 'val_loss' ? -m.loss : metric === 'val_f1' ? m.f1 : m.acc;
}

/** Predictions on a split: views averaged per sample; returns metrics and the confusion matrix. */
export function evaluate(
  model: tfl.LayersModel,
  feed: Feed,
  split: 'train' | 'val',
  classes: number,
  probabilities: boolean,
): { metrics: SplitMetrics; confusion: number[][] } {
  const confusion = emptyConfusion(classes);
  let lossSum = 0;
  let samples = 0;
  const it = feed.evalBatches(split);
  for (let r = it.next(); !r.done; r = it.next()) {
    const { x, y, n, views } = r.value;
    const [loss, pred] = tf.tidy(() => {
      const input = tf.tensor(x, [n * views, ...feed.inputShape]);
      let out = model.predict(input) as tf.Tensor2D;
      let probs = probabilities ? out : tf.softmax(out);
      if (views > 1) probs = tf.mean(tf.reshape(probs, [n, views, classes]), 1) as tf.Tensor2D;
      const oneHot = tf.oneHot(tf.tensor1d(y, 'int32'), classes) as tf.Tensor2D;
      const l = tf.sum(tf.neg(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(probs, 1e-7, 1))), -1)));
      out = probs;
      return [l.dataSync()[0], tf.argMax(out, -1).dataSync()];
    });
    lossSum += loss;
    samples += n;
    addToConfusion(confusion, y, pred as Int32Array);
  }
  return { metrics: metricsFromConfusion(confusion, samples ? lossSum / samples : 0), confusion };
}

/** A fine-tuned backbone's variables and their rate multiplier (`finetune N lr=F`) in `epoch` (0-based):
 * 0 while the head trains alone (`after=E`); none for a model without one. */
function backboneRate(ir: ExperimentIR, model: tfl.LayersModel, epoch: number): StepRecipe['scaled'] {
  if (!ir.backbone || ir.backbone.frozen) return undefined;
  const layer = model.layers.find((l) => l.name === BACKBONE_LAYER);
  if (!layer) return undefined;
  // The blocks' gradients are still computed while the factor is 0: the optimizer's moments for them are
  // then warm when they start to train, instead of starting from zero mid-run.
  const factor = epoch < (ir.backbone.frozenEpochs ?? 0) ? 0 : (ir.backbone.lrScale ?? 1);
  return { names: layer.trainableWeights.map((w) => (w.read() as tf.Variable).name), factor };
}

export async function train(
  ir: ExperimentIR,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  feed: Feed,
  state: TrainState,
  hooks: TrainHooks,
): Promise<TrainResult> {
  const k = ir.data.classes.length;
  const probabilities = outputsProbabilities(ir);
  // A run folder written before label smoothing and clipping existed has neither field: both off.
  const recipe = {
    labelSmoothing: ir.train.labelSmoothing ?? 0,
    clipNorm: ir.train.clipNorm ?? null,
    scaled: backboneRate(ir, model, state.epoch),
  };
  const step = new TrainStep(model, optimizer, classWeightVector(ir, feed.trainLabels), probabilities, feed.inputShape, recipe);
  const { epochs } = ir.train;
  const metric: Metric = ir.train.earlyStop?.metric ?? 'val_acc';
  const started = Date.now() - state.elapsedMs;
  let status: RunStatus = 'finished';

  try {
    outer: for (; state.epoch < epochs; state.epoch++) {
      recipe.scaled = backboneRate(ir, model, state.epoch);
      // The rate is set before every batch (warm-up and onecycle change per batch); the epoch's event
      // records the rate of its last batch.
      const lrAt = (batch: number) =>
        learningRate(ir.train.optimizer.lr, ir.train.schedule, {
          epoch: state.epoch,
          batch,
          batchesPerEpoch: feed.batchesPerEpoch,
          epochs,
        });
      let lr = lrAt(state.batch);
      const batches = feed.trainBatches(state.epoch + 1);
      for (let skip = 0; skip < state.batch; skip++) await batches.next();
      let windowStart = Date.now();
      let windowImages = 0;
      const timing = { inputMs: 0, stepMs: 0 };
      let inputStart = performance.now();
      for (let r = await batches.next(); !r.done; r = await batches.next()) {
        const stepStart = performance.now();
        timing.inputMs += stepStart - inputStart;
        const { x, y, n } = r.value;
        setDropoutStep(state.epoch * 100003 + state.batch);
        lr = lrAt(state.batch);
        setLearningRate(optimizer, lr);
        const { loss: lossValue, predicted } = step.run(x, y, n);
        timing.stepMs += performance.now() - stepStart;
        if (!Number.isFinite(lossValue)) {
          const lr = ir.train.optimizer.lr;
          throw new DivergedError(
            `the training loss became ${lossValue} at epoch ${state.epoch + 1}, batch ${state.batch + 1}`,
            ir.file,
            `lower the learning rate (now ${ir.train.optimizer.kind} lr=${lr}), e.g. to lr=${lr / 10}`,
          );
        }
        state.running.lossSum += lossValue * n;
        state.running.samples += n;
        addToConfusion(state.running.confusion, y, predicted);
        state.batch += 1;
        windowImages += n;
        const now = Date.now();
        const running = metricsFromConfusion(state.running.confusion, state.running.lossSum / state.running.samples);
        hooks.sink({
          type: 'batch',
          epoch: state.epoch + 1,
          batch: state.batch,
          batches: feed.batchesPerEpoch,
          loss: running.loss,
          acc: running.acc,
          imagesPerSec: windowImages / Math.max(1e-3, (now - windowStart) / 1000),
          elapsedMs: now - started,
        });
        if (now - windowStart > 5000) {
          windowStart = now;
          windowImages = 0;
        }
        // Let timers, key presses and signals run (the dashboard's redraw, Ctrl-C): a batch is
        // synchronous tensor work that would otherwise hold the event loop for the whole epoch.
        await new Promise((resolve) => setImmediate(resolve));
        if (hooks.shouldStop()) {
          status = 'interrupted';
          break outer;
        }
        inputStart = performance.now();
      }

      const trainMetrics = metricsFromConfusion(state.running.confusion, state.running.lossSum / Math.max(1, state.running.samples));
      const { metrics: valMetrics } = evaluate(model, feed, 'val', k, probabilities);
      const s = score(metric, valMetrics);
      const minDelta = ir.train.earlyStop?.minDelta ?? 0;
      const best = state.bestScore === null || s > state.bestScore + minDelta;
      if (best) {
        state.bestScore = s;
        state.bestEpoch = state.epoch + 1;
        state.stale = 0;
        await hooks.onBest(state.epoch + 1);
      } else state.stale += 1;
      const event: EpochEvent = {
        type: 'epoch',
        epoch: state.epoch + 1,
        epochs,
        train: trainMetrics,
        val: valMetrics,
        lr,
        best,
        elapsedMs: Date.now() - started,
        timing,
      };
      state.history.push(event);
      hooks.onEpoch(event);
      hooks.sink(event);
      state.batch = 0;
      state.running = { lossSum: 0, samples: 0, confusion: emptyConfusion(k) };
      const stopEarly = ir.train.earlyStop !== null && state.stale >= ir.train.earlyStop.patience;
      state.elapsedMs = Date.now() - started;
      if (stopEarly) {
        state.epoch += 1;
        status = 'early-stopped';
        hooks.sink({
          type: 'log',
          level: 'info',
          message: `early stop: ${metric} has not improved for ${state.stale} epochs (best epoch ${state.bestEpoch})`,
        });
        break;
      }
      if (state.epoch + 1 < epochs) await hooks.checkpoint({ ...state, epoch: state.epoch + 1 });
      if (hooks.shouldStop()) {
        state.epoch += 1;
        status = state.epoch >= epochs ? 'finished' : 'interrupted';
        break;
      }
    }
  } finally {
    step.dispose();
  }
  state.elapsedMs = Date.now() - started;
  if (status === 'interrupted') await hooks.checkpoint(state);
  return { status, state };
}
