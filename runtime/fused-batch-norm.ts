// Batch normalisation whose training step is one operation with a hand-written gradient.
//
// tfjs-layers' BatchNormalization trains through tf.moments + tf.batchNorm and lets autodiff derive
// the gradient: about forty element-wise kernels over the whole activation per layer (measured on
// S1's first bn, 32x80x80x64, wasm, 1 thread: ~400 ms of a ~2.2 s step). The closed form needs six:
//   xc = x - mean, s1 = sum(dy), s2 = sum(dy * xc)          (sums over every axis but channels)
//   dbeta = s1, dgamma = s2 * invstd
//   dx = gamma * invstd * (dy - s1/N - xc * s2 * invstd^2 / N)
// Inference and the moving averages are the base layer's, so weights, configs and saved models are
// those of a standard BatchNormalization (only the class name differs, registered below).

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BN_GRAD, BN_TRAIN, wasmBatchNormAvailable } from './backend/wasm/batch-norm.ts';

type BatchNormArgs = NonNullable<Parameters<typeof tfl.layers.batchNormalization>[0]>;
/** tfjs-layers does not export the BatchNormalization class itself, only its factory. */
const BatchNormalizationBase = Object.getPrototypeOf(tfl.layers.batchNormalization({})).constructor as new (
  args: BatchNormArgs,
) => tfl.layers.Layer;

interface BatchNormInternals {
  axis: number;
  epsilon: number;
  momentum: number;
  center: boolean;
  scale: boolean;
  gamma: { read(): tf.Tensor } | null;
  beta: { read(): tf.Tensor } | null;
  movingMean: { read(): tf.Tensor; write(v: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(v: tf.Tensor): void };
}

/** Normalises x over every axis but the last; returns y and, as kept tensors, the batch moments. */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const n = x.size / x.shape[x.shape.length - 1]!;
  let mean: tf.Tensor1D | null = null;
  let variance: tf.Tensor1D | null = null;
  if (x.dtype === 'float32' && wasmBatchNormAvailable(x.shape[x.shape.length - 1]!)) {
    // Same maths in two wasm kernels (runtime/backend/wasm/batch-norm.ts): 5 passes over the
    // activation instead of about ten.
    const op = tf.customGrad((xIn, gammaIn, betaIn, save) => {
      const [y, m, v, invstd] = tf
        .engine()
        .runKernel(BN_TRAIN, { x: xIn as tf.Tensor, gamma: gammaIn as tf.Tensor, beta: betaIn as tf.Tensor }, {
          epsilon,
        } as never) as unknown as tf.Tensor[];
      mean = tf.keep(m as tf.Tensor1D);
      variance = tf.keep(v as tf.Tensor1D);
      (save as (ts: tf.Tensor[]) => void)([xIn as tf.Tensor, m!, invstd!, gammaIn as tf.Tensor]);
      return {
        value: y!,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, mu, is, gm] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
          return tf.engine().runKernel(BN_GRAD, { dy, x: xs, mean: mu, invstd: is, gamma: gm }, {}) as unknown as tf.Tensor[];
        },
      };
    });
    const y = op(x, gamma, beta);
    return { y, mean: mean!, variance: variance! };
  }
  const op = tf.customGrad((xIn, gammaIn, betaIn, save) => {
    const [xv, g, b] = [xIn as tf.Tensor, gammaIn as tf.Tensor1D, betaIn as tf.Tensor1D];
    const m = tf.moments(xv, axes);
    mean = tf.keep(m.mean as tf.Tensor1D);
    variance = tf.keep(m.variance as tf.Tensor1D);
    const invstd = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
    (save as (ts: tf.Tensor[]) => void)([xv, mean, invstd, g]);
    return {
      value: tf.batchNorm(xv, mean, variance, b, g, epsilon),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, is, gm] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const xc = tf.sub(xs, mu);
        const s1 = tf.sum(dy, axes) as tf.Tensor1D;
        const s2 = tf.sum(tf.mul(dy, xc), axes) as tf.Tensor1D;
        const k = tf.mul(gm, is);
        const shift = tf.mul(k, tf.div(s1, n)); // per channel
        const slope = tf.mul(k, tf.mul(tf.square(is), tf.div(s2, n))); // per channel
        const dx = tf.sub(tf.sub(tf.mul(dy, k), tf.mul(xc, slope)), shift);
        return [dx, tf.mul(s2, is), s1];
      },
    };
  });
  const y = op(x, gamma, beta);
  return { y, mean: mean!, variance: variance! };
}

export class FusedBatchNormalization extends BatchNormalizationBase {
  static className = 'EmocBatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BatchNormInternals;
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const lastAxis = self.axis === -1 || self.axis === x.rank - 1;
    // The closed form covers the layer as emoc builds it (channels last, scale and centre on);
    // anything else, and inference, is the base layer's.
    if (!kwargs?.training || !lastAxis || !self.center || !self.scale || !self.gamma || !self.beta) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, self.gamma!.read() as tf.Tensor1D, self.beta!.read() as tf.Tensor1D, self.epsilon);
      // Moving averages exactly as the base layer updates them.
      for (const [v, value] of [
        [self.movingMean, mean],
        [self.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const orig = v.read();
          v.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - self.momentum)));
        });
      }
      tf.dispose([mean, variance]);
      return y;
    });
  }
}
// fromConfig is inherited from the base class at run time; its declared type is lost with the cast above.
tf.serialization.registerClass(
  FusedBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
);
