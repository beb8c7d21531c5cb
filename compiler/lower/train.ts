// The train section -> TrainIR: epochs, batch size, seed, optimizer, learning-rate schedule, early
// stopping, class weights, label smoothing and gradient clipping, every default explicit.

import type { Section, Span } from '../../grammar/ast.ts';
import { checkRange, type CallReader, type NumberRule } from '../args.ts';
import { ADAM, ADAMW, DEFAULTS, EARLY_STOP, ONECYCLE, RECIPE, SCHEDULE, SGD } from '../defaults.ts';
import type { OptimizerIR, ScheduleIR, TrainIR } from '../ir.ts';
import { CLASS_WEIGHT_MODES, isOneOf, METRICS, OPTIMIZERS, orList, SCHEDULES } from '../vocabulary.ts';
import type { LowerContext } from './context.ts';

export function lowerTrain(ctx: LowerContext, section: Section | undefined): TrainIR {
  const s = ctx.settings(section);
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

  const opt = s.get('optimizer');
  let optimizer: OptimizerIR = opt ? readOptimizer(ctx, opt) : { kind: 'adam', lr: DEFAULTS.lr, ...ADAM };
  const lr = s.get('lr');
  if (lr) {
    const n = lr.number('lr', { positional: true, required: true, above: 0, what: 'the learning rate', example: 'lr 1e-3' });
    lr.finish();
    if (n !== undefined) optimizer = { ...optimizer, lr: n };
  }
  const sch = s.get('schedule');
  const schedule: ScheduleIR = sch ? readSchedule(ctx, sch, epochs) : { kind: 'constant' };
  const es = s.get('early-stop');
  const earlyStop = es ? readEarlyStop(ctx, es) : null;
  const cw = s.get('class-weights');
  const classWeights = cw ? readClassWeights(ctx, cw) : 'none';
  const ls = s.get('label-smoothing');
  let labelSmoothing: number = RECIPE.labelSmoothing;
  if (ls) {
    const rule = { min: 0, below: 1, what: 'label-smoothing', example: 'label-smoothing 0.1' };
    labelSmoothing = recipeNumber(ctx, ls, 'label-smoothing', rule, true) ?? labelSmoothing;
    ls.finish();
  }
  const cn = s.get('clip-norm');
  let clipNorm: number | null = RECIPE.clipNorm;
  if (cn) {
    // `clip-norm none` turns off a clip-norm inherited through `extends`.
    if (!cn.flag('none'))
      clipNorm = recipeNumber(ctx, cn, 'clip-norm', { above: 0, what: 'clip-norm', example: 'clip-norm 5' }, true, true) ?? clipNorm;
    cn.finish();
  }
  return { epochs, batchSize, optimizer, schedule, seed, earlyStop, classWeights, labelSmoothing, clipNorm };
}

/**
 * A number of a training recipe from `key=` (or the first positional number): not a number is E013,
 * outside its range E070 with checkRange's message.
 */
function recipeNumber(
  ctx: LowerContext,
  r: CallReader,
  key: string,
  rule: NumberRule,
  positional = false,
  required = false,
): number | undefined {
  const v = r.key(key) ?? (positional ? r.take(() => true) : undefined);
  if (!v) {
    if (required)
      ctx.report(
        'E012',
        r.call.span,
        `'${r.call.name}' needs ${rule.what ?? key}`,
        rule.example ? `for example: ${rule.example}` : undefined,
      );
    return undefined;
  }
  if (v.kind !== 'number') return r.checkNumber(v, key, rule);
  const hint = rule.example ? `for example: ${rule.example}` : undefined;
  return checkRange(v.value, v.span, key, rule, {
    report: (_code, span: Span, message: string) => ctx.report('E070', span, message, hint),
  });
}

const OPTIMIZER_KEYS: Record<OptimizerIR['kind'], string> = {
  adam: 'adam takes lr=, beta1=, beta2=, epsilon=',
  adamw: 'adamw takes lr=, beta1=, beta2=, epsilon=, weight-decay=',
  sgd: 'sgd takes lr=, momentum=, nesterov, weight-decay=',
};

