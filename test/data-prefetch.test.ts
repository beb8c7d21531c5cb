// Training batches built ahead on a worker thread (runtime/data/prefetch.ts) are exactly the batches
// built on the main thread, epoch after epoch, also after an epoch left early; a worker error
// reaches the trainer; and prefetching is used only when a core is left over.

import { afterAll, describe, expect, it } from 'vitest';
import { generateBuiltinFaces } from '../runtime/data/builtin-faces.ts';
import { trainBatches, type TrainBatch, type TrainBatchOptions } from '../runtime/data/batches.ts';
import { BatchPrefetcher } from '../runtime/data/prefetch.ts';
import { prefetchBatches } from '../runtime/run.ts';

const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'];
const { train } = generateBuiltinFaces({ images: 42, height: 40, width: 40, channels: 3, classes: EMOTIONS, valSplit: 0.2 });
const OPTS: Omit<TrainBatchOptions, 'epoch'> = {
  train: [{ kind: 'tencrop', size: [32, 32] }],
  test: { kind: 'tencrop', size: [32, 32] },
  inputSize: [32, 32, 3],
  preprocess: 'fixed',
  batchSize: 16,
  seed: 7,
};

async function drain(it: AsyncIterator<TrainBatch>, limit = Infinity): Promise<TrainBatch[]> {
  const out: TrainBatch[] = [];
  for (let r = await it.next(); !r.done && out.length < limit; r = await it.next()) out.push(r.value);
  return out;
}

function expectSame(a: TrainBatch[], b: TrainBatch[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((batch, i) => {
    expect(batch.n).toBe(b[i]!.n);
    expect(Array.from(batch.y)).toEqual(Array.from(b[i]!.y));
    expect(
      Buffer.compare(
        Buffer.from(batch.x.buffer, batch.x.byteOffset, batch.x.byteLength),
        Buffer.from(b[i]!.x.buffer, b[i]!.x.byteOffset, b[i]!.x.byteLength),
      ),
      `batch ${i}`,
    ).toBe(0);
  });
}

const prefetchers: BatchPrefetcher[] = [];
afterAll(() => prefetchers.forEach((p) => p.close()));

describe('BatchPrefetcher', () => {
  it("gives the main thread's batches, epoch after epoch, also after an epoch left early", async () => {
    const p = new BatchPrefetcher(train, OPTS);
    prefetchers.push(p);
    const local = (epoch: number) => [...trainBatches(train, { ...OPTS, epoch })];
    expect(local(1).length).toBeGreaterThan(3);
    expectSame(await drain(p.epoch(1)), local(1));
    // Epoch 2 left after two batches (interrupted run, early stop): its request in flight is dropped.
    const two = p.epoch(2);
    expectSame(await drain(two, 2), local(2).slice(0, 2));
    await two.return!();
    expectSame(await drain(p.epoch(3)), local(3));
  });

  it('reports an error raised while building batches', async () => {
    const p = new BatchPrefetcher(train, { ...OPTS, inputSize: [20, 20, 3] });
    prefetchers.push(p);
    const error = /inputSize|input size|does not match|network input/i;
    await expect(p.epoch(1).next()).rejects.toThrow(error);
    // Answers stay matched to requests: the next epoch's first answer is its own error again, not
    // a leftover answer of the first epoch.
    await expect(p.epoch(2).next()).rejects.toThrow(error);
  });
});

describe('prefetchBatches (when to build ahead)', () => {
  it('only with a core to spare, unless EMOC_PREFETCH forces it', () => {
    expect(prefetchBatches(2, 2, undefined)).toBe(false);
    expect(prefetchBatches(1, 2, undefined)).toBe(true);
    expect(prefetchBatches(8, 16, undefined)).toBe(true);
    expect(prefetchBatches(2, 2, '1')).toBe(true);
    expect(prefetchBatches(1, 2, '0')).toBe(false);
  });
});
