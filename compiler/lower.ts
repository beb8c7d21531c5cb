// Effective sections (after reuse and sweep expansion) -> IR parts. Every default becomes explicit here.
// Vocabulary tables at the top are the single source for "did you mean", `emoc lint --rules`-style docs
// and the grammar reference.

import * as path from 'node:path';
import type { Call, Pipeline, Section, Span, Value } from '../grammar/ast.ts';
import type { SectionName } from '../grammar/lexer.ts';
import { CallReader, checkRange, describeValue } from './args.ts';
import { BACKBONES } from './backbones.ts';
import { diagnostic, type Diagnostic } from './diagnostics.ts';
import {
  EMOTIONS,
  type Activation,
  type AugmentIR,
  type BackboneIR,
  type DataIR,
  type LayerIR,
  type Metric,
  type OptimizerIR,
  type Padding,
  type PathSource,
  type ScheduleIR,
  type SrcRef,
  type TestAug,
  type TrainAug,
  type TrainIR,
} from './ir.ts';
import { didYouMean } from './suggest.ts';
import {
  ACTIVATIONS,
  BUILTIN_SOURCES,
  CLASS_WEIGHT_MODES,
  GRAPH_PREPROCESS,
  isOneOf,
  LAYER_NAMES,
  METRICS,
  MODEL_DIRECTIVES,
  OPTIMIZERS,
  orList,
  PADDINGS,
  PATH_SOURCES,
  PREPROCESS_MODES,
  SCHEDULES,
  SETTINGS,
} from './vocabulary.ts';

export { ACTIVATIONS, LAYER_NAMES, MODEL_DIRECTIVES, SETTINGS } from './vocabulary.ts';

export const DEFAULTS = {
  builtinImages: 840,
  input: [160, 160, 3] as [number, number, number],
  valSplit: 0.2,
  preprocess: 'fixed' as const,
  epochs: 10,
  batchSize: 32,
  lr: 1e-3,
  seed: 1,
};

