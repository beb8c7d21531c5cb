// The front end in one call: text -> AST -> effective sections -> sweep points -> IR, with every
// diagnostic collected on the way. No tensors, no runtime: `check`, `lint`, `fmt` and `diff` use this.

import * as fs from 'node:fs';
import type { EmoFile } from '../grammar/ast.ts';
import { BACKBONES, canFinetune } from './backbones.ts';
import { diagnostic, hasErrors, normalizeDiagnostics, type Diagnostic } from './diagnostics.ts';
import { IR_VERSION, type AugmentIR, type DataIR, type ExperimentIR } from './ir.ts';
import { Lowerer, SETTINGS } from './lower.ts';
import { loadProgram, resolveExperiments, type LoadedProgram, type ReadFile } from './resolve.ts';
import { inferShapes } from './shapes.ts';
import { expandSweep } from './sweep.ts';
import { validateIR } from './schema.ts';
import { packageInstalled } from './packages.ts';

export interface CompileResult {
  experiments: ExperimentIR[];
  diagnostics: Diagnostic[];
  program: LoadedProgram;
  ast: EmoFile;
  ok: boolean;
}

export const readFileOrUndefined: ReadFile = (f) => {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
};

export interface CompileOptions {
  readFile?: ReadFile;
  /** Source text of the main file, when it is not (yet) on disk. */
  text?: string;
  /** Whether to check that optional backbone packages are installed (off in pure-syntax tools). */
  checkPackages?: boolean;
  /** Validate each IR against the JSON Schema (emoc compile, emoc run and the tests do). */
  validate?: boolean;
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
  const names = new Map<string, string>();

  for (const exp of resolved.experiments) {
    const { points, diagnostics: sweepDiagnostics } = expandSweep(exp, (s) => SETTINGS[s]);
    diagnostics.push(...sweepDiagnostics);
    for (const point of points) {
      const lower = new Lowerer(exp.file, diagnostics);
      const s = point.sections;
      const data = lower.data(s.data);
      const augment = lower.augment(s.augment);
      const backbone = lower.backbone(s.backbone);
      const train = lower.train(s.train);
      const stack = s.backbone ? s.head : s.model;
      if (s.backbone && s.model) {
        diagnostics.push(diagnostic('E027', exp.file, s.model.keywordSpan, "a spec has either a model (from scratch) or a backbone with a head, not both", "rename 'model' to 'head' to train it on the backbone's features"));
      } else if (!s.backbone && s.head) {
        diagnostics.push(diagnostic('E026', exp.file, s.head.keywordSpan, "a head needs a backbone to sit on", "add: backbone faceres { tap avgpool }, or rename 'head' to 'model'"));
      } else if (!stack) {
        diagnostics.push(
          diagnostic('E026', exp.file, exp.experiment.nameSpan, `experiment '${exp.experiment.name}' has no ${s.backbone ? 'head' : 'model'}`, s.backbone ? 'add: head { fc 7 | softmax }' : 'add a model block with its layers'),
        );
      }
      const layers = stack ? lower.layers(stack) : [];
      if (stack && (stack.body ?? []).length === 0) {
        diagnostics.push(diagnostic('E026', exp.file, stack.keywordSpan, `the ${stack.keyword} block has no layers`, `add layers, for example: ${stack.keyword} { flatten; fc ${data.classes.length} | softmax }`));
      }
      if (backbone && opts.checkPackages !== false && backbone.weights === null) {
        const spec = BACKBONES[backbone.name];
        if (spec && !packageInstalled(spec.package)) {
          diagnostics.push(
            diagnostic('E022', exp.file, s.backbone!.header[0].span, `backbone '${backbone.name}' needs the package ${spec.package}, which is not installed`, `run: npm install ${spec.package}`),
          );
        }
      }
      if (backbone && !backbone.frozen) {
        const verdict = canFinetune(backbone.name);
        if (!verdict.ok) {
          const ft = s.backbone!.body?.find((p) => p.calls[0].name === 'finetune');
          diagnostics.push(diagnostic('E034', exp.file, ft?.calls[0].nameSpan ?? s.backbone!.keywordSpan, `cannot fine-tune: ${verdict.reason}`, "use 'frozen' (the default)"));
        }
      }
      // With a broken backbone section the head's input is unknown, not the image.
      const input = s.backbone ? [backbone?.width ?? -1] : networkInput(data, augment, exp.file, s.augment?.keywordSpan ?? exp.experiment.nameSpan, diagnostics);
      const shapes = inferShapes(input, layers, data.classes.length, exp.file, diagnostics);
      const name = point.point ? `${exp.experiment.name}-${point.point}` : exp.experiment.name;
      if (names.has(name) && names.get(name) !== exp.experiment.name) {
        diagnostics.push(diagnostic('E043', exp.file, exp.experiment.nameSpan, `sweep point '${name}' has the same name as another experiment`, 'rename the sweep or the experiment'));
      }
      names.set(name, exp.experiment.name);
      experiments.push({
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
      });
    }
  }
  if (program.main.items.length === 0 && program.main.imports.length === 0 && !hasErrors(diagnostics)) {
    diagnostics.push(diagnostic('E026', program.main.file, program.main.span, 'this file declares no experiment', 'add: experiment NAME { ... }'));
  }
  const all = normalizeDiagnostics(diagnostics);
  const ok = !hasErrors(all);
  if (ok && opts.validate) {
    for (const ir of experiments) {
      const errors = validateIR(ir);
      if (errors) throw new Error(`internal error: IR of '${ir.name}' does not match the schema: ${errors}`);
    }
  }
  return { experiments, diagnostics: all, program, ast: program.main, ok };
}

/** The network's input: the crop size when training crops, else the test crop, else the image size. */
export function networkInput(data: DataIR, augment: AugmentIR, file: string, span: import('../grammar/ast.ts').Span, diagnostics: Diagnostic[]): number[] {
  const [h, w, c] = data.input;
  const crop = augment.train.find((a) => a.kind === 'tencrop' || a.kind === 'randomcrop');
  const cropSize = crop && 'size' in crop ? crop.size : augment.test.kind === 'tencrop' ? augment.test.size : null;
  if (!cropSize) return [h, w, c];
  if (cropSize[0] > h || cropSize[1] > w) {
    diagnostics.push(diagnostic('E033', file, span, `a ${cropSize[0]}x${cropSize[1]} crop does not fit the ${h}x${w} input`, `use a crop smaller than ${h}x${w}`));
  }
  if (augment.test.kind === 'tencrop' && crop && (augment.test.size[0] !== cropSize[0] || augment.test.size[1] !== cropSize[1])) {
    diagnostics.push(diagnostic('E035', file, span, `test crops (${augment.test.size.join('x')}) and training crops (${cropSize.join('x')}) differ in size`, 'the network takes one input size: use the same crop size'));
  }
  return [cropSize[0], cropSize[1], c];
}
