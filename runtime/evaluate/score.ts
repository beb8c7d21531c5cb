// Scores a trained model on one labelled image set with the run's preprocessing and test-time views
// (the same evaluate() as validation, so a split scored here matches the number training reported).

import type * as tfl from '@tensorflow/tfjs-layers';
import type { ExperimentIR } from '../../compiler/ir.ts';
import { emptySet } from '../data/sets.ts';
import type { ImageSet } from '../data/types.ts';
import type { EventSink, SplitMetrics } from '../events.ts';
import { imageFeed, type Feed } from '../feed.ts';
import { imageFeedIR, isFinetuned } from '../finetune/image-ir.ts';
import { outputsProbabilities } from '../model.ts';
import { evaluate } from '../train.ts';

export interface Score {
  metrics: SplitMetrics;
  /** confusion[true][predicted], in the experiment's class order. */
  confusion: number[][];
}

export async function scoreSet(
  ir: ExperimentIR,
  model: tfl.LayersModel,
  set: ImageSet,
  opts: { cacheDir?: string; sink?: EventSink } = {},
): Promise<Score> {
  // The set goes in as the feed's validation split. Image feeds get an empty training split (nothing is
  // augmented); the feature feed is given the set as both, as predict does, since it extracts both.
  let feed: Feed;
  if (ir.backbone && !isFinetuned(ir)) {
    const { featureFeed } = await import('../backbone-feed.ts');
    feed = await featureFeed(
      ir,
      { classes: ir.data.classes, train: set, val: set, skipped: [], notes: [] },
      { cacheDir: opts.cacheDir, sink: opts.sink ?? (() => {}) },
    );
  } else {
    // A fine-tuned backbone is part of the model: it takes the images (raw pixels, at the data's size).
    feed = imageFeed(imageFeedIR(ir), emptySet(set.height, set.width, set.channels), set);
  }
  try {
    return evaluate(model, feed, 'val', ir.data.classes.length, outputsProbabilities(ir));
  } finally {
    feed.close?.();
  }
}

/** Macro-F1 over the classes that have images (a data set may lack some of the model's classes). */
export function presentF1(confusion: number[][]): number {
  const k = confusion.length;
  let sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    const actual = confusion[c].reduce((a, b) => a + b, 0);
    if (actual === 0) continue;
    present++;
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += confusion[r][c];
    const tp = confusion[c][c];
    const rec = tp / actual;
    const prec = predicted > 0 ? tp / predicted : 0;
    sum += rec + prec > 0 ? (2 * rec * prec) / (rec + prec) : 0;
  }
  return present > 0 ? sum / present : 0;
}
