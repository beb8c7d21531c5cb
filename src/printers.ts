// Output for runs outside a terminal: plain progress lines, or one JSON event per line (--json).

import type { EventSink, RunEvent } from '../runtime/events.ts';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function jsonPrinter(out: NodeJS.WritableStream = process.stdout): EventSink {
  return (e) => out.write(`${JSON.stringify(e)}\n`);
}

/** Plain lines: batches at most every few seconds, every epoch, and the end. */
export function plainPrinter(out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): EventSink {
  let lastBatchLine = 0;
  let classes: string[] = [];
  return (e: RunEvent) => {
    switch (e.type) {
      case 'start':
        classes = e.classes;
        out.write(
          `${e.experiment}${e.point ? ` [${e.point}]` : ''}: ${e.source}, train ${sum(e.counts.train)} / val ${sum(e.counts.val)} images, ${e.classes.length} classes; ` +
            `${e.params.total.toLocaleString('en-US')} params; backend ${e.backend.name} x${e.backend.threads}; ${e.epochs} epochs of ${e.batchesPerEpoch} batches\n` +
            `  run folder: ${e.runDir}${e.resumedFromEpoch ? ` (resumed at epoch ${e.resumedFromEpoch})` : ''}\n`,
        );
        break;
      case 'batch': {
        const now = Date.now();
        if (now - lastBatchLine < 5000 && e.batch !== e.batches) break;
        lastBatchLine = now;
        out.write(
          `  epoch ${e.epoch} batch ${e.batch}/${e.batches}  loss ${e.loss.toFixed(4)}  acc ${pct(e.acc)}  ${e.imagesPerSec.toFixed(1)} img/s\n`,
        );
        break;
      }
      case 'epoch':
        out.write(
          `epoch ${e.epoch}/${e.epochs}  train loss ${e.train.loss.toFixed(4)} acc ${pct(e.train.acc)}  |  val loss ${e.val.loss.toFixed(4)} acc ${pct(e.val.acc)} f1 ${e.val.f1.toFixed(3)}  lr ${e.lr.toExponential(1)}${e.best ? '  *best' : ''}  (${(e.elapsedMs / 1000).toFixed(0)}s)\n`,
        );
        break;
      case 'log':
        (e.level === 'warn' ? err : out).write(`${e.level === 'warn' ? 'warning: ' : ''}${e.message}\n`);
        break;
      case 'end':
        if (e.status === 'failed') {
          err.write(`run failed: ${e.message ?? 'unknown error'}\n  run folder: ${e.runDir}\n`);
          break;
        }
        out.write(
          `${e.status} after ${e.epochsRun} epoch${e.epochsRun === 1 ? '' : 's'} in ${(e.elapsedMs / 1000).toFixed(1)}s; best epoch ${e.bestEpoch ?? '-'}\n`,
        );
        if (e.train && e.val)
          out.write(
            `train accuracy ${pct(e.train.acc)}   validation accuracy ${pct(e.val.acc)}   validation macro-F1 ${e.val.f1.toFixed(3)}\n`,
          );
        if (e.val && classes.length) out.write(`validation recall: ${classes.map((c, i) => `${c} ${pct(e.val!.recall[i])}`).join(', ')}\n`);
        if (e.status === 'interrupted') out.write(`checkpoint written; continue with: emoc run --resume ${e.runDir}\n`);
        out.write(`artifacts: ${e.runDir}\n`);
        break;
      case 'sweep-start':
        out.write(`sweep ${e.sweep}: ${e.points.length} points (${e.done.length} already done) -> ${e.sweepDir}\n`);
        break;
      case 'point-end':
        out.write(`point ${e.point}: ${e.status}${e.valAcc !== null ? `  val acc ${pct(e.valAcc)}` : ''}\n`);
        break;
      case 'sweep-end':
        out.write(`sweep done; best point: ${e.bestPoint ?? '-'}; results in ${e.sweepDir}\n`);
        break;
    }
  };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
