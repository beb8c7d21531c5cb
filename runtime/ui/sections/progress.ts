// Progress (while training) or the outcome (once the run ended): two lines either way, so the
// layout does not jump when the run finishes.

import { estimateEtaMs, type RunView } from '../state.ts';
import { bar } from '../charts.ts';
import { count, duration, fixed, percent, rate } from '../format.ts';
import { lineWidth, seg, type Line, type Tone } from '../line.ts';

const STATUS_TONE: Record<string, Tone> = { finished: 'good', 'early-stopped': 'good', interrupted: 'warn', failed: 'bad' };

export function progressLines(run: RunView, width: number): Line[] {
  if (run.end) return outcomeLines(run);
  const s = run.start;
  const p = run.progress;
  const epoch = p?.epoch ?? (s.resumedFromEpoch ?? 0) + 1;
  const batch = p?.batch ?? 0;
  const batches = p?.batches ?? s.batchesPerEpoch;
  const head = `epoch ${epoch}/${s.epochs} `;
  const tail = ` ${batch}/${batches}  ${p ? count(p.imagesPerSec) : '–'} img/s  ETA ${duration(estimateEtaMs(run))}  elapsed ${duration(run.elapsedMs)}`;
  const barWidth = Math.max(10, Math.min(40, width - head.length - tail.length));
  const first: Line = [seg(head, undefined, true), seg(bar(batches ? batch / batches : 0, barWidth), 'accent'), seg(tail)];

  const second: Line = run.stopping
    ? [seg('stopping: finishing the batch, then writing a checkpoint…', 'warn', true)]
    : p
      ? [seg('batch ', 'muted'), seg(`loss ${fixed(p.loss)}  acc ${percent(p.acc)}`)]
      : [seg('waiting for the first batch…', 'muted')];
  const last = run.history[run.history.length - 1];
  if (last && !run.stopping) {
    const extra: Line = [
      seg('   last epoch ', 'muted'),
      seg(`val acc ${percent(last.valAcc)}  loss ${fixed(last.valLoss)}  lr ${rate(last.lr)}`),
    ];
    if (lineWidth(second) + lineWidth(extra) <= width) second.push(...extra);
  }
  if (s.resumedFromEpoch !== null && !p) second.push(seg(`   resumed after epoch ${s.resumedFromEpoch}`, 'muted'));
  return [first, second];
}

function outcomeLines(run: RunView): Line[] {
  const end = run.end!;
  const first: Line = [
    seg(`■ ${end.status}`, STATUS_TONE[end.status], true),
    seg(` · ${end.epochsRun} epoch${end.epochsRun === 1 ? '' : 's'}`),
    seg(end.bestEpoch !== null ? ` · best epoch ${end.bestEpoch}` : ''),
    seg(end.val ? ` · val acc ${percent(end.val.acc)} · F1 ${fixed(end.val.f1)}` : ''),
    seg(` · ${duration(end.elapsedMs)}`),
  ];
  const second: Line = end.message
    ? [seg(end.message, end.status === 'failed' ? 'bad' : undefined)]
    : [seg('run folder ', 'muted'), seg(run.start.runDir)];
  return [first, second];
}