/**
 * `optimizer adam lr=.. beta1=.. beta2=.. epsilon=..`, `optimizer adamw ... weight-decay=..` or
 * `optimizer sgd lr=.. momentum=.. nesterov weight-decay=..`.
 */
function readOptimizer(ctx: LowerContext, r: CallReader): OptimizerIR {
  const kind = r.take((v) => v.kind === 'word');
  const word = kind?.kind === 'word' ? kind.name : '';
  const lr = r.number('lr', { above: 0, what: 'the learning rate' });
  const decay = (fallback: number) =>
    recipeNumber(ctx, r, 'weight-decay', { min: 0, max: 1, what: 'weight-decay', example: `optimizer ${word} weight-decay=5e-4` }) ??
    fallback;
  let optimizer: OptimizerIR = { kind: 'adam', lr: DEFAULTS.lr, ...ADAM };
  if (word === 'adam' || word === 'adamw') {
    const adam = {
      lr: lr ?? DEFAULTS.lr,
      beta1: r.number('beta1', { min: 0, below: 1 }) ?? ADAM.beta1,
      beta2: r.number('beta2', { min: 0, below: 1 }) ?? ADAM.beta2,
      epsilon: r.number('epsilon', { above: 0 }) ?? ADAM.epsilon,
    };
    optimizer = word === 'adamw' ? { kind: 'adamw', ...adam, weightDecay: decay(ADAMW.weightDecay) } : { kind: 'adam', ...adam };
    // Adam's own weight decay would be an L2 term scaled by the moments, which regularises far less
    // than it says (Loshchilov & Hutter); only the decoupled form is offered, under its own name.
    const wd = word === 'adam' ? r.key('weight-decay') : undefined;
    if (wd) {
      const at = r.call.args.find((a) => a.kind === 'keyvalue' && a.key === 'weight-decay');
      const span = at?.kind === 'keyvalue' ? at.keySpan : wd.span;
      const fix = kind
        ? { title: "replace 'adam' with 'adamw'", start: kind.span.start.offset, end: kind.span.end.offset, replacement: 'adamw' }
        : undefined;
      ctx.report(
        'E071',
        span,
        "adam does not take weight-decay: decoupled weight decay is the optimizer 'adamw'",
        'write: optimizer adamw weight-decay=...',
        fix,
      );
    }
  } else if (word === 'sgd') {
    const momentum = r.number('momentum', { min: 0, below: 1 }) ?? SGD.momentum;
    optimizer = { kind: 'sgd', lr: lr ?? SGD.lr, momentum, nesterov: r.flag('nesterov'), weightDecay: decay(SGD.weightDecay) };
  } else {
    const message = word ? `unknown optimizer '${word}'` : 'optimizer needs a name';
    ctx.reportUnknown('E013', kind?.span ?? r.call.span, message, word, OPTIMIZERS, `optimizers: ${OPTIMIZERS.join(', ')}`);
  }
  r.finish(OPTIMIZER_KEYS[optimizer.kind]);
  return optimizer;
}

/**
 * `schedule constant | step every=N gamma=G | exponential gamma=G | cosine min=LR warmup=EPOCHS |
 * onecycle rise=F div=D final-div=D`; a warm-up must leave at least one epoch of cosine (E072).
 */