export class Lowerer {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
  ) {}

  private report(code: Parameters<typeof diagnostic>[0], span: Span, message: string, hint?: string) {
    this.diagnostics.push(diagnostic(code, this.file, span, message, hint));
  }

  private src(span: Span): SrcRef {
    return { file: span.file ?? this.file, line: span.start.line, column: span.start.column };
  }

  /** Settings of a section by name, reporting unknown names, pipes and duplicates. */
  private settings(section: Section | undefined): Map<string, CallReader> {
    const out = new Map<string, CallReader>();
    if (!section) return out;
    const known = SETTINGS[section.keyword] ?? [];
    for (const p of section.body ?? []) {
      const call = p.calls[0];
      if (p.calls.length > 1) {
        this.report('E025', p.calls[1].nameSpan, `'|' joins layers; '${section.keyword}' holds settings`, 'put each setting on its own line');
      }
      if (!known.includes(call.name)) {
        const layerHint = isOneOf(LAYER_NAMES, call.name) ? `'${call.name}' is a layer: it belongs in a model or head block` : undefined;
        this.report('E010', call.nameSpan, `unknown ${section.keyword} setting '${call.name}'`, layerHint ?? didYouMean(call.name, known, `${section.keyword} settings: ${known.join(', ')}`));
        continue;
      }
      if (out.has(call.name)) {
        this.report('E015', call.nameSpan, `'${call.name}' is set twice in ${section.keyword}`, 'keep one');
      }
      out.set(call.name, new CallReader(call, this.file, this.diagnostics, known));
    }
    return out;
  }

  data(section: Section | undefined): DataIR {
    const s = this.settings(section);
    let source: DataIR['source'] = { kind: 'builtin', name: 'faces', images: DEFAULTS.builtinImages };
    const src = s.get('source');
    if (src) {
      const kind = src.take((v) => v.kind === 'word' && isOneOf(PATH_SOURCES, v.name));
      const builtin = src.take((v) => v.kind === 'builtin');
      const where = src.take((v) => v.kind === 'string');
      if (builtin?.kind === 'builtin') {
        if (!isOneOf(BUILTIN_SOURCES, builtin.name)) this.report('E023', builtin.span, `unknown built-in dataset 'builtin:${builtin.name}'`, "the built-in dataset is 'builtin:faces'");
        source = { kind: 'builtin', name: 'faces', images: DEFAULTS.builtinImages };
      } else if (where?.kind === 'string') {
        const k = kind?.kind === 'word' ? (kind.name as PathSource) : where.value.toLowerCase().endsWith('.csv') ? 'fer2013' : 'folder';
        source = { kind: k, path: where.value };
      } else {
        this.report('E023', src.call.span, 'source needs builtin:faces or a quoted path', 'for example: source "data/faces" or source fer2013 "fer2013.csv"');
      }
      src.finish('source takes: builtin:faces | [folder|sfew|fer2013] "path"');
    }
    const images = s.get('images');
    if (images) {
      const n = images.number('images', { positional: true, required: true, integer: true, min: 7, what: 'the image count' });
      if (source.kind === 'builtin' && n !== undefined) source = { ...source, images: n };
      else if (source.kind !== 'builtin') this.report('W001', images.call.nameSpan, "'images' only applies to builtin:faces", 'remove it');
      images.finish();
    }
    let classes: string[] = [...EMOTIONS];
    const cls = s.get('classes');
    if (cls) {
      const list = cls.take((v) => v.kind === 'list');
      if (list?.kind === 'list') {
        const names: string[] = [];
        for (const item of list.items) {
          if (item.kind !== 'word' && item.kind !== 'string') {
            this.report('E013', item.span, `a class is a name, not ${describeValue(item)}`);
            continue;
          }
          const name = item.kind === 'word' ? item.name : item.value;
          if (names.includes(name)) this.report('E015', item.span, `class '${name}' is listed twice`, 'list each class once');
          else if (source.kind === 'builtin' && !(EMOTIONS as readonly string[]).includes(name)) {
            this.report('E024', item.span, `unknown class '${name}': the built-in faces have ${EMOTIONS.join(', ')}`, didYouMean(name, EMOTIONS));
          } else names.push(name);
        }
        if (names.length < 2) this.report('E013', list.span, 'a classifier needs at least 2 classes');
        else classes = names;
      } else this.report('E012', cls.call.span, 'classes needs a list', 'for example: classes [angry, happy, sad]');
      cls.finish();
    }
    let input: [number, number, number] = DEFAULTS.input;
    const inp = s.get('input');
    if (inp) input = this.size3(inp) ?? input;
    let valSplit = DEFAULTS.valSplit;
    const split = s.get('split');
    if (split) {
      valSplit = split.number('split', { positional: true, required: true, above: 0, below: 1, what: 'the validation split', example: 'split 0.2' }) ?? valSplit;
      split.finish();
    }
    let preprocess: DataIR['preprocess'] = DEFAULTS.preprocess;
    const pre = s.get('preprocess');
    if (pre) {
      const choice = pre.take((v) => v.kind === 'word');
      if (choice?.kind === 'word' && isOneOf(PREPROCESS_MODES, choice.name)) preprocess = choice.name;
      else this.report('E013', choice?.span ?? pre.call.span, `preprocess is ${orList(PREPROCESS_MODES)}`, didYouMean(choice?.kind === 'word' ? choice.name : '', PREPROCESS_MODES));
      pre.finish();
    }
    return { source, classes, input, valSplit, preprocess };
  }

  private size3(r: CallReader): [number, number, number] | undefined {
    const v = r.take((x) => x.kind === 'size');
    r.finish();
    if (v?.kind !== 'size' || v.dims.length !== 3) {
      this.report('E013', v?.span ?? r.call.span, 'input is HEIGHTxWIDTHxCHANNELS', 'for example: input 160x160x3');
      return undefined;
    }
    const [h, w, c] = v.dims;
    if (h < 1 || w < 1) this.report('E013', v.span, 'input height and width must be at least 1');
    else if (c !== 1 && c !== 3) this.report('E013', v.span, `input channels must be 1 (grey) or 3 (colour), not ${c}`);
    else return [h, w, c];
    return undefined;
  }

  private cropSize(r: CallReader): [number, number] | undefined {
    const v = r.take((x) => x.kind === 'number' || x.kind === 'size');
    r.finish();
    if (!v) {
      this.report('E012', r.call.span, `'${r.call.name}' needs a crop size`, `for example: ${r.call.name} 144`);
      return undefined;
    }
    const dims = v.kind === 'number' ? [v.value, v.value] : v.kind === 'size' ? v.dims : [];
    if (dims.length !== 2 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
      this.report('E013', v.span, 'a crop size is N or HEIGHTxWIDTH with whole numbers of at least 1');
      return undefined;
    }
    return [dims[0], dims[1]];
  }

  augment(section: Section | undefined): AugmentIR {
    const train: TrainAug[] = [];
    let test: TestAug = { kind: 'none' };
    for (const [name, r] of this.settings(section)) {
      if (name === 'flip') {
        r.finish();
        train.push({ kind: 'flip' });
      } else if (name === 'tencrop' || name === 'randomcrop') {
        const size = this.cropSize(r);
        if (size) train.push({ kind: name, size });
      } else if (name === 'test') {
        if (r.flag('none')) r.finish();
        else if (r.take((v) => v.kind === 'word' && v.name === 'tencrop')) {
          const size = this.cropSize(r);
          if (size) test = { kind: 'tencrop', size };
        } else {
          this.report('E013', r.call.span, 'test augmentation is tencrop N or none', 'for example: test tencrop 144');
        }
      }
    }
    if (train.some((a) => a.kind === 'tencrop') && train.some((a) => a.kind === 'randomcrop')) {
      this.report('E027', section!.keywordSpan, 'tencrop and randomcrop both crop the training images', 'keep one of them');
    }
    return { train, test };
  }

  backbone(section: Section | undefined): BackboneIR | null {
    if (!section) return null;
    const header = section.header[0];
    const name = header?.kind === 'word' ? header.name : undefined;
    if (!name) {
      this.report('E012', section.keywordSpan, 'backbone needs a name', `for example: backbone faceres { tap avgpool } (known: ${Object.keys(BACKBONES).join(', ')})`);
      return null;
    }
    const s = this.settings(section);
    const weightsArg = s.get('weights');
    let weights: string | null = null;
    if (weightsArg) {
      const w = weightsArg.take((v) => v.kind === 'string');
      weightsArg.finish();
      if (w?.kind === 'string') weights = w.value;
      else this.report('E012', weightsArg.call.span, 'weights needs a quoted path to a model.json', 'for example: weights "models/facenet/model.json"');
    }
    const spec = BACKBONES[name];
    if (!spec && weights === null) {
      this.report('E020', header!.span, `unknown backbone '${name}'`, didYouMean(name, Object.keys(BACKBONES), `known backbones: ${Object.keys(BACKBONES).join(', ')}; or give weights "path/model.json" for your own graph model`));
      return null;
    }
    let input: [number, number, number] = spec?.input ?? [160, 160, 3];
    const inp = s.get('input');
    if (inp) input = this.size3(inp) ?? input;
    else if (!spec) this.report('E012', section.keywordSpan, `backbone '${name}' is your own model: give its input size`, 'for example: input 160x160x3');

    const taps: string[] = [];
    let width: number | null = 0;
    const tap = s.get('tap');
    if (!tap) this.report('E012', section.keywordSpan, 'backbone needs a tap', spec ? `taps of ${name}: ${Object.keys(spec.taps).join(', ')}, concat` : 'for example: tap "node/name"');
    else {
      const v = tap.take(() => true);
      tap.finish();
      const items = v?.kind === 'list' ? v.items : v ? [v] : [];
      for (const item of items) {
        if (item.kind === 'string') {
          taps.push(item.value);
          width = null;
        } else if (item.kind === 'word' && spec && item.name === 'concat') {
          for (const t of spec.concat) taps.push(t);
          if (width !== null) width += spec.concat.reduce((sum, t) => sum + spec.taps[t].width, 0);
        } else if (item.kind === 'word' && spec?.taps[item.name]) {
          taps.push(item.name);
          if (width !== null) width += spec.taps[item.name].width;
        } else if (item.kind === 'word') {
          const known = spec ? [...Object.keys(spec.taps), 'concat'] : [];
          this.report('E021', item.span, `unknown tap '${item.name}' for backbone '${name}'`, didYouMean(item.name, known, spec ? `taps of ${name}: ${known.join(', ')}; or a graph node name in quotes` : 'give a graph node name in quotes'));
        } else this.report('E013', item.span, `a tap is a name or a quoted node name, not ${describeValue(item)}`);
      }
      if (items.length === 0) this.report('E012', v?.span ?? tap.call.span, 'tap needs at least one tap', spec ? `taps of ${name}: ${Object.keys(spec.taps).join(', ')}, concat` : 'for example: tap "node/name"');
    }
    let frozen = true;
    let finetune = 0;
    if (s.get('frozen')) s.get('frozen')!.finish();
    const ft = s.get('finetune');
    if (ft) {
      finetune = ft.number('blocks', { positional: true, required: true, integer: true, min: 1, what: 'the number of blocks to fine-tune', example: 'finetune 2' }) ?? 1;
      ft.finish();
      frozen = false;
      if (s.get('frozen')) this.report('E027', ft.call.nameSpan, "'frozen' and 'finetune' contradict each other", 'keep one');
    }
    let preprocess = spec?.preprocess[0] ?? 'fixed';
    const pre = s.get('preprocess');
    if (pre) {
      const choices: readonly string[] = spec?.preprocess ?? GRAPH_PREPROCESS;
      const p = pre.take((v) => v.kind === 'word');
      pre.finish();
      if (p?.kind === 'word' && choices.includes(p.name)) preprocess = p.name;
      else this.report('E013', p?.span ?? pre.call.span, `backbone '${name}' takes preprocess ${choices.join(' or ')}`, didYouMean(p?.kind === 'word' ? p.name : '', choices));
    }
    return { name, weights, taps, width: taps.length ? width : null, input, preprocess, frozen, finetune, src: this.src(section.keywordSpan) };
  }

  train(section: Section | undefined): TrainIR {
    const s = this.settings(section);
    const int = (name: string, what: string, example: string, min = 1) => {
      const r = s.get(name);
      if (!r) return undefined;
      const n = r.number(name, { positional: true, required: true, integer: true, min, what, example });
      r.finish();
      return n;
    };
    const epochs = int('epochs', 'the number of epochs', 'epochs 10') ?? DEFAULTS.epochs;
    const batchSize = int('batch', 'the batch size', 'batch 32') ?? DEFAULTS.batchSize;
    const seed = int('seed', 'the seed', 'seed 42', 0) ?? DEFAULTS.seed;

    let optimizer: OptimizerIR = { kind: 'adam', lr: DEFAULTS.lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    const opt = s.get('optimizer');
    if (opt) {
      const kind = opt.take((v) => v.kind === 'word');
      const lr = opt.number('lr', { above: 0, what: 'the learning rate' });
      if (kind?.kind === 'word' && kind.name === 'adam') {
        optimizer = {
          kind: 'adam',
          lr: lr ?? DEFAULTS.lr,
          beta1: opt.number('beta1', { min: 0, below: 1 }) ?? 0.9,
          beta2: opt.number('beta2', { min: 0, below: 1 }) ?? 0.999,
          epsilon: opt.number('epsilon', { above: 0 }) ?? 1e-7,
        };
      } else if (kind?.kind === 'word' && kind.name === 'sgd') {
        optimizer = { kind: 'sgd', lr: lr ?? 0.01, momentum: opt.number('momentum', { min: 0, below: 1 }) ?? 0, nesterov: opt.flag('nesterov') };
      } else {
        const word = kind?.kind === 'word' ? kind.name : '';
        this.report('E013', kind?.span ?? opt.call.span, word ? `unknown optimizer '${word}'` : 'optimizer needs a name', didYouMean(word, OPTIMIZERS, `optimizers: ${OPTIMIZERS.join(', ')}`));
      }
      opt.finish(optimizer.kind === 'adam' ? 'adam takes lr=, beta1=, beta2=, epsilon=' : 'sgd takes lr=, momentum=, nesterov');
    }
    const lr = s.get('lr');
    if (lr) {
      const n = lr.number('lr', { positional: true, required: true, above: 0, what: 'the learning rate', example: 'lr 1e-3' });
      lr.finish();
      if (n !== undefined) optimizer = { ...optimizer, lr: n };
    }

    let schedule: ScheduleIR = { kind: 'constant' };
    const sch = s.get('schedule');
    if (sch) {
      const kind = sch.take((v) => v.kind === 'word');
      const name = kind?.kind === 'word' ? kind.name : '';
      if (name === 'constant') schedule = { kind: 'constant' };
      else if (name === 'step') {
        schedule = { kind: 'step', every: sch.number('every', { integer: true, min: 1, required: true, what: 'every=EPOCHS', example: 'schedule step every=10 gamma=0.1' }) ?? 10, gamma: sch.number('gamma', { above: 0, max: 1 }) ?? 0.1 };
      } else if (name === 'exponential') schedule = { kind: 'exponential', gamma: sch.number('gamma', { above: 0, max: 1 }) ?? 0.95 };
      else if (name === 'cosine') schedule = { kind: 'cosine', minLr: sch.number('min', { min: 0 }) ?? 0 };
      else this.report('E013', kind?.span ?? sch.call.span, name ? `unknown schedule '${name}'` : 'schedule needs a kind', didYouMean(name, SCHEDULES, `schedules: ${SCHEDULES.join(', ')}`));
      sch.finish();
    }

    let earlyStop: TrainIR['earlyStop'] = null;
    const es = s.get('early-stop');
    if (es) {
      if (!es.flag('none')) {
        const m = es.take((v) => v.kind === 'word');
        const metric: Metric | undefined = m?.kind === 'word' && isOneOf(METRICS, m.name) ? m.name : undefined;
        if (!metric) this.report('E013', m?.span ?? es.call.span, `early-stop watches ${orList(METRICS)}`, didYouMean(m?.kind === 'word' ? m.name : '', METRICS, 'for example: early-stop val_acc patience=5'));
        earlyStop = { metric: metric ?? 'val_acc', patience: es.number('patience', { integer: true, min: 1 }) ?? 5, minDelta: es.number('delta', { min: 0 }) ?? 0 };
      }
      es.finish();
    }

    let classWeights: TrainIR['classWeights'] = 'none';
    const cw = s.get('class-weights');
    if (cw) {
      const v = cw.take(() => true);
      if (v?.kind === 'word' && isOneOf(CLASS_WEIGHT_MODES, v.name)) classWeights = v.name;
      else if (v?.kind === 'map') {
        const weights: Record<string, number> = {};
        for (const e of v.entries) {
          const n = e.value.kind === 'number' ? checkRange(e.value.value, e.value.span, e.key, { above: 0, what: `the weight of '${e.key}'` }, cw) : undefined;
          if (e.value.kind !== 'number') cw.report('E013', e.value.span, `the weight of '${e.key}' must be a number`);
          if (n !== undefined) weights[e.key] = n;
        }
        classWeights = weights;
      } else this.report('E013', v?.span ?? cw.call.span, 'class-weights is none, balanced, or a map like {disgust: 4, fear: 1.5}');
      cw.finish();
    }
    return { epochs, batchSize, optimizer, schedule, seed, earlyStop, classWeights };
  }

  /** A model or head block -> layers with every activation and padding explicit. */
  layers(section: Section): LayerIR[] {
    let defaultActivation: Activation | null = null;
    let defaultPadding: Padding = 'same';
    type Pending = { layer: LayerIR; explicitActivation: boolean };
    const pending: Pending[] = [];
    const body: Pipeline[] = section.body ?? [];
    for (const p of body) {
      for (const call of p.calls) {
        if (call.name === 'default') {
          const r = new CallReader(call, this.file, this.diagnostics);
          const key = r.take((v) => v.kind === 'word');
          const value = r.take((v) => v.kind === 'word');
          const k = key?.kind === 'word' ? key.name : '';
          const val = value?.kind === 'word' ? value.name : '';
          if (k === 'activation' && isOneOf(ACTIVATIONS, val)) defaultActivation = val;
          else if (k === 'padding' && isOneOf(PADDINGS, val)) defaultPadding = val;
          else this.report('E013', call.span, 'default takes: activation NAME, or padding same|valid', 'for example: default activation relu');
          r.finish();
          if (p.calls.length > 1) this.report('E025', call.nameSpan, "'default' is a directive, not a layer", 'put it on its own line');
          continue;
        }
        const built = this.layer(call, defaultPadding);
        if (built) pending.push(built);
      }
    }
    // The write-up's convention: the default activation follows every conv and fc except the last one,
    // unless the layer names its own or an activation layer follows it directly.
    const weighted = pending.filter((x) => x.layer.kind === 'conv' || x.layer.kind === 'fc');
    const last = weighted.at(-1);
    pending.forEach((x, i) => {
      const l = x.layer;
      if ((l.kind === 'conv' || l.kind === 'fc') && !x.explicitActivation) {
        const followedByActivation = pending[i + 1]?.layer.kind === 'activation';
        l.activation = defaultActivation && x !== last && !followedByActivation ? defaultActivation : 'linear';
      }
    });
    return pending.map((x) => x.layer);
  }

  private layer(call: Call, defaultPadding: Padding): { layer: LayerIR; explicitActivation: boolean } | null {
    const r = new CallReader(call, this.file, this.diagnostics);
    const src = this.src(call.nameSpan);
    let result: { layer: LayerIR; explicitActivation: boolean } | null = null;
    switch (call.name) {
      case 'conv': {
        const filters = r.number('filters', { positional: true, required: true, integer: true, min: 1, what: 'the number of filters', example: 'conv 64 k5 s2' });
        const kernel = units(r, 'k') ?? keyPair(r, 'kernel');
        const stride = units(r, 's') ?? keyPair(r, 'stride') ?? [1, 1];
        const pad = padding(r) ?? defaultPadding;
        const act = activation(r);
        const b = bias(r);
        if (!kernel && !this.diagnostics.some((d) => d.line === call.span.start.line && d.code === 'E013')) {
          r.report('E012', call.span, "'conv' needs a kernel size", 'for example: conv 64 k5 s2');
        }
        if (filters !== undefined && kernel) {
          result = { layer: { kind: 'conv', filters, kernel, stride, padding: pad, activation: act.activation, bias: b, src }, explicitActivation: act.explicit };
        }
        break;
      }
      case 'fc': {
        const n = r.number('units', { positional: true, required: true, integer: true, min: 1, what: 'the number of units', example: 'fc 128' });
        const act = activation(r);
        const b = bias(r);
        if (n !== undefined) result = { layer: { kind: 'fc', units: n, activation: act.activation, bias: b, src }, explicitActivation: act.explicit };
        break;
      }
      case 'bn':
        // Moving-average momentum 0.9 (PyTorch's default) rather than Keras' 0.99: short runs of a few
        // hundred steps otherwise evaluate with statistics still close to their initial values.
        result = { layer: { kind: 'bn', momentum: r.number('momentum', { min: 0, below: 1 }) ?? 0.9, epsilon: r.number('epsilon', { above: 0 }) ?? 1e-3, src }, explicitActivation: false };
        break;
      case 'maxpool':
      case 'avgpool': {
        const sizeNum = r.number('size', { positional: true, integer: true, min: 1, what: 'the pool size' });
        const size: [number, number] | undefined = sizeNum !== undefined ? [sizeNum, sizeNum] : undefined;
        const stride = units(r, 's') ?? keyPair(r, 'stride');
        const pad = padding(r) ?? 'valid';
        if (call.name === 'avgpool' && !size && !stride) result = { layer: { kind: 'globalavgpool', src }, explicitActivation: false };
        else {
          const sz = size ?? [2, 2];
          result = { layer: { kind: call.name, size: sz, stride: stride ?? sz, padding: pad, src }, explicitActivation: false };
        }
        break;
      }
      case 'flatten':
        result = { layer: { kind: 'flatten', src }, explicitActivation: false };
        break;
      case 'l2norm':
        result = { layer: { kind: 'l2norm', src }, explicitActivation: false };
        break;
      case 'dropout': {
        const rate = r.number('rate', { positional: true, required: true, min: 0, below: 1, what: 'the dropout rate', example: 'dropout 0.5' });
        if (rate !== undefined) result = { layer: { kind: 'dropout', rate, src }, explicitActivation: false };
        break;
      }
      default:
        if (isOneOf(ACTIVATIONS, call.name)) {
          result = { layer: { kind: 'activation', fn: call.name, src }, explicitActivation: false };
          break;
        }
        this.report(
          'E011',
          call.nameSpan,
          `unknown layer '${call.name}'`,
          didYouMean(call.name, [...LAYER_NAMES, ...MODEL_DIRECTIVES], Object.values(SETTINGS).some((s) => s.includes(call.name)) ? `'${call.name}' is a setting, not a layer` : `layers: ${LAYER_NAMES.join(', ')}`),
        );
        return null;
    }
    r.finish(hintFor(call.name));
    return result;
  }

  /** Where relative paths in the spec are resolved from. */
  baseDir(): string {
    return path.dirname(this.file);
  }
}

