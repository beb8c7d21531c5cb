// Recent log lines and the key help.

import type { DashboardState } from '../state.ts';
import { seg, type Line } from '../line.ts';

export function logLines(state: DashboardState, rows: number): Line[] {
  if (rows <= 0) return [];
  return state.logs
    .slice(-rows)
    .map((l): Line => [
      seg(l.level === 'warn' ? '! ' : '· ', l.level === 'warn' ? 'warn' : 'muted'),
      seg(l.message, l.level === 'warn' ? 'warn' : undefined),
    ]);
}

export function keysLine(state: DashboardState): Line {
  const run = state.run;
  const sweepRunning = state.sweep !== null && !state.sweep.ended;
  if (state.sweep?.remote)
    return state.sweep.ended
      ? [seg('sweep ended', 'muted')]
      : [
          seg('q', 'accent', true),
          seg(' or ', 'muted'),
          seg('Ctrl-C', 'accent', true),
          seg(' stop following (the workers carry on)', 'muted'),
        ];
  if (run?.stopping) return [seg('stopping… ', 'warn'), seg('the run ends after this batch', 'muted')];
  if (run?.end && !sweepRunning) return [seg('run ended', 'muted')];
  return [seg('q', 'accent', true), seg(' or ', 'muted'), seg('Ctrl-C', 'accent', true), seg(' stop (a checkpoint is written)', 'muted')];
}