function readSchedule(ctx: LowerContext, r: CallReader, epochs: number): ScheduleIR {
  const kind = r.take((v) => v.kind === 'word');
  const name = kind?.kind === 'word' ? kind.name : '';
  const gamma = (fallback: number) => r.number('gamma', { above: 0, max: 1 }) ?? fallback;
  let schedule: ScheduleIR = { kind: 'constant' };
  if (name === 'step') {
    const rule = { integer: true, min: 1, required: true, what: 'every=EPOCHS', example: 'schedule step every=10 gamma=0.1' };
    schedule = { kind: 'step', every: r.number('every', rule) ?? SCHEDULE.every, gamma: gamma(SCHEDULE.stepGamma) };
  } else if (name === 'exponential') schedule = { kind: 'exponential', gamma: gamma(SCHEDULE.exponentialGamma) };
  else if (name === 'cosine') {
    const minLr = r.number('min', { min: 0 }) ?? SCHEDULE.minLr;
    const example = 'schedule cosine warmup=2';
    const warmup = recipeNumber(ctx, r, 'warmup', { integer: true, min: 0, what: 'warmup (epochs)', example }) ?? SCHEDULE.warmup;
    if (warmup >= epochs && warmup > 0) {
      const at = r.call.args.find((a) => a.kind === 'keyvalue' && a.key === 'warmup');
      ctx.report(
        'E072',
        at?.span ?? r.call.span,
        `a warm-up of ${warmup} epochs leaves no epoch for the cosine of a ${epochs}-epoch run`,
        `use warmup=${Math.max(0, epochs - 1)} or fewer`,
      );
    }
    schedule = { kind: 'cosine', minLr, warmup: warmup < epochs ? warmup : SCHEDULE.warmup };
  } else if (name === 'onecycle') {
    const example = 'schedule onecycle rise=0.3 div=25 final-div=1e4';
    schedule = {
      kind: 'onecycle',
      rise: recipeNumber(ctx, r, 'rise', { above: 0, below: 1, what: 'rise (a fraction of training)', example }) ?? ONECYCLE.rise,
      div: recipeNumber(ctx, r, 'div', { min: 1, what: 'div', example }) ?? ONECYCLE.div,
      finalDiv: recipeNumber(ctx, r, 'final-div', { min: 1, what: 'final-div', example }) ?? ONECYCLE.finalDiv,
    };
  } else if (name !== 'constant') {
    const message = name ? `unknown schedule '${name}'` : 'schedule needs a kind';
    ctx.reportUnknown('E013', kind?.span ?? r.call.span, message, name, SCHEDULES, `schedules: ${SCHEDULES.join(', ')}`);
  }
  r.finish();
  return schedule;
}

/** `early-stop METRIC patience=N delta=D` or `early-stop none`. */
function readEarlyStop(ctx: LowerContext, r: CallReader): TrainIR['earlyStop'] {
  if (r.flag('none')) {
    r.finish();
    return null;
  }
  const m = r.take((v) => v.kind === 'word');
  const word = m?.kind === 'word' ? m.name : '';
  if (!isOneOf(METRICS, word)) {
    const fallback = 'for example: early-stop val_acc patience=5';
    ctx.reportUnknown('E013', m?.span ?? r.call.span, `early-stop watches ${orList(METRICS)}`, word, METRICS, fallback);
  }
  const earlyStop = {
    metric: isOneOf(METRICS, word) ? word : EARLY_STOP.metric,
    patience: r.number('patience', { integer: true, min: 1 }) ?? EARLY_STOP.patience,
    minDelta: r.number('delta', { min: 0 }) ?? EARLY_STOP.minDelta,
  };
  r.finish();
  return earlyStop;
}

/** `class-weights none | balanced | {class: weight, ...}`. */
function readClassWeights(ctx: LowerContext, r: CallReader): TrainIR['classWeights'] {
  const v = r.take(() => true);
  r.finish();
  if (v?.kind === 'word' && isOneOf(CLASS_WEIGHT_MODES, v.name)) return v.name;
  if (v?.kind !== 'map') {
    ctx.report('E013', v?.span ?? r.call.span, `class-weights is ${CLASS_WEIGHT_MODES.join(', ')}, or a map like {disgust: 4, fear: 1.5}`);
    return 'none';
  }
  const weights: Record<string, number> = {};
  for (const e of v.entries) {
    if (e.value.kind !== 'number') {
      ctx.report('E013', e.value.span, `the weight of '${e.key}' must be a number`);
      continue;
    }
    const n = checkRange(e.value.value, e.value.span, e.key, { above: 0, what: `the weight of '${e.key}'` }, ctx);
    if (n !== undefined) weights[e.key] = n;
  }
  return weights;
}
