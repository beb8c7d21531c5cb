// `emoc report RUN|SWEEP`: writes report.html (self-contained) and report.md into the folder.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../artifacts/atomic.ts';
import { RunFolderError } from '../errors.ts';
import { isSweepDir, loadRun, loadSweep } from './load.ts';
import { page } from './html.ts';
import { unifiedDiff } from './line-diff.ts';
import { runReport, type SpecDiffHook } from './run-report.ts';
import { sweepReport } from './sweep-report.ts';

export type { SpecDiffHook, SpecSide } from './run-report.ts';

export interface ReportOptions {
  /** How to compare the spec with the previous run's; default a unified line diff. The CLI can pass the semantic diff. */
  specDiff?: SpecDiffHook;
}

const lineSpecDiff: SpecDiffHook = (previous, current) =>
  unifiedDiff(previous.spec, current.spec, [`${previous.runId}/spec.emo`, `${current.runId}/spec.emo`]);

/** Writes the reports of a run folder or a sweep folder; returns the paths written. */
export async function writeReport(dir: string, options: ReportOptions = {}): Promise<{ html: string; md: string }> {
  const specDiff = options.specDiff ?? lineSpecDiff;
  const isDir = await stat(dir).then(
    (st) => st.isDirectory(),
    () => null,
  );
  if (!isDir)
    throw new RunFolderError(isDir === false ? 'not a folder' : 'no such folder', dir, 'pass a run folder or a sweep folder under runs/');
  const parts = (await isSweepDir(dir)) ? await sweepReport(await loadSweep(dir), specDiff) : await runReport(await loadRun(dir), specDiff);
  const html = join(dir, 'report.html');
  const md = join(dir, 'report.md');
  // Temp file then rename (artifacts/atomic.ts): a reader, or a crash, never sees half a report.
  writeFileAtomic(html, page(parts.title, parts.html));
  writeFileAtomic(md, parts.md.endsWith('\n') ? parts.md : parts.md + '\n');
  return { html, md };
}
