// Decides which sections fit the terminal and in what order they appear.
//
// Every section's height is known up front (sections return lines), so the layout is a budget:
// sections are taken by priority while they fit, shown in reading order, and spare rows go to
// blank separators and then to log lines. The output stays below the terminal's height because ink
// redraws by clearing the whole screen (a visible flicker) once its output reaches it.

import type { DashboardState } from './state.ts';
import { fitLine, type Line } from './line.ts';
import { headerLines } from './sections/header.ts';
import { progressLines } from './sections/progress.ts';
import { bigChartLines, curvesLines } from './sections/curves.ts';
import { recallLines } from './sections/recall.ts';
import { confusionHasRecallBars, confusionLines } from './sections/confusion.ts';
import { sweepLines } from './sections/sweep.ts';
import { keysLine, logLines } from './sections/footer.ts';

export interface Viewport {
  width: number;
  height: number;
  color: boolean;
}

const TALL_CHARTS_FROM = 40;
const MAX_LOG_LINES = 6;

interface Block {
  /** Lower is more important. */
  priority: number;
  lines: Line[];
}

export function layout(state: DashboardState, view: Viewport): Line[] {
  const width = Math.max(20, view.width);
  const budget = Math.max(6, view.height - 1) - 1; // one row below ink's limit, one for the key help
  const blocks = candidateBlocks(state, width, view);

  const chosen = new Set<Block>();
  let used = 0;
  for (const block of [...blocks].sort((a, b) => a.priority - b.priority)) {
    if (block.lines.length === 0 || used + block.lines.length > budget) continue;
    chosen.add(block);
    used += block.lines.length;
  }
  const shown = blocks.filter((b) => chosen.has(b));
  let spare = budget - used;
  const out: Line[] = [];
  shown.forEach((block, i) => {
    if (i > 0 && spare > 0) {
      out.push([]);
      spare--;
    }
    out.push(...block.lines);
  });
  const logs = logLines(state, Math.min(spare, MAX_LOG_LINES));
  if (logs.length > 0 && spare > logs.length) out.push([]);
  out.push(...logs, keysLine(state));
  return out.map((line) => fitLine(line, width));
}

function candidateBlocks(state: DashboardState, width: number, view: Viewport): Block[] {
  const run = state.run;
  const roomy = view.height >= 30;
  const blocks: Block[] = [{ priority: 0, lines: headerLines(state, width, view.height >= 24) }];
  if (state.sweep) {
    const maxRows = roomy ? state.sweep.points.length + 2 : Math.max(4, view.height - 18);
    blocks.push({ priority: 1, lines: sweepLines(state.sweep, width, maxRows) });
  }
  if (!run) return blocks;
  blocks.push({ priority: 1, lines: progressLines(run, width) });
  blocks.push({ priority: 3, lines: curvesLines(run, width) });
  if (view.height >= TALL_CHARTS_FROM) {
    blocks.push({ priority: 6, lines: bigChartLines(run, width, Math.min(12, Math.floor((view.height - 30) / 2) + 6), view.color) });
  }

  const classes = run.start.classes;
  const confusion = run.end?.confusion ?? [];
  const showConfusion = confusion.length > 0;
  if (showConfusion) blocks.push({ priority: 2, lines: confusionLines(classes, confusion, width) });
  const recall = run.end?.val?.recall ?? run.latestVal?.recall;
  const recallIsInConfusion = showConfusion && confusionHasRecallBars(classes, confusion, width);
  if (recall && !recallIsInConfusion) {
    const caption = run.end ? '(best weights)' : `(epoch ${run.history[run.history.length - 1]?.epoch ?? '–'})`;
    blocks.push({ priority: 4, lines: recallLines(classes, recall, caption, width) });
  }
  return blocks;
}
