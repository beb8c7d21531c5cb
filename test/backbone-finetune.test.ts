// Evidence for canFinetune's verdict: a tfjs-converter GraphModel has no trainable variables, so no
// optimizer can update its weights. Uses the small expression model on the cpu backend.

import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { fileModelHandler } from '../runtime/backbones/io.ts';
import { canFinetune, resolveBackboneFile } from '../runtime/backbones/resolve.ts';

describe('fine-tuning graph backbones', () => {
  it('a loaded GraphModel holds its weights as constants, not variables', async () => {
    await tf.setBackend('cpu');
    const file = resolveBackboneFile('expression', null, '.') as { path: string };
    const model = await loadGraphModel(fileModelHandler(file.path));
    const weights = Object.values(model.weights).flat();
    expect(weights.length).toBeGreaterThan(0);
    expect(weights.some((w) => w instanceof tf.Variable)).toBe(false);
    const x = tf.zeros([1, 64, 64, 1]);
    // variableGrads over all registered variables: the graph registered none.
    expect(() => tf.variableGrads(() => tf.sum(model.execute(x, 'Identity') as tf.Tensor) as tf.Scalar)).toThrow(
      /none of the 0 variables is trainable/,
    );
    tf.dispose(x);
    model.dispose();
  });

  it('canFinetune says no, with the reason, for every shipped backbone', () => {
    for (const name of ['faceres', 'mobilefacenet', 'expression', 'graph']) {
      const v = canFinetune(name);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.reason).toMatch(/graph model.*constants, not trainable variables/);
    }
  });
});
