// The sweep's points with their status and metrics, the best one highlighted (★ and colour, so it
// shows under NO_COLOR too). Long sweeps show a window around the running point.

import type { PointStatus, SweepPointRow, SweepView } from '../state.ts';
import { fixed, padLeft, padRight, percent } from '../format.ts';
import { seg, type Line, type Tone } from '../line.ts';

const STATUS: Record<PointStatus, { mark: string; label: string; tone?: Tone }> = {
  queued: { mark: '·', label: 'queued', tone: 'muted' },
  running: { mark: '▶', label: 'running', tone: 'accent' },
  finished: { mark: '✓', label: 'done', tone: 'good' },
  'early-stopped': { mark: '✓', label: 'done (early)', tone: 'good' },
  interrupted: { mark: '■', label: 'interrupted', tone: 'warn' },
  failed: { mark: '✗', label: 'failed', tone: 'bad' },
  skipped: { mark: '-', label: 'skipped', tone: 'muted' },
  'done-before': { mark: '✓', label: 'done earlier', tone: 'muted' },
};

export function sweepLines(sweep: SweepView, width: number, maxRows: number): Line[] {
  const tally = (s: PointStatus[]) => sweep.points.filter((p) => s.includes(p.status)).length;
  const done = tally(['finished', 'early-stopped', 'done-before']);
  const failed = tally(['failed']);
  const title: Line = [
    seg('sweep ', 'muted', true),
    seg(`${sweep.sweep} · ${done}/${sweep.points.length} done`),
    ...(failed ? [seg(` · ${failed} failed`, 'bad')] : []),
    ...(sweep.bestPoint ? [seg(' · best ', 'muted'), seg(`★ ${sweep.bestPoint}`, 'good', true)] : []),
    ...(sweep.ended ? [seg(' · sweep ended', 'muted')] : []),
  ];
  const pointWidth = Math.max(8, Math.min(24, width - 2 - 14 - 3 * 10));
  const header: Line = [
    seg(
      `  ${padRight('point', pointWidth)}${padRight('status', 14)}${padLeft('train acc', 10)}${padLeft('val acc', 10)}${padLeft('val F1', 10)}`,
      'muted',
    ),
  ];
  // Points run by queue workers: who has each one, at which epoch (absent for a local sweep).
  const remote = sweep.points.some((p) => p.worker != null);
  if (remote) header[0].text += '  worker';
  const rowsRoom = Math.max(1, maxRows - 2);
  const shown = windowAround(sweep.points, rowsRoom, sweep.bestPoint);
  const rows = shown.map((p): Line => {
    if (p === null) return [seg('  …', 'muted')];
    const st =
      p.status === 'running' && p.epoch != null && p.epochs != null
        ? { ...STATUS.running, label: `epoch ${p.epoch}/${p.epochs}` }
        : STATUS[p.status];
    const best = p.point === sweep.bestPoint;
    return [
      seg(best ? '★ ' : `${st.mark} `, best ? 'good' : st.tone, best),
      seg(padRight(p.point, pointWidth), best ? 'good' : undefined, best),
      seg(padRight(st.label, 14), st.tone),
      seg(padLeft(percent(p.trainAcc), 10)),
      seg(padLeft(percent(p.valAcc), 10), best ? 'good' : undefined, best),
      seg(padLeft(fixed(p.valF1), 10)),
      ...(remote && p.worker
        ? [seg(`  ${p.worker}${p.status === 'running' && p.epochValAcc != null ? ` · val ${percent(p.epochValAcc)}` : ''}`, 'muted')]
        : []),
    ];
  });
  return [title, header, ...rows];
}

/** At most `room` rows: the running point, the best point and their neighbours, gaps shown as null. */
function windowAround(points: SweepPointRow[], room: number, bestPoint: string | null): (SweepPointRow | null)[] {
  if (points.length <= room) return points;
  const running = Math.max(
    0,
    points.findIndex((p) => p.status === 'running' || p.status === 'queued'),
  );
  const keep = new Set<number>();
  const best = points.findIndex((p) => p.point === bestPoint);
  if (best >= 0) keep.add(best);
  for (let d = 0; keep.size < room - 2 && d < points.length; d++) {
    if (running - d >= 0) keep.add(running - d);
    if (keep.size < room - 2 && running + d < points.length) keep.add(running + d);
  }
  const out: (SweepPointRow | null)[] = [];
  let last = -1;
  for (const i of [...keep].sort((a, b) => a - b)) {
    if (i > last + 1) out.push(null);
    out.push(points[i]);
    last = i;
  }
  if (last < points.length - 1) out.push(null);
  return out.slice(0, room);
}