// Argument readers for layer(). They are module-level functions rather than closures inside layer():
// layer() runs once per layer of every experiment, and each named closure would be re-created (and,
// under tsx's keepNames, re-named with Object.defineProperty) on every call.

/** A layer's activation word (positional or `activation=`); linear when it names none. */
function activation(r: CallReader): { activation: Activation; explicit: boolean } {
  const a = r.word('activation', ACTIVATIONS, { positional: true }) as Activation | undefined;
  return { activation: a ?? 'linear', explicit: a !== undefined };
}

// `k3`, `s2x1`: compiled once, not per argument tested.
const UNIT_PATTERNS: Record<'k' | 's', { starts: RegExp; full: RegExp }> = {
  k: { starts: /^k\d/, full: /^k(\d+)(?:x(\d+))?$/ },
  s: { starts: /^s\d/, full: /^s(\d+)(?:x(\d+))?$/ },
};

/** A kernel (`k3`, `k3x5`) or stride (`s2`) word: `prefix` is 'k' or 's'. */
function units(r: CallReader, prefix: 'k' | 's'): [number, number] | undefined {
  const { starts, full } = UNIT_PATTERNS[prefix];
  const v = r.take((x) => x.kind === 'word' && starts.test(x.name));
  if (!v || v.kind !== 'word') return undefined;
  const m = full.exec(v.name);
  if (!m) {
    r.report('E013', v.span, `cannot read '${v.name}'`, `write ${prefix}N or ${prefix}NxM, for example ${prefix}3`);
    return undefined;
  }
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 1 || b < 1) {
    r.report('E013', v.span, `'${v.name}': ${prefix === 'k' ? 'a kernel' : 'a stride'} must be at least 1`, `for example ${prefix}${prefix === 'k' ? 3 : 1}`);
    return undefined;
  }
  return [a, b];
}

/** `kernel=3` / `stride=2` as a square pair. */
function keyPair(r: CallReader, key: string): [number, number] | undefined {
  const n = r.number(key, { integer: true, min: 1 });
  return n === undefined ? undefined : [n, n];
}

function padding(r: CallReader): Padding | undefined {
  return (r.word('padding', PADDINGS, { positional: true }) as Padding | undefined) ?? undefined;
}

/** Bias is on unless the layer says `nobias` or `bias=false`. */
function bias(r: CallReader): boolean {
  if (r.flag('nobias')) return false;
  const b = r.key('bias');
  return b?.kind !== 'word' || b.name !== 'false';
}

function hintFor(layer: string): string | undefined {
  switch (layer) {
    case 'conv':
      return 'conv takes: FILTERS kN sN [same|valid] [activation] [nobias]';
    case 'fc':
      return 'fc takes: UNITS [activation] [nobias]';
    case 'maxpool':
    case 'avgpool':
      return `${layer} takes: [SIZE] [sN] [same|valid]`;
    default:
      return undefined;
  }
}

export type SectionMap = Partial<Record<SectionName, Section>>;
export function sectionSpan(sections: SectionMap, key: SectionName): Span | undefined {
  return sections[key]?.keywordSpan;
}
export type { Value };
