// The front end in one call: text -> AST -> effective sections -> sweep points -> IR -> experiment-level
// checks (validate.ts), with every diagnostic collected on the way. No tensors, no runtime: `check`,
// `lint`, `fmt` and `diff` use this.

import * as fs from 'node:fs';
import type { EmoFile } from '../grammar/ast.ts';
import { diagnostic, hasErrors, normalizeDiagnostics, type Diagnostic } from './diagnostics.ts';
import { IR_VERSION, type ExperimentIR } from './ir.ts';
import { Lowerer, SETTINGS } from './lower.ts';
import { loadProgram, resolveExperiments, type LoadedProgram, type ReadFile } from './resolve.ts';
import { inferShapes } from './shapes.ts';
import { expandSweep } from './sweep.ts';
import { validateIR } from './schema.ts';
import { layerStack, nameClashes, networkInput, validatePoint, type ValidateOptions } from './validate.ts';

export interface CompileResult {
  experiments: ExperimentIR[];
  diagnostics: Diagnostic[];
  program: LoadedProgram;
  ast: EmoFile;
  ok: boolean;
  /** Experiments compiled, every sweep point counted, kept or not. */
  count: number;
  /** Points of each sweep by its experiment's name, all counted even when `keepPoints` kept fewer IRs. */
  sweepSizes: Map<string, number>;
}

export const readFileOrUndefined: ReadFile = (f) => {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
};

export interface CompileOptions extends ValidateOptions {
  readFile?: ReadFile;
  /** Source text of the main file, when it is not (yet) on disk. */
  text?: string;
  /** Validate each IR against the JSON Schema (emoc compile, emoc run and the tests do). */
  validate?: boolean;
  /** Refuse (E044) a sweep with more points than this; default DEFAULT_MAX_POINTS (compiler/limits.ts). */
  maxPoints?: number;
  /** Keep the IRs of only the first N points of each sweep; the others are still checked (explain). */
  keepPoints?: number;
  /** false: check every experiment but keep no IR (`emoc check` only reports). Each IR is then garbage
   * as soon as it is checked, which spares the garbage collector copying thousands of layers it would
   * otherwise have to keep (on a 5,000-line spec, ~7,300). */
  keepIRs?: boolean;
}

export function compile(file: string, opts: CompileOptions = {}): CompileResult {
  const readFile = opts.readFile ?? readFileOrUndefined;
  const program = loadProgram(file, readFile, opts.text);
  const diagnostics = [...program.diagnostics];
  if (opts.text === undefined && !program.texts.get(program.main.file) && readFile(program.main.file) === undefined) {
    diagnostics.push(diagnostic('E019', program.main.file, program.main.span, `cannot read '${file}'`, 'check the path'));
  }
  const resolved = resolveExperiments(program);
  diagnostics.push(...resolved.diagnostics);
  const experiments: ExperimentIR[] = [];
  const named: Parameters<typeof nameClashes>[0][number][] = [];
  // Checks read files too (a user graph's model.json): once per compile, not once per sweep point.
  const read = new Map<string, string | undefined>();
  const validateOpts = { ...opts, readFile: (f: string) => (read.has(f) ? read.get(f) : read.set(f, readFile(f)).get(f)) };

  const sweepSizes = new Map<string, number>();
  let count = 0;
  for (const exp of resolved.experiments) {
    const sweep = expandSweep(exp, (s) => SETTINGS[s], { maxPoints: opts.maxPoints });
    if (exp.sections.sweep) sweepSizes.set(exp.experiment.name, sweep.count);
    let index = 0;
    for (const point of sweep.points) {
      const lower = new Lowerer(exp.file, diagnostics);
      const s = point.sections;
      const data = lower.data(s.data);
      const augment = lower.augment(s.augment);
      const backbone = lower.backbone(s.backbone);
      const train = lower.train(s.train);
      const stack = layerStack(s);
      const layers = stack ? lower.layers(stack) : [];
      // With a broken backbone section the head's input is unknown, not the image.
      const input = s.backbone ? [backbone?.width ?? -1] : networkInput(data, augment);
      const shapes = inferShapes(input, layers, data.classes.length, exp.file, diagnostics);
      const name = point.point ? `${exp.experiment.name}-${point.point}` : exp.experiment.name;
      const ir: ExperimentIR = {
        irVersion: IR_VERSION,
        name,
        file: exp.file,
        sweep: point.point ? { sweep: exp.experiment.name, point: point.point, values: point.values } : null,
        data,
        augment,
        backbone,
        layers,
        train,
        shapes,
      };
      diagnostics.push(
        ...validatePoint({
          file: exp.file,
          nameSpan: exp.experiment.nameSpan,
          experimentName: exp.experiment.name,
          sections: s,
          ir,
          opts: validateOpts,
        }),
      );
      named.push({ name, experiment: exp.experiment.name, file: exp.file, nameSpan: exp.experiment.nameSpan });
      count++;
      const kept = opts.keepIRs !== false && (!point.point || opts.keepPoints === undefined || index < opts.keepPoints);
      if (kept) experiments.push(ir);
      index++;
    }
    // After the points: duplicate point names are found while they are built.
    diagnostics.push(...sweep.diagnostics);
  }
  diagnostics.push(...nameClashes(named));
  if (program.main.items.length === 0 && program.main.imports.length === 0 && !hasErrors(diagnostics)) {
    diagnostics.push(
      diagnostic('E026', program.main.file, program.main.span, 'this file declares no experiment', 'add: experiment NAME { ... }'),
    );
  }
  const all = normalizeDiagnostics(diagnostics);
  const ok = !hasErrors(all);
  if (ok && opts.validate) {
    for (const ir of experiments) {
      const errors = validateIR(ir);
      if (errors) throw new Error(`internal error: IR of '${ir.name}' does not match the schema: ${errors}`);
    }
  }
  return { experiments, diagnostics: all, program, ast: program.main, ok, count, sweepSizes };
}
