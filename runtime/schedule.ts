// Learning rate for an epoch (0-based), from the IR's schedule.

import type { ScheduleIR } from '../compiler/ir.ts';

export function learningRate(base: number, schedule: ScheduleIR, epoch: number, epochs: number): number {
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'step':
      return base * schedule.gamma ** Math.floor(epoch / schedule.every);
    case 'exponential':
      return base * schedule.gamma ** epoch;
    case 'cosine': {
      const t = epochs > 1 ? epoch / (epochs - 1) : 1;
      return schedule.minLr + 0.5 * (base - schedule.minLr) * (1 + Math.cos(Math.PI * t));
    }
  }
}
