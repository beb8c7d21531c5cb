// Property test of sweep expansion: whatever the axes (variables in the layers, or `section.setting`
// overrides) and however many values each has, a sweep either expands into exactly the product of its
// axis sizes, all within the limit, or is refused with one E044 at the sweep block naming the product and
// the limit, and builds no point. The point count is what bounds time and memory: it never passes the limit.
//
// Runs are seeded so a failure reproduces; set FC_SEED to explore other seeds (FC_RUNS for more runs).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';

const RUNS = Number(process.env.FC_RUNS ?? 100);
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20261130;
const MAIN = '/virtual/sweep.emo';

/** Settings a sweep can override, each with its n-th value (distinct, valid, without '-'). */
const SETTINGS: Record<string, (j: number) => number> = {
  'train.seed': (j) => j + 1,
  'train.epochs': (j) => j + 1,
  'train.batch': (j) => j + 1,
  'train.lr': (j) => (j + 1) / 1000,
  'data.split': (j) => (j + 1) / 100,
};

interface Axis {
  /** A `$name` used by a dropout layer, or a setting override. */
  name: string;
  size: number;
}

const axesArb = (maxSize: number) =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 1, max: maxSize }), { maxLength: 5 }),
      fc
        .subarray(Object.keys(SETTINGS))
        .chain((names) =>
          fc.tuple(
            fc.constant(names),
            fc.array(fc.integer({ min: 1, max: maxSize }), { minLength: names.length, maxLength: names.length }),
          ),
        ),
    )
    .map(([varSizes, [names, sizes]]): Axis[] => [
      ...varSizes.map((size, i) => ({ name: `v${i}`, size })),
      ...names.map((name, i) => ({ name, size: sizes[i] })),
    ]);

function specFor(axes: Axis[]): { text: string; sweepLine: number } {
  const vars = axes.filter((a) => !a.name.includes('.'));
  const values = (a: Axis) => Array.from({ length: a.size }, (_, j) => (a.name.includes('.') ? SETTINGS[a.name](j) : (j + 1) / 100));
  const lines = ['experiment p {', '  model {', '    flatten', ...vars.map((v) => `    dropout $${v.name}`), '    fc 7 | softmax', '  }'];
  const sweepLine = lines.length + 1;
  if (axes.length) lines.push('  sweep {', ...axes.map((a) => `    ${a.name} in [${values(a).join(', ')}]`), '  }');
  lines.push('}');
  return { text: `${lines.join('\n')}\n`, sweepLine };
}

function checkSweep(axes: Axis[], maxPoints: number | undefined, limit: number): void {
  const { text, sweepLine } = specFor(axes);
  const r = compile(MAIN, { text, readFile: () => undefined, checkPackages: false, ...(maxPoints === undefined ? {} : { maxPoints }) });
  const product = axes.reduce((n, a) => n * BigInt(a.size), 1n);
  const refusals = r.diagnostics.filter((d) => d.code === 'E044');
  if (product <= BigInt(limit)) {
    expect(refusals).toEqual([]);
    expect(r.diagnostics).toEqual([]);
    expect(r.experiments).toHaveLength(Number(product));
    if (axes.length) expect(new Set(r.experiments.map((e) => e.name)).size).toBe(Number(product));
  } else {
    expect(r.diagnostics).toHaveLength(1);
    expect(refusals).toHaveLength(1);
    expect([refusals[0].line, refusals[0].column]).toEqual([sweepLine, 3]);
    expect(refusals[0].message).toBe(
      `the sweep of 'p' has ${product.toLocaleString('en-US')} points (${axes.map((a) => a.size).join(' x ')}), more than the limit of ${limit.toLocaleString('en-US')}`,
    );
    expect(r.experiments).toEqual([]);
  }
}

describe('sweep expansion stays within the limit or is refused where the sweep is', () => {
  it('random axes and sizes against a random small limit', () => {
    fc.assert(
      fc.property(axesArb(12), fc.integer({ min: 1, max: 300 }), (axes, maxPoints) => checkSweep(axes, maxPoints, maxPoints)),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('many values on many axes against the default limit of 10,000 are refused without building a point', () => {
    fc.assert(
      fc.property(
        axesArb(200).filter((axes) => axes.reduce((n, a) => n * a.size, 1) > 10_000),
        (axes) => checkSweep(axes, undefined, 10_000),
      ),
      { numRuns: Math.ceil(RUNS / 4), seed: SEED },
    );
  });

  it('ten axes of a hundred values: 10^20 points, counted exactly and refused', () => {
    const axes: Axis[] = [
      ...Array.from({ length: 5 }, (_, i) => ({ name: `v${i}`, size: 100 })),
      ...Object.keys(SETTINGS).map((name) => ({ name, size: 100 })),
    ];
    checkSweep(axes, undefined, 10_000);
  });
});
