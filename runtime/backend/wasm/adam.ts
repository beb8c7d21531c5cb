// Adam as one kernel per variable on the wasm backend. tfjs' AdamOptimizer runs about fourteen
// element-wise kernels per variable per step (S1: 172 kernel calls, ~2-13 ms of a 48x48 step, almost
// all of it dispatch, the arrays being small); EmocAdam does the same operations, in the same order
// and with the same f32 roundings, in one SIMD pass (assembly/kernels.ts, adamUpdate) and returns the
// new value and moments, which are assigned as tfjs assigns them. The optimizer keeps tfjs' state
// (moments named `<var>/m`, `<var>/v`, accBeta1/2, iterations), so checkpoints and getWeights/
// setWeights are those of a standard Adam, except that a restore keeps accBeta1/2 bit for bit (see
// setWeights); elsewhere (other backends, no SIMD pool) it is tfjs' own.

import * as tf from '@tensorflow/tfjs-core';
import { f32Bits, ptr, simd, type WasmBackendLike } from './heap.ts';
import type { KernelArgs, TI } from './ops.ts';
import { grainFor } from './simd-kernels.ts';

export const ADAM = 'EmocAdam';

/** Inputs value, m, v, g, accBeta1, accBeta2 -> new value, m, v. */
export function adamKernel({ inputs, backend, attrs }: KernelArgs): TI[] {
  const { value, m, v, g, accBeta1, accBeta2 } = inputs as Record<'value' | 'm' | 'v' | 'g' | 'accBeta1' | 'accBeta2', TI>;
  const { beta1, beta2, epsilon, learningRate } = attrs as Record<'beta1' | 'beta2' | 'epsilon' | 'learningRate', number>;
  const b = backend as WasmBackendLike;
  const pool = simd(b);
  // internal: EmocAdamOptimizer runs this kernel only where fusedAdamAvailable says so.
  if (!pool) throw new Error('EmocAdam needs the wasm SIMD kernel pool');
  const size = tf.util.sizeFromShape(value.shape);
  const [wOut, mOut, vOut] = [0, 1, 2].map(() => b.makeOutput(value.shape, 'float32'));
  // 1 - accBeta as tfjs computes it (a float32 subtraction).
  const c1 = Math.fround(1 - b.typedArrayFromHeap(accBeta1)[0]!);
  const c2 = Math.fround(1 - b.typedArrayFromHeap(accBeta2)[0]!);
  const scalars = [beta1, 1 - beta1, beta2, 1 - beta2, c1, c2, epsilon, -learningRate].map(f32Bits);
  const ptrs = [value, m, v, g, wOut!, mOut!, vOut!].map((t) => ptr(b, t));
  pool.parallel('adamUpdate', size, (_, from, to) => [...ptrs, from, to, ...scalars], grainFor(1));
  return [wOut!, mOut!, vOut!];
}

/** True when the fused kernel can run for these tensors on the active backend. */
function fusedAdamAvailable(ts: tf.Tensor[]): boolean {
  return (
    tf.getBackend() === 'wasm' && simd(tf.backend()) != null && tf.getKernel(ADAM, 'wasm') != null && ts.every((t) => t.dtype === 'float32')
  );
}

type Moment = { originalName: string; variable: tf.Variable };
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Moment[];
  accumulatedSecondMoment: Moment[];
  incrementIterations(): void;
}

/** tfjs' Adam (same class name, config and weights), applied by one fused kernel per variable on wasm. */
export class EmocAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const list: Array<readonly [string, tf.Tensor]> = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor] as const)
      : Object.entries(variableGradients);
    const values = list.map(([name]) => tf.engine().registeredVariables[name]!);
    if (!fusedAdamAvailable([...values, ...list.map(([, g]) => g)])) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamInternals;
    const attrs = { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, learningRate: this.learningRate };
    tf.tidy(() => {
      list.forEach(([name, gradient], i) => {
        const value = values[i]!;
        // The moments start as zeros, created (and named) as tfjs' Adam creates them.
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i]!.variable;
        const v = self.accumulatedSecondMoment[i]!.variable;
        const inputs = { value, m, v, g: gradient, accBeta1: self.accBeta1, accBeta2: self.accBeta2 };
        const [w2, m2, v2] = tf
          .engine()
          .runKernel(ADAM, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
        m.assign(m2!);
        v.assign(v2!);
        value.assign(w2!);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, this.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, this.beta2));
    });
    self.incrementIterations();
  }

  /**
   * tfjs' restore, with accBeta1/2 set to what the updates left them at. tfjs recomputes them as
   * pow(beta, t + 1), but each step multiplies them by beta in float32, and from a few steps on the two
   * differ in the last bits (beta2 = 0.999: at 2 steps, and most counts past 17), which shifts every
   * later update: a run resumed from a checkpoint drifted from the uninterrupted one (val loss in the 7th
   * digit after 20 steps). The product is rebuilt the same way, one float32 multiplication per step.
   */
  override async setWeights(weightValues: Parameters<tf.AdamOptimizer['setWeights']>[0]): Promise<void> {
    await super.setWeights(weightValues);
    const self = this as unknown as AdamInternals;
    const steps = this.iterations;
    tf.tidy(() => {
      self.accBeta1.assign(tf.scalar(accumulatedPower(this.beta1, steps)));
      self.accBeta2.assign(tf.scalar(accumulatedPower(this.beta2, steps)));
    });
  }
}

/** accBeta after `steps` updates: float32(beta), then times float32(beta) once per step, rounded to float32 each time. */
function accumulatedPower(beta: number, steps: number): number {
  const b = Math.fround(beta);
  let acc = b;
  // A float32 product of two float32 values is exact in float64, so fround gives the float32 multiplication.
  for (let i = 0; i < steps; i++) acc = Math.fround(acc * b);
  return acc;
}
