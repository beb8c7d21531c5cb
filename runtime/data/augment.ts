// Augmentation as *views*: a view is a crop window (y, x) of the network's input size plus a mirror
// flag. Views are descriptions, not pixels; the batch builder copies each view's pixels straight into
// the batch buffer (`writeView`), so memory does not grow with the augmentation factor.
//
// Training views per image:
//   (nothing)          1  the whole image (or its centre crop when only the test aug crops, see below)
//   flip               2  original, mirrored
//   tencrop s          10 the 4 corners and the centre, then the same 5 mirrored (a flip adds nothing:
//                         the mirrors are already there, and doubling would only repeat views)
//   randomcrop s       1  per image per epoch at a random offset; with flip also a random mirror
//                         (it stays one stochastic view per epoch, as in the usual "random crop + flip")
// The network input is the crop size when training crops. When only the *test* aug is tencrop s,
// training uses the centre s crop, so train and test views have the same size.
//
// Test-time views: tencrop s gives the 10 views above (the trainer averages their predictions);
// none gives 1 view, the centre crop of the network size (the whole image when they are equal).
//
// The random augmentations (rotate, zoom, shift, brightness, contrast, erase) do not add views: each
// training view above draws its own (augment-random.ts) and is rendered in one resampling pass
// (augment-warp.ts) instead of being copied by writeView.

import type { CropKind, TestAug, TrainAug } from '../../compiler/ir.ts';
import { Rng } from '../rng.ts';
import { NotRunnableError } from '../errors.ts';

