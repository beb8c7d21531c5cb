// FILE#point selects sweep points (or an experiment) by name: exact, or by the sweep point label.

import type { ExperimentIR } from '../compiler/ir.ts';
import { didYouMean } from '../compiler/suggest.ts';
import { UserError } from './errors.ts';

export function selectPoints(experiments: ExperimentIR[], fileWithPoint: string): ExperimentIR[] {
  const hash = fileWithPoint.indexOf('#');
  if (hash < 0) return experiments;
  const wanted = fileWithPoint.slice(hash + 1);
  const found = experiments.filter((e) => e.name === wanted || e.sweep?.point === wanted);
  if (found.length === 0) {
    const names = experiments.map((e) => e.sweep?.point ?? e.name);
    throw new UserError(
      `no experiment or sweep point '${wanted}' in ${fileWithPoint.slice(0, hash)}`,
      didYouMean(wanted, names, `choose one of: ${names.join(', ')}`),
      2,
    );
  }
  return found;
}
