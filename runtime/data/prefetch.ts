// Training batches built one ahead on a worker thread, so that decoding-free but still real work
// (cropping, mirroring, normalising 32 views) overlaps with the training step instead of preceding
// it. The worker runs the same trainBatches code with the same seeds: the batches are identical to
// the ones built on the main thread (test/data-prefetch.test.ts).
//
// The worker gets its own copy of the image set once (structured clone); each batch comes back
// transferred, not copied. While the main thread runs a step (synchronous tensor work), the worker
// builds the next batch; the trainer then only waits for a message.

import { Worker } from 'node:worker_threads';
import type { TrainBatch, TrainBatchOptions } from './batches.ts';
import type { ImageSet } from './types.ts';

type Answer = { batch: TrainBatch } | { done: true } | { error: string };

export class BatchPrefetcher {
  private readonly worker: Worker;
  /** Resolvers of the requests sent and not yet answered, in order. */
  private readonly waiting: Array<{ resolve: (a: Answer) => void; reject: (e: Error) => void }> = [];
  private failure: Error | null = null;

  constructor(set: ImageSet, opts: Omit<TrainBatchOptions, 'epoch'>) {
    this.worker = new Worker(new URL('./prefetch-boot.mjs', import.meta.url), { workerData: { set, opts } });
    this.worker.unref();
    this.worker.on('message', (a: Answer) => this.waiting.shift()?.resolve(a));
    const fail = (e: Error) => {
      this.failure ??= e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    this.worker.on('error', fail);
    // internal: the worker runs emoc's own batch code on images already checked; its death is a bug or the
    // system (out of memory), never the user's input
    this.worker.on('exit', (code) => fail(new Error(`the batch prefetch worker stopped (exit ${code})`)));
  }

  private request(): Promise<Answer> {
    if (this.failure) return Promise.reject(this.failure);
    const answer = new Promise<Answer>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage({ next: true });
    });
    // The trainer awaits this later (after its step); until then a worker failure must not count as
    // an unhandled rejection.
    answer.catch(() => undefined);
    return answer;
  }

  /** One epoch's batches, each requested as soon as the previous one is handed out. */
  epoch(epoch: number): AsyncIterator<TrainBatch> {
    this.worker.postMessage({ epoch });
    let ahead: Promise<Answer> | null = this.request();
    return {
      next: async (): Promise<IteratorResult<TrainBatch>> => {
        if (!ahead) return { done: true, value: undefined };
        const a = await ahead;
        // internal: the worker's own failure, passed across the thread as text (see prefetch-worker.ts)
        if ('error' in a) throw new Error(a.error);
        if ('done' in a) {
          ahead = null;
          return { done: true, value: undefined };
        }
        ahead = this.request();
        return { done: false, value: a.batch };
      },
      return: async (): Promise<IteratorResult<TrainBatch>> => {
        // A request still in flight is answered and dropped: answers match requests in order.
        ahead = null;
        return { done: true, value: undefined };
      },
    };
  }

  close(): void {
    this.worker.removeAllListeners('exit');
    void this.worker.terminate();
  }
}
