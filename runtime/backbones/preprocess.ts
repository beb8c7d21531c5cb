// Turns a batch of raw pixels into what each backbone was trained on.
// Input: float32 [n, h, w, c] holding uint8 pixel values 0..255 in RGB (c = 3) or grey (c = 1) order,
// already at the backbone's spatial size. Output: float32 [n, h, w, modelChannels].
//
// What @vladmandic/human itself feeds its models (read in node_modules/@vladmandic/human/src):
// - faceres: face crops are divided by 255 in src/face/facemeshutil.ts:54 and multiplied back by 255 in
//   src/face/faceres.ts:46 (`tf.mul(crop, constants.tf255)`), so the model sees plain RGB 0..255: 'raw'.
//   The HSE authors' recipe is BGR minus the caffe means: 'caffe'. 'unit' (RGB/255) is kept because the
//   registry names it, but neither the package nor the authors use it.
// - expression: src/gear/emotion.ts:69-72 takes RGB in 0..1, weights it by [0.2989, 0.5870, 0.1140]
//   (src/tfjs/constants.ts:10), sums the channels, then (g - 0.5) * 2: 'grey'.
// - mobilefacenet: (x - 127.5) / 128: 'fixed'.

import * as tf from '@tensorflow/tfjs-core';
import { NotRunnableError } from '../errors.ts';

type Prep = (x: tf.Tensor4D, modelChannels: number) => tf.Tensor4D;

const CAFFE_BGR_MEANS = [103.939, 116.779, 123.68];
const LUMA_RGB = [0.2989, 0.587, 0.114];

/** Grey data for a colour network: repeat the channel, as a grey photo would look in RGB. */
function toRgb(x: tf.Tensor4D): tf.Tensor4D {
  return x.shape[3] === 3 ? x : tf.tile(x, [1, 1, 1, 3]);
}

/** Luma on 0..255 values, the same weights the package uses; grey data passes through. */
function toGrey(x: tf.Tensor4D): tf.Tensor4D {
  if (x.shape[3] === 1) return x;
  return tf.sum(tf.mul(x, tf.tensor1d(LUMA_RGB)), 3, true) as tf.Tensor4D;
}

/** Colour or grey to what the network takes (a user's converted graph may take either). */
function matchChannels(x: tf.Tensor4D, c: number): tf.Tensor4D {
  return c === 1 ? toGrey(x) : toRgb(x);
}

const PREPROCESSORS: Record<string, Prep> = {
  raw: (x, c) => matchChannels(x, c),
  // A user-converted graph with no stated preprocessing gets the pixels as they are.
  none: (x, c) => matchChannels(x, c),
  unit: (x, c) => tf.div(matchChannels(x, c), 255),
  caffe: (x) => tf.sub(tf.reverse(toRgb(x), 3), tf.tensor1d(CAFFE_BGR_MEANS)),
  fixed: (x, c) => tf.div(tf.sub(matchChannels(x, c), 127.5), 128),
  // Per-image standardisation, as runtime/data/preprocess.ts 'whiten' does (std floored at 1/sqrt(N)
  // like tf.image.per_image_standardization, so a flat image becomes zeros, not NaN).
  whiten: (x, c) => {
    const y = matchChannels(x, c);
    const { mean, variance } = tf.moments(y, [1, 2, 3], true);
    const floor = 1 / Math.sqrt(y.shape[1] * y.shape[2] * y.shape[3]);
    return tf.div(tf.sub(y, mean), tf.maximum(tf.sqrt(variance), floor));
  },
  grey: (x, c) => {
    // (g/255 - 0.5) * 2 == g/127.5 - 1, as src/gear/emotion.ts does on 0..1 input.
    const g = tf.sub(tf.div(toGrey(x), 127.5), 1) as tf.Tensor4D;
    return c === 3 ? toRgb(g) : g;
  },
};

const PREPROCESS_NAMES = Object.keys(PREPROCESSORS);

/** Applies preprocessing `name`; call inside tf.tidy. Throws on a name this module does not know. */
export function preprocess(name: string, x: tf.Tensor4D, modelChannels: number): tf.Tensor4D {
  const fn = PREPROCESSORS[name];
  // The compiler accepts only the names a backbone takes; this guards an IR that did not come through it.
  if (!fn) throw new NotRunnableError(`unknown backbone preprocessing '${name}'`, '', `use one of ${PREPROCESS_NAMES.join(', ')}`);
  const y = fn(x, modelChannels);
  if (y.shape[3] !== modelChannels) {
    // A user-converted graph model can take a channel count its preprocessing does not give.
    throw new NotRunnableError(
      `backbone preprocessing '${name}' gives ${y.shape[3]} channels; the backbone model takes ${modelChannels}`,
      '',
      `choose the backbone's preprocess that gives ${modelChannels} channel${modelChannels === 1 ? '' : 's'}`,
    );
  }
  return y;
}
