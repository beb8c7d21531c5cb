// The Feed for a head on a frozen backbone: every training and test view of every image is turned into
// tap features once (through the on-disk feature cache), then epochs only shuffle feature rows. The
// backbone is loaded only when some view misses the cache.

import * as path from 'node:path';
import { BACKBONES } from '../compiler/backbones.ts';
import type { ExperimentIR } from '../compiler/ir.ts';
import { isOneOf, RANDOM_AUGMENTS } from '../compiler/vocabulary.ts';
import { lazyBackbone, backboneFeatures } from './cache/backbone-features.ts';
import { centreView, crop, mirror, tenCropOffsets, type View } from './data/augment.ts';
import type { ImageSet, LoadedData } from './data/types.ts';
import { NotRunnableError } from './errors.ts';
import type { EventSink } from './events.ts';
import type { Batch, Feed } from './feed.ts';
import { Rng } from './rng.ts';

interface NamedView {
  id: string;
  view: View | null;
  size: [number, number];
}

/** Fixed views only: a random crop per epoch cannot be cached, so it is refused with frozen backbones. */
function trainViews(ir: ExperimentIR): NamedView[] {
  const [H, W] = ir.data.input;
  const ten = ir.augment.train.find((a) => a.kind === 'tencrop');
  const random = ir.augment.train.find((a) => a.kind === 'randomcrop' || isOneOf(RANDOM_AUGMENTS, a.kind));
  if (random) {
    // The compiler refuses this combination (E037); this is the backstop for an IR that did not come through it.
    throw new NotRunnableError(
      `${random.kind} makes new views every epoch, which a frozen backbone cannot cache`,
      ir.file,
      'use flip or tencrop in the augment section of an experiment with a backbone',
    );
  }
  if (ten && ten.kind === 'tencrop')
    return tenCropOffsets(H, W, ten.size[0], ten.size[1]).map((v, i) => ({
      id: `tencrop${ten.size.join('x')}-${i}`,
      view: v,
      size: ten.size,
    }));
  const flip = ir.augment.train.some((a) => a.kind === 'flip');
  const orig: NamedView = { id: 'orig', view: null, size: [H, W] };
  return flip ? [orig, { id: 'flip', view: { y: 0, x: 0, mirror: true }, size: [H, W] }] : [orig];
}

function testViews(ir: ExperimentIR): NamedView[] {
  const [H, W] = ir.data.input;
  const t = ir.augment.test;
  if (t.kind === 'tencrop')
    return tenCropOffsets(H, W, t.size[0], t.size[1]).map((v, i) => ({ id: `tencrop${t.size.join('x')}-${i}`, view: v, size: t.size }));
  const ten = ir.augment.train.find((a) => a.kind === 'tencrop');
  if (ten && ten.kind === 'tencrop')
    return [{ id: `centre${ten.size.join('x')}`, view: centreView(H, W, ten.size[0], ten.size[1]), size: ten.size }];
  return [{ id: 'orig', view: null, size: [H, W] }];
}

function applyView(set: ImageSet, v: NamedView): ImageSet {
  if (!v.view) return set;
  const { y, x, mirror: m } = v.view;
  const images = set.images.map((data) => {
    const img = { data, height: set.height, width: set.width, channels: set.channels };
    const c = crop(img, y, x, v.size[0], v.size[1]);
    return (m ? mirror(c) : c).data;
  });
  return { ...set, height: v.size[0], width: v.size[1], images };
}

