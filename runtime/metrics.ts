// Classification metrics from a confusion matrix: accuracy, macro-F1, per-class recall. Pure numbers.

import type { SplitMetrics } from './events.ts';

export function emptyConfusion(k: number): number[][] {
  return Array.from({ length: k }, () => new Array<number>(k).fill(0));
}

/** confusion[true][predicted] += 1 for each pair. */
export function addToConfusion(confusion: number[][], truth: ArrayLike<number>, predicted: ArrayLike<number>): void {
  for (let i = 0; i < truth.length; i++) confusion[truth[i]][predicted[i]] += 1;
}

export function metricsFromConfusion(confusion: number[][], loss: number): SplitMetrics {
  const k = confusion.length;
  let correct = 0;
  let total = 0;
  const recall: number[] = [];
  let f1Sum = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c][c];
    const actual = confusion[c].reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += confusion[r][c];
    correct += tp;
    total += actual;
    const rec = actual > 0 ? tp / actual : 0;
    const prec = predicted > 0 ? tp / predicted : 0;
    recall.push(rec);
    f1Sum += rec + prec > 0 ? (2 * rec * prec) / (rec + prec) : 0;
  }
  return { loss, acc: total > 0 ? correct / total : 0, f1: k > 0 ? f1Sum / k : 0, recall };
}
