// Contact sheets of augmented training views: `emoc preview SPEC` writes one before any training, and
// every run writes one into its folder (RUN_FILES.augment) for report.html. The views come from
// trainViewImages (runtime/data/batches.ts): the first views of epoch 1 in batch order, the same bytes
// the batch builder normalises, so the sheet shows what the network is shown.
//
// Layout: up to SHEET_COLUMNS tiles a row; each view is scaled up by a whole factor (nearest
// neighbour, so pixels stay visible and nothing is smoothed away) to at least MIN_TILE pixels on its
// longer side; its class name is written in a LABEL_HEIGHT strip under it; GAP pixels between and
// around the tiles. The pixels are assembled here and encoded once by sharp (labels as an SVG layer).

import * as path from 'node:path';
import type { ExperimentIR } from '../compiler/ir.ts';
import { writeFileAtomic } from './artifacts/atomic.ts';
import { networkInputSize } from './data/augment.ts';
import { trainViewImages, type ViewImage } from './data/batches.ts';
import { generateBuiltinFaces } from './data/builtin-faces.ts';
import { loadData } from './data/load.ts';
import { DataError, type ImageSet, type LoadedData } from './data/types.ts';

const SHEET_COLUMNS = 8;
const MIN_TILE = 96;
const LABEL_HEIGHT = 16;
const GAP = 4;
/** Tiles in a sheet when nothing else is asked for (`emoc preview --n`, the run's sheet). */
const DEFAULT_PREVIEW_COUNT = 32;

export interface ContactSheet {
  png: Buffer;
  width: number;
  height: number;
  /** Views shown (fewer than asked when the training set has fewer views in an epoch). */
  count: number;
}

/** The first `n` augmented training views of epoch 1 of `ir` over `train`, as a PNG contact sheet. */
async function contactSheet(ir: ExperimentIR, train: ImageSet, classes: readonly string[], n: number): Promise<ContactSheet> {
  const inputSize = networkInputSize([train.height, train.width, train.channels], ir.augment.train, ir.augment.test);
  const views = trainViewImages(
    train,
    {
      train: ir.augment.train,
      test: ir.augment.test,
      inputSize,
      preprocess: ir.data.preprocess,
      batchSize: ir.train.batchSize,
      seed: ir.train.seed,
      epoch: 1,
    },
    n,
  );
  if (views.length === 0)
    throw new DataError('no training images to preview', ir.file, 'check the data section: the training split is empty');
  return renderSheet(views, classes);
}

/** Tiles -> PNG. */
async function renderSheet(views: readonly ViewImage[], classes: readonly string[]): Promise<ContactSheet> {
  const { height: h, width: w } = views[0];
  const scale = Math.max(1, Math.ceil(MIN_TILE / Math.max(h, w)));
  const tw = w * scale;
  const th = h * scale;
  const cols = Math.min(views.length, SHEET_COLUMNS);
  const rows = Math.ceil(views.length / cols);
  const width = GAP + cols * (tw + GAP);
  const height = GAP + rows * (th + LABEL_HEIGHT + GAP);
  const canvas = new Uint8Array(width * height * 3).fill(255);
  const labels: string[] = [];
  views.forEach((v, i) => {
    const left = GAP + (i % cols) * (tw + GAP);
    const top = GAP + Math.floor(i / cols) * (th + LABEL_HEIGHT + GAP);
    for (let y = 0; y < th; y++) {
      const sy = Math.floor(y / scale);
      for (let x = 0; x < tw; x++) {
        const s = (sy * w + Math.floor(x / scale)) * v.channels;
        const o = ((top + y) * width + left + x) * 3;
        // Grey views fill all three channels with the one value.
        canvas[o] = v.pixels[s];
        canvas[o + 1] = v.pixels[s + (v.channels === 3 ? 1 : 0)];
        canvas[o + 2] = v.pixels[s + (v.channels === 3 ? 2 : 0)];
      }
    }
    const name = classes[v.label] ?? String(v.label);
    labels.push(`<text x="${left + tw / 2}" y="${top + th + LABEL_HEIGHT - 4}">${escapeXml(name)}</text>`);
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g font-family="DejaVu Sans, sans-serif" font-size="11" fill="#222" text-anchor="middle">${labels.join('')}</g></svg>`;
  const { default: sharp } = await import('sharp');
  const png = await sharp(Buffer.from(canvas.buffer, canvas.byteOffset, canvas.byteLength), { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
  return { png, width, height, count: views.length };
}

/** Writes the run's sheet (atomically) from data already loaded. */
export async function writeContactSheet(
  file: string,
  ir: ExperimentIR,
  data: LoadedData,
  n = DEFAULT_PREVIEW_COUNT,
): Promise<ContactSheet> {
  const sheet = await contactSheet(ir, data.train, data.classes, n);
  writeFileAtomic(file, sheet.png);
  return sheet;
}

export interface PreviewOptions {
  /** Views in the sheet. */
  n: number;
  /** Decoded-data cache folder (as `emoc run --cache`). */
  cacheDir?: string;
  /**
   * At most this many images per class are read: a sheet needs a few, and a large folder then opens in
   * a second. The views are still drawn exactly as training draws them, over these images.
   */
  limitPerClass?: number;
}

/** `emoc preview`: loads the spec's training data and writes its sheet to `out`. */
export async function previewSpec(ir: ExperimentIR, out: string, opts: PreviewOptions): Promise<ContactSheet> {
  const data = await loadData(ir.data, {
    baseDir: path.dirname(ir.file),
    seed: ir.train.seed,
    builtin: (d) => {
      const [height, width, channels] = d.input;
      // internal: loadData calls this only for a builtin source
      if (d.source.kind !== 'builtin') throw new Error('not a builtin source');
      return generateBuiltinFaces({
        images: d.source.images,
        height,
        width,
        channels: channels as 1 | 3,
        classes: d.classes,
        valSplit: d.valSplit,
      });
    },
    limitPerClass: opts.limitPerClass,
    cacheDir: opts.cacheDir,
  });
  return writeContactSheet(out, ir, data, opts.n);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