/** One HWC uint8 image with its geometry. */
export interface RawImage {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

/** A crop window of the network's size at (y, x), optionally mirrored left-right. */
export interface View {
  y: number;
  x: number;
  mirror: boolean;
}

// ---- exact-pixel geometry -------------------------------------------------------------------------

/** The h x w window whose top-left pixel is (y, x). */
export function crop(img: RawImage, y: number, x: number, h: number, w: number): RawImage {
  checkWindow(img.height, img.width, y, x, h, w);
  const c = img.channels;
  const out = new Uint8Array(h * w * c);
  for (let r = 0; r < h; r++) {
    const from = ((y + r) * img.width + x) * c;
    out.set(img.data.subarray(from, from + w * c), r * w * c);
  }
  return { data: out, height: h, width: w, channels: c };
}

/** Left-right mirror: column j becomes column width-1-j (channels within a pixel keep their order). */
export function mirror(img: RawImage): RawImage {
  const { height: h, width: w, channels: c } = img;
  const out = new Uint8Array(img.data.length);
  for (let r = 0; r < h; r++) {
    for (let j = 0; j < w; j++) {
      const from = (r * w + j) * c;
      const to = (r * w + (w - 1 - j)) * c;
      for (let k = 0; k < c; k++) out[to + k] = img.data[from + k];
    }
  }
  return { data: out, height: h, width: w, channels: c };
}

/**
 * The 10 views of a ten-crop of h x w from an H x W image: top-left, top-right, bottom-left,
 * bottom-right, centre, then the same five mirrored. The centre is at floor((H-h)/2), floor((W-w)/2).
 * Each mirrored view is the mirror of its crop (not a crop of the mirrored image), so views i and i+5
 * always show the same pixels.
 */
export function tenCropOffsets(H: number, W: number, h: number, w: number): View[] {
  checkWindow(H, W, 0, 0, h, w);
  const five: [number, number][] = [
    [0, 0],
    [0, W - w],
    [H - h, 0],
    [H - h, W - w],
    [Math.floor((H - h) / 2), Math.floor((W - w) / 2)],
  ];
  return [false, true].flatMap((m) => five.map(([y, x]) => ({ y, x, mirror: m })));
}

/** The centre window's view (no mirror). */
export function centreView(H: number, W: number, h: number, w: number): View {
  checkWindow(H, W, 0, 0, h, w);
  return { y: Math.floor((H - h) / 2), x: Math.floor((W - w) / 2), mirror: false };
}

/**
 * Copies one view of an H x W x C image into `dst` at `offset` as float (0..255), h*w*C values.
 * This is the only place pixels are copied on the training path: no intermediate crop arrays.
 */
export function writeView(
  src: Uint8Array,
  H: number,
  W: number,
  C: number,
  view: View,
  h: number,
  w: number,
  dst: Float32Array,
  offset: number,
  lut: Float32Array = RAW,
): void {
  checkWindow(H, W, view.y, view.x, h, w);
  let o = offset;
  for (let r = 0; r < h; r++) {
    const row = ((view.y + r) * W + view.x) * C;
    if (!view.mirror) {
      for (let i = 0; i < w * C; i++) dst[o++] = lut[src[row + i]];
    } else {
      for (let j = w - 1; j >= 0; j--) {
        const p = row + j * C;
        for (let k = 0; k < C; k++) dst[o++] = lut[src[p + k]];
      }
    }
  }
}

/** The identity table: byte b -> b as a float (writeView's default: raw pixels). */
const RAW = Float32Array.from({ length: 256 }, (_, b) => b);

// internal: crop offsets come from tenCropOffsets / the random-crop sampler, which stay inside the image
function checkWindow(H: number, W: number, y: number, x: number, h: number, w: number): void {
  if (h < 1 || w < 1 || y < 0 || x < 0 || y + h > H || x + w > W) {
    throw new Error(`crop ${h}x${w} at (${y}, ${x}) does not fit in a ${H}x${W} image`);
  }
}

// ---- view plans -----------------------------------------------------------------------------------

/** How training views are made for every image of one size. */
export interface TrainPlan {
  crop: 'none' | 'centre' | CropKind;
  flip: boolean;
  /** Network input [h, w]. */
  size: [number, number];
  /** Views per image per epoch. */
  perImage: number;
}

/** The single crop aug in a training list, if any (two crops cannot be honoured together). */
function trainCrop(train: readonly TrainAug[]): Extract<TrainAug, { size: [number, number] }> | null {
  const crops = train.filter((a): a is Extract<TrainAug, { size: [number, number] }> => a.kind === 'tencrop' || a.kind === 'randomcrop');
  // The compiler refuses two crops; this is the backstop for an IR that did not come through it.
  if (crops.length > 1) {
    throw new NotRunnableError(
      `at most one crop augmentation can be used for training, got ${crops.map((c) => c.kind).join(' + ')}`,
      '',
      'keep one of tencrop and randomcrop in the augment section',
    );
  }
  return crops[0] ?? null;
}

/** Views per image per epoch for a training aug list (1, 2 or 10). */
export function viewsPerImage(train: readonly TrainAug[]): number {
  const c = trainCrop(train);
  const flip = train.some((a) => a.kind === 'flip');
  if (c?.kind === 'tencrop') return 10;
  if (c?.kind === 'randomcrop') return 1;
  return flip ? 2 : 1;
}

/**
 * The network's input [h, w, c] for images decoded at `input`: the training crop size, else the test
 * ten-crop size, else the decoded size. A test ten-crop of another size than the training crop cannot
 * feed the same network, so it is an error.
 */
export function networkInputSize(
  input: readonly [number, number, number],
  train: readonly TrainAug[],
  test: TestAug,
): [number, number, number] {
  const [H, W, C] = input;
  const c = trainCrop(train);
  let size: [number, number] = [H, W];
  if (c) size = c.size;
  else if (test.kind === 'tencrop') size = test.size;
  if (c && test.kind === 'tencrop' && (test.size[0] !== c.size[0] || test.size[1] !== c.size[1])) {
    // Compile error E035; the backstop for an IR that did not come through the compiler.
    throw new NotRunnableError(
      `test tencrop ${test.size.join('x')} differs from the training crop ${c.size.join('x')}`,
      '',
      'the network takes one input size: use the same crop size for training and test',
    );
  }
  // Compile error E033; the backstop for an IR that did not come through the compiler.
  if (size[0] > H || size[1] > W) {
    throw new NotRunnableError(
      `crop ${size.join('x')} is larger than the ${H}x${W} input images`,
      '',
      `use a crop no larger than ${H}x${W}, or a larger input size`,
    );
  }
  return [size[0], size[1], C];
}

/** The training plan for H x W images. */
export function planTrainViews(H: number, W: number, train: readonly TrainAug[], test: TestAug): TrainPlan {
  const [h, w] = networkInputSize([H, W, 1], train, test);
  const c = trainCrop(train);
  const flip = train.some((a) => a.kind === 'flip');
  const crop: TrainPlan['crop'] = c ? c.kind : h !== H || w !== W ? 'centre' : 'none';
  return { crop, flip, size: [h, w], perImage: viewsPerImage(train) };
}

/**
 * View k (0 <= k < plan.perImage) of an H x W image. `rng` is only read for random crops, and is
 * seeded per (seed, epoch, image) by the caller so a view does not depend on the order views are made.
 */
export function trainView(plan: TrainPlan, H: number, W: number, k: number, rng: Rng): View {
  const [h, w] = plan.size;
  switch (plan.crop) {
    case 'tencrop':
      return tenCropOffsets(H, W, h, w)[k];
    case 'randomcrop': {
      const y = rng.int(H - h + 1);
      const x = rng.int(W - w + 1);
      return { y, x, mirror: plan.flip && rng.next() < 0.5 };
    }
    case 'centre':
    case 'none':
      return { ...centreView(H, W, h, w), mirror: plan.flip && k === 1 };
  }
}

/** Test-time views of an H x W image for a network of h x w: 10 for tencrop, else the centre view. */
export function testViews(H: number, W: number, h: number, w: number, test: TestAug): View[] {
  return test.kind === 'tencrop' ? tenCropOffsets(H, W, h, w) : [centreView(H, W, h, w)];
}
