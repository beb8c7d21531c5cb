// Learning rate of a training step, from the IR's schedule. constant, step, exponential and cosine
// change once per epoch (the lr of a whole epoch is one number, as before warm-up existed); a cosine
// warm-up and onecycle change every batch, so the position is (epoch, batch). The rate is a pure
// function of that position, so a resumed run (which restarts at its checkpoint's epoch and batch)
// follows the same rates as one that was never stopped.

import type { ScheduleIR } from '../compiler/ir.ts';

export interface SchedulePosition {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  batchesPerEpoch: number;
  epochs: number;
}

/** Half a cosine from `from` (p = 0) to `to` (p = 1). */
function anneal(from: number, to: number, p: number): number {
  return to + 0.5 * (from - to) * (1 + Math.cos(Math.PI * p));
}

export function learningRate(base: number, schedule: ScheduleIR, at: SchedulePosition): number {
  const { epoch, epochs } = at;
  const perEpoch = Math.max(1, at.batchesPerEpoch);
  const step = epoch * perEpoch + at.batch;
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'step':
      return base * schedule.gamma ** Math.floor(epoch / schedule.every);
    case 'exponential':
      return base * schedule.gamma ** epoch;
    case 'cosine': {
      // The compiler keeps warmup below epochs (E072); `run --epochs N` can lower epochs afterwards,
      // so at least the last epoch stays cosine.
      const warmup = Math.min(schedule.warmup, Math.max(0, epochs - 1));
      // Linear from base/steps on the first batch to base on the last batch of the warm-up.
      if (epoch < warmup) return (base * (step + 1)) / (warmup * perEpoch);
      // PyTorch's CosineAnnealingLR over the cosine's epochs (T_max = span): the first is at the full rate
      // and the last one still above `min`. (Reaching `min` on the last epoch, as emoc did before, spent
      // that whole epoch at min: with the default min 0 it trained nothing, and a 1-epoch run not at all.)
      const span = epochs - warmup;
      return anneal(base, schedule.minLr, (epoch - warmup) / span);
    }
    case 'onecycle': {
      // PyTorch's OneCycleLR (anneal_strategy='cos'), with the optimizer's lr as the peak.
      const last = epochs * perEpoch - 1;
      const peakAt = schedule.rise * last;
      const initial = base / schedule.div;
      if (step <= peakAt) return anneal(initial, base, peakAt > 0 ? step / peakAt : 1);
      return anneal(base, initial / schedule.finalDiv, (step - peakAt) / (last - peakAt));
    }
  }
}
