// emoc diff A.emo[#point] B.emo[#point]: what differs between two experiments, at the IR level.
// Exit 0 when equal, 1 when different, 2 on error, as diff(1) does. --runs adds the metrics of both
// experiments' latest finished runs.

import * as fs from 'node:fs';
import type { Command } from 'commander';
import { diffExperiments } from '../../compiler/diff/diff.ts';
import { renderDiff } from '../../compiler/diff/render.ts';
import { compareRuns, renderRuns, type RunMetrics } from '../../compiler/diff/runs.ts';
import type { ExperimentIR } from '../../compiler/ir.ts';
import { formatDiagnostics, useColor } from '../diagnostics-printer.ts';
import { withLimitFlags, limitOptions, type LimitFlags } from '../compile-flags.ts';
import { UserError } from '../errors.ts';
import { selectPoints } from '../select.ts';
import { findRuns } from './results.ts';

/** The one experiment FILE[#point] names; anything else is a usage error (exit 2). */
async function experimentAt(fileWithPoint: string, limits: LimitFlags = {}): Promise<ExperimentIR> {
  const file = fileWithPoint.replace(/#.*$/, '');
  if (!fs.existsSync(file)) throw new UserError(`cannot read '${file}'`, 'check the path', 2);
  // Loaded here, not at start: `emoc --version` and --help never construct the parser.
  const { compile } = await import('../../compiler/compile.ts');
  const result = compile(file, { checkPackages: false, ...limitOptions(limits) });
  if (!result.ok) {
    process.stderr.write(formatDiagnostics(result.diagnostics, { color: useColor(process.stderr), texts: result.program.texts }));
    throw new UserError(`${file} has errors`, `run: emoc check ${file}`, 2);
  }
  const found = selectPoints(result.experiments, fileWithPoint);
  if (found.length !== 1) {
    const names = found.map((e) => e.sweep?.point ?? e.name);
    throw new UserError(`${file} holds ${found.length} experiments: ${names.join(', ')}`, `pick one: ${file}#${names[0]}`, 2);
  }
  return found[0];
}

/** The latest finished run of an experiment (or sweep point) under `root`. */
export function latestRun(ir: ExperimentIR, root: string): RunMetrics | null {
  if (!fs.existsSync(root)) return null;
  const matches = findRuns(root).filter(
    ({ summary: s }) =>
      s.status === 'finished' &&
      (ir.sweep
        ? (s.experiment === ir.sweep.sweep && s.point === ir.sweep.point) || s.experiment === ir.name
        : s.experiment === ir.name && !s.point),
  );
  const latest = matches.sort((x, y) => x.summary.finishedAt.localeCompare(y.summary.finishedAt)).at(-1);
  if (!latest) return null;
  const s = latest.summary;
  return { runDir: latest.dir, classes: s.classes, train: s.train, val: s.val, test: s.test ?? null, elapsedMs: s.elapsedMs };
}

export function registerDiff(program: Command): void {
  withLimitFlags(program.command('diff'))
    .description('compare two experiments at the IR level (layers, settings, shapes); exit 0 equal, 1 different, 2 error')
    .argument('<a>', 'first spec; FILE#point picks a sweep point or an experiment')
    .argument('<b>', 'second spec')
    .option('--json', 'print the differences as JSON')
    .option('--runs [dir]', 'add the metrics of both experiments’ latest finished runs (default folder: runs)')
    .action(async (a: string, b: string, opts: { json?: boolean; runs?: string | boolean } & LimitFlags) => {
      const irA = await experimentAt(a, opts);
      const irB = await experimentAt(b, opts);
      const d = diffExperiments(irA, irB);
      d.a.file = a.replace(/#.*$/, '');
      d.b.file = b.replace(/#.*$/, '');
      let runs: { a: RunMetrics | null; b: RunMetrics | null } | null = null;
      if (opts.runs) {
        const root = typeof opts.runs === 'string' ? opts.runs : 'runs';
        runs = { a: latestRun(irA, root), b: latestRun(irB, root) };
      }
      if (opts.json) {
        const metrics = runs?.a && runs.b ? compareRuns(runs.a, runs.b) : null;
        process.stdout.write(
          `${JSON.stringify({ ...d, ...(runs ? { runs: { a: runs.a?.runDir ?? null, b: runs.b?.runDir ?? null, metrics } } : {}) }, null, 2)}\n`,
        );
      } else {
        process.stdout.write(renderDiff(d));
        if (runs) {
          if (runs.a && runs.b) process.stdout.write(renderRuns(compareRuns(runs.a, runs.b), runs.a, runs.b));
          else
            process.stdout.write(
              `runs: no finished run for ${[!runs.a ? irA.name : null, !runs.b ? irB.name : null].filter(Boolean).join(' and ')}\n`,
            );
        }
      }
      process.exitCode = d.equal ? 0 : 1;
    });
}
