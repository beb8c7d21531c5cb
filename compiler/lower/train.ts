// The train section -> TrainIR: epochs, batch size, seed, optimizer, learning-rate schedule, early
// stopping and class weights, every default explicit.

import type { Section } from '../../grammar/ast.ts';
import { checkRange, type CallReader } from '../args.ts';
import { ADAM, DEFAULTS, EARLY_STOP, SCHEDULE, SGD } from '../defaults.ts';
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
  const schedule: ScheduleIR = sch ? readSchedule(ctx, sch) : { kind: 'constant' };
  const es = s.get('early-stop');
  const earlyStop = es ? readEarlyStop(ctx, es) : null;
  const cw = s.get('class-weights');
  const classWeights = cw ? readClassWeights(ctx, cw) : 'none';
  return { epochs, batchSize, optimizer, schedule, seed, earlyStop, classWeights };
}

/** `optimizer adam lr=.. beta1=.. beta2=.. epsilon=..` or `optimizer sgd lr=.. momentum=.. nesterov`. */
function readOptimizer(ctx: LowerContext, r: CallReader): OptimizerIR {
  const kind = r.take((v) => v.kind === 'word');
  const word = kind?.kind === 'word' ? kind.name : '';
  const lr = r.number('lr', { above: 0, what: 'the learning rate' });
  let optimizer: OptimizerIR = { kind: 'adam', lr: DEFAULTS.lr, ...ADAM };
  if (word === 'adam') {
    optimizer = {
      kind: 'adam',
      lr: lr ?? DEFAULTS.lr,
      beta1: r.number('beta1', { min: 0, below: 1 }) ?? ADAM.beta1,
      beta2: r.number('beta2', { min: 0, below: 1 }) ?? ADAM.beta2,
      epsilon: r.number('epsilon', { above: 0 }) ?? ADAM.epsilon,
    };
  } else if (word === 'sgd') {
    const momentum = r.number('momentum', { min: 0, below: 1 }) ?? SGD.momentum;
    optimizer = { kind: 'sgd', lr: lr ?? SGD.lr, momentum, nesterov: r.flag('nesterov') };
  } else {
    const message = word ? `unknown optimizer '${word}'` : 'optimizer needs a name';
    ctx.reportUnknown('E013', kind?.span ?? r.call.span, message, word, OPTIMIZERS, `optimizers: ${OPTIMIZERS.join(', ')}`);
  }
  r.finish(optimizer.kind === 'adam' ? 'adam takes lr=, beta1=, beta2=, epsilon=' : 'sgd takes lr=, momentum=, nesterov');
  return optimizer;
}

/** `schedule constant | step every=N gamma=G | exponential gamma=G | cosine min=LR`. */
function readSchedule(ctx: LowerContext, r: CallReader): ScheduleIR {
  const kind = r.take((v) => v.kind === 'word');
  const name = kind?.kind === 'word' ? kind.name : '';
  const gamma = (fallback: number) => r.number('gamma', { above: 0, max: 1 }) ?? fallback;
  let schedule: ScheduleIR = { kind: 'constant' };
  if (name === 'step') {
    const rule = { integer: true, min: 1, required: true, what: 'every=EPOCHS', example: 'schedule step every=10 gamma=0.1' };
    schedule = { kind: 'step', every: r.number('every', rule) ?? SCHEDULE.every, gamma: gamma(SCHEDULE.stepGamma) };
  } else if (name === 'exponential') schedule = { kind: 'exponential', gamma: gamma(SCHEDULE.exponentialGamma) };
  else if (name === 'cosine') schedule = { kind: 'cosine', minLr: r.number('min', { min: 0 }) ?? SCHEDULE.minLr };
  else if (name !== 'constant') {
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