export async function featureFeed(ir: ExperimentIR, data: LoadedData, opts: { cacheDir?: string; sink: EventSink }): Promise<Feed> {
  const bb = ir.backbone!;
  const baseDir = path.dirname(ir.file);
  // One pass of the network fills the cache for all of the backbone's standard taps, so the other
  // points of a tap sweep read theirs instead of running the network again.
  const standard = BACKBONES[bb.name]?.concat ?? [];
  const allTaps = [...new Set([...bb.taps, ...standard])];
  const lazy = lazyBackbone({ ...bb, taps: allTaps }, baseDir);
  const started = Date.now();
  let width = 0;
  let hits = 0;
  let misses = 0;
  const extract = async (set: ImageSet, views: NamedView[], split: string) => {
    const out: Float32Array[] = [];
    for (const [i, v] of views.entries()) {
      const images = applyView(set, v);
      // A line every tenth of a view (faceres takes minutes for a few thousand images on a CPU).
      let shown = 0;
      const onProgress = (done: number, total: number) => {
        if (done < total && done < shown + total / 10) return;
        shown = done;
        const what = `${split} view ${i + 1}/${views.length} (${v.id})`;
        opts.sink({ type: 'log', level: 'info', message: `extracting ${bb.name} features of ${what}: ${done}/${total} images` });
      };
      // The all-taps pass is the one that runs the network (or finds it done): it decides hit or miss.
      const all =
        allTaps.length > bb.taps.length
          ? await backboneFeatures({
              ir: { ...bb, taps: allTaps },
              baseDir,
              images,
              view: v.id,
              label: `${ir.data.source.kind}:${split}`,
              root: opts.cacheDir,
              backbone: lazy,
              onProgress,
            })
          : null;
      const r = await backboneFeatures({
        ir: bb,
        baseDir,
        images,
        view: v.id,
        label: `${ir.data.source.kind}:${split}`,
        root: opts.cacheDir,
        backbone: lazy,
        onProgress,
      });
      for (const c of [...(all?.corrupt ?? []), ...r.corrupt])
        opts.sink({ type: 'log', level: 'warn', message: `feature cache entry ${c.path} was corrupt (${c.reason}): recomputed` });
      if ((all ?? r).hit) hits++;
      else misses++;
      width = r.widths.reduce((a, b) => a + b, 0);
      out.push(r.features);
    }
    return out;
  };
  const tv = trainViews(ir);
  const ev = testViews(ir);
  const trainFeatures = await extract(data.train, tv, 'train');
  const valFeatures = await extract(data.val, ev, 'val');
  const loaded = lazy.loaded;
  lazy.dispose();
  opts.sink({
    type: 'log',
    level: 'info',
    message: `backbone ${bb.name} [${bb.taps.join(', ')}]: ${width} features; ${hits} cached views, ${misses} extracted${loaded ? '' : ' (backbone not loaded: all from cache)'} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  });

  const n = data.train.images.length;
  const rows = n * tv.length;
  const batchSize = ir.train.batchSize;
  const evalIterator = (features: Float32Array[], labels: number[]): Iterator<Batch> => {
    const views = features.length;
    const perBatch = Math.max(1, Math.floor(batchSize / views));
    let start = 0;
    return {
      next: () => {
        if (start >= labels.length) return { done: true, value: undefined };
        const count = Math.min(perBatch, labels.length - start);
        const x = new Float32Array(count * views * width);
        for (let i = 0; i < count; i++)
          for (let v = 0; v < views; v++)
            x.set(features[v].subarray((start + i) * width, (start + i + 1) * width), (i * views + v) * width);
        const y = Int32Array.from(labels.slice(start, start + count));
        start += count;
        return { done: false, value: { x, y, n: count, views } };
      },
    };
  };
  return {
    inputShape: [width],
    trainCount: n,
    valCount: data.val.images.length,
    trainLabels: data.train.labels,
    valLabels: data.val.labels,
    batchesPerEpoch: Math.ceil(rows / batchSize),
    viewsPerEpoch: rows,
    trainBatches(epoch) {
      const order = new Rng(ir.train.seed * 1009 + epoch).shuffle(Array.from({ length: rows }, (_, i) => i));
      let b = 0;
      return {
        next: () => {
          if (b * batchSize >= rows) return { done: true, value: undefined };
          const idx = order.slice(b * batchSize, (b + 1) * batchSize);
          b++;
          const x = new Float32Array(idx.length * width);
          const y = new Int32Array(idx.length);
          idx.forEach((r, i) => {
            const v = Math.floor(r / n);
            const img = r % n;
            x.set(trainFeatures[v].subarray(img * width, (img + 1) * width), i * width);
            y[i] = data.train.labels[img];
          });
          return { done: false, value: { x, y, n: idx.length, views: 1 } };
        },
      };
    },
    evalBatches: (split) =>
      split === 'train' ? evalIterator([trainFeatures[0]], data.train.labels) : evalIterator(valFeatures, data.val.labels),
  };
}
