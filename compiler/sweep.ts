// Sweeps: a `sweep` section declares axes (`tap in [avgpool, l2]`, `train.lr in [1e-3, 1e-4]`) whose
// cartesian product expands into one experiment per point. Bare axis names fill `$name` variables
// anywhere in the spec; dotted names (`section.setting`) override a setting. A layer given `none`
// through a variable is left out, which is how "no hidden layer" is one point of a grid.

import type { Arg, Call, Pipeline, Section, Span, Value } from '../grammar/ast.ts';
import type { SectionName } from '../grammar/lexer.ts';
import { diagnostic, type Diagnostic } from './diagnostics.ts';
import { DEFAULT_MAX_POINTS } from './limits.ts';
import type { ResolvedExperiment } from './resolve.ts';
import { didYouMean } from './suggest.ts';

export interface SweepAxis {
  name: string;
  values: Value[];
  span: Span;
}

export interface ExpandedPoint {
  /** null for an experiment without a sweep. */
  point: string | null;
  values: Record<string, string | number>;
  sections: Partial<Record<SectionName, Section>>;
}

const LAYER_SECTIONS = new Set(['model', 'head']);

export interface SweepOptions {
  /** Refuse (E044) a sweep with more points than this; default DEFAULT_MAX_POINTS. */
  maxPoints?: number;
}

export interface SweepExpansion {
  /** How many points `points` yields (1 without a sweep, 0 when refused). */
  count: number;
  /**
   * The points, built one at a time as they are iterated, so a caller that keeps only a few (explain)
   * never holds them all. Duplicate point names (E043) are added to `diagnostics` during iteration.
   */
  points: Iterable<ExpandedPoint>;
  diagnostics: Diagnostic[];
}

export function expandSweep(
  exp: ResolvedExperiment,
  settingNames: (section: string) => readonly string[] | undefined,
  opts: SweepOptions = {},
): SweepExpansion {
  const diagnostics: Diagnostic[] = [];
  const file = exp.file;
  const { sweep, ...rest } = exp.sections;
  const used = collectVariables(rest);
  const axes: SweepAxis[] = [];
  let template: { text: string; span: Span } | null = null;

  for (const p of sweep?.body ?? []) {
    const call = p.calls[0];
    if (call.name === 'name') {
      const t = call.args[0];
      if (t?.kind === 'string') template = { text: t.value, span: t.span };
      else diagnostics.push(diagnostic('E012', file, call.span, 'name needs a quoted template', 'for example: name "{tap}-h{hidden}"'));
      continue;
    }
    const [inWord, list] = call.args;
    if (!inWord || inWord.kind !== 'word' || inWord.name !== 'in' || !list || list.kind !== 'list') {
      diagnostics.push(
        diagnostic(
          'E042',
          file,
          call.span,
          `sweep axis '${call.name}' must be written 'NAME in [v1, v2, ...]'`,
          `for example: ${call.name} in [1, 2]`,
        ),
      );
      continue;
    }
    if (list.items.length === 0) {
      diagnostics.push(diagnostic('E042', file, list.span, `sweep axis '${call.name}' has no values`, 'list at least one value'));
      continue;
    }
    if (call.name.includes('.')) {
      const [section, setting] = call.name.split('.', 2);
      const known = settingNames(section);
      if (!known) {
        diagnostics.push(
          diagnostic(
            'E040',
            file,
            call.nameSpan,
            `sweep over unknown key '${call.name}': no section '${section}'`,
            didYouMean(section, ['data', 'augment', 'backbone', 'train']),
          ),
        );
        continue;
      }
      if (!known.includes(setting)) {
        diagnostics.push(
          diagnostic(
            'E040',
            file,
            call.nameSpan,
            `sweep over unknown key '${call.name}'`,
            didYouMean(setting, known, `settings of ${section}: ${known.join(', ')}`),
          ),
        );
        continue;
      }
    } else if (!used.has(call.name)) {
      diagnostics.push(
        diagnostic(
          'E040',
          file,
          call.nameSpan,
          `sweep over unknown key '${call.name}': no '$${call.name}' in the spec`,
          didYouMean(call.name, used.keys(), `use $${call.name} where the value goes`),
        ),
      );
      continue;
    }
    axes.push({ name: call.name, values: list.items, span: call.span });
  }

  const axisNames = new Set(axes.map((a) => a.name));
  // Axes that were declared but invalid were already reported; their variables are not "undefined".
  const declared = new Set((sweep?.body ?? []).map((p) => p.calls[0].name));
  for (const [name, spans] of used) {
    if (declared.has(name)) continue;
    for (const span of spans) {
      diagnostics.push(
        diagnostic(
          'E041',
          file,
          span,
          `undefined variable '$${name}'`,
          sweep ? didYouMean(name, axisNames, `add '${name} in [...]' to the sweep`) : `add: sweep { ${name} in [...] }`,
        ),
      );
    }
  }
  if (template) {
    for (const m of template.text.matchAll(/\{([^}]*)\}/g)) {
      if (!axisNames.has(m[1]))
        diagnostics.push(
          diagnostic('E040', file, template.span, `name template uses unknown axis '{${m[1]}}'`, didYouMean(m[1], axisNames)),
        );
    }
  }

  if (!sweep || axes.length === 0)
    // Without a `$variable` anywhere (most experiments) there is nothing to leave out.
    return { count: 1, points: [{ point: null, values: {}, sections: used.size ? withoutUnresolved(rest) : present(rest) }], diagnostics };

  // Count before building: seven axes of ten values are ten million points, which would take minutes and
  // gigabytes to lower. BigInt so that the count in the message is exact however many axes there are.
  const sizes = axes.map((a) => a.values.length);
  const count = sizes.reduce((n, k) => n * BigInt(k), 1n);
  const limit = opts.maxPoints ?? DEFAULT_MAX_POINTS;
  if (count > BigInt(limit)) {
    diagnostics.push(
      diagnostic(
        'E044',
        file,
        sweep.keywordSpan,
        `the sweep of '${exp.experiment.name}' has ${count.toLocaleString('en-US')} points (${sizes.join(' x ')}), more than the limit of ${limit.toLocaleString('en-US')}`,
        `use fewer axes or values, or raise the limit with --max-points ${count}`,
      ),
    );
    return { count: 0, points: [], diagnostics };
  }
  return { count: Number(count), points: buildPoints(axes, rest, template, sweep.keywordSpan, file, diagnostics), diagnostics };
}

function* buildPoints(
  axes: SweepAxis[],
  rest: Partial<Record<SectionName, Section>>,
  template: { text: string; span: Span } | null,
  sweepSpan: Span,
  file: string,
  diagnostics: Diagnostic[],
): Generator<ExpandedPoint> {
  const labels = new Set<string>();
  for (const combo of cartesian(axes.map((a) => a.values))) {
    const values: Record<string, string | number> = {};
    const byName = new Map<string, Value>();
    axes.forEach((axis, i) => {
      values[axis.name] = plain(combo[i]);
      byName.set(axis.name, combo[i]);
    });
    const label = template
      ? template.text.replace(/\{([^}]*)\}/g, (_, n: string) => String(values[n] ?? n))
      : axes.map((a) => String(values[a.name])).join('-');
    if (labels.has(label)) {
      diagnostics.push(
        diagnostic(
          'E043',
          file,
          template?.span ?? sweepSpan,
          `two sweep points are both named '${label}'`,
          'use every axis in the name template',
        ),
      );
    }
    labels.add(label);
    const sections: Partial<Record<SectionName, Section>> = {};
    for (const [key, section] of Object.entries(rest) as [SectionName, Section][]) sections[key] = substituteSection(section, byName);
    for (const axis of axes.filter((a) => a.name.includes('.'))) {
      const [sectionName, setting] = axis.name.split('.', 2) as [SectionName, string];
      sections[sectionName] = overrideSetting(sections[sectionName], sectionName, setting, byName.get(axis.name)!, axis.span);
    }
    yield { point: label, values, sections: withoutUnresolved(sections) };
  }
}

/**
 * Calls that still hold a `$variable` after expansion were reported (E040-E042); they are left out
 * of lowering so one mistake does not also surface as "missing argument" and "unexpected argument".
 */
function hasVariable(v: Value | Arg): boolean {
  if (v.kind === 'variable') return true;
  if (v.kind === 'list') return v.items.some(hasVariable);
  if (v.kind === 'map') return v.entries.some((e) => hasVariable(e.value));
  if (v.kind === 'keyvalue') return hasVariable(v.value);
  return false;
}

function withoutUnresolved(sections: Partial<Record<SectionName, Section>>): Partial<Record<SectionName, Section>> {
  const out: Partial<Record<SectionName, Section>> = {};
  for (const [key, section] of Object.entries(sections) as [SectionName, Section][]) {
    if (!section) continue;
    if (!section.header.some(hasVariable) && !(section.body ?? []).some((p) => p.calls.some(callHasVariable))) {
      out[key] = section;
      continue;
    }
    out[key] = {
      ...section,
      header: section.header.filter((h) => h.kind !== 'variable'),
      body: section.body ? resolvedOnly(section.body) : null,
    };
  }
  return out;
}

/** The sections that are there (the keys of absent ones dropped, as withoutUnresolved does). */
function present(sections: Partial<Record<SectionName, Section>>): Partial<Record<SectionName, Section>> {
  const out: Partial<Record<SectionName, Section>> = {};
  for (const [key, section] of Object.entries(sections) as [SectionName, Section | undefined][]) if (section) out[key] = section;
  return out;
}

/** A call (or a residual's layers) still holding a `$variable`. */
function callHasVariable(c: Call): boolean {
  return c.args.some(hasVariable) || (c.body ?? []).some((p) => p.calls.some(callHasVariable));
}

/** The pipelines without the calls that still hold a `$variable`, inside residuals too. */
function resolvedOnly(pipes: Pipeline[]): Pipeline[] {
  return pipes.flatMap((p): Pipeline[] => {
    const calls = p.calls.flatMap((c): Call[] => {
      if (c.args.some(hasVariable)) return [];
      return c.body ? [{ ...c, body: resolvedOnly(c.body) }] : [c];
    });
    return calls.length ? [{ ...p, calls }] : [];
  });
}

function plain(v: Value): string | number {
  switch (v.kind) {
    case 'number':
      return v.value;
    case 'word':
      return v.name;
    case 'string':
      return v.value;
    case 'size':
      return v.raw;
    case 'builtin':
      return `builtin:${v.name}`;
    case 'variable':
      return `$${v.name}`;
    case 'list':
      return v.items.map(plain).join('+');
    case 'map':
      return v.entries.map((e) => `${e.key}:${plain(e.value)}`).join(',');
  }
}

/** The combinations one at a time, first axis slowest (the order points are listed and run in). */
function* cartesian<T>(lists: T[][]): Generator<T[]> {
  if (lists.some((l) => l.length === 0)) return;
  const at = lists.map(() => 0);
  for (;;) {
    yield at.map((k, i) => lists[i][k]);
    let i = lists.length - 1;
    while (i >= 0 && ++at[i] === lists[i].length) at[i--] = 0;
    if (i < 0) return;
  }
}

/** Every `$name` used in the sections, with where. */
export function collectVariables(sections: Partial<Record<string, Section>>): Map<string, Span[]> {
  const found = new Map<string, Span[]>();
  const visit = (v: Value | Arg) => {
    if (v.kind === 'variable') {
      const spans = found.get(v.name);
      if (spans) spans.push(v.span);
      else found.set(v.name, [v.span]);
    } else if (v.kind === 'list') v.items.forEach(visit);
    else if (v.kind === 'map') v.entries.forEach((e) => visit(e.value));
    else if (v.kind === 'keyvalue') visit(v.value);
  };
  for (const section of Object.values(sections)) {
    if (!section) continue;
    section.header.forEach(visit);
    const visitCalls = (pipes: Pipeline[]) => {
      for (const p of pipes) {
        for (const c of p.calls) {
          c.args.forEach(visit);
          visitCalls(c.body ?? []);
        }
      }
    };
    visitCalls(section.body ?? []);
  }
  return found;
}

function substituteSection(section: Section, values: Map<string, Value>): Section {
  const isLayers = LAYER_SECTIONS.has(section.keyword);
  const sub = (v: Value): { value: Value; none: boolean } => {
    if (v.kind === 'variable' && values.has(v.name)) {
      const value = { ...values.get(v.name)!, span: v.span } as Value;
      return { value, none: value.kind === 'word' && value.name === 'none' };
    }
    if (v.kind === 'list') return { value: { ...v, items: v.items.map((i) => sub(i).value) }, none: false };
    if (v.kind === 'map') return { value: { ...v, entries: v.entries.map((e) => ({ ...e, value: sub(e.value).value })) }, none: false };
    return { value: v, none: false };
  };
  const pipelines = (pipes: Pipeline[]): Pipeline[] =>
    pipes.flatMap((p): Pipeline[] => {
      const calls = p.calls.flatMap((c): Call[] => {
        let dropped = false;
        const args = c.args.map((a): Arg => {
          if (a.kind === 'keyvalue') {
            const r = sub(a.value);
            dropped ||= r.none;
            return { ...a, value: r.value };
          }
          const r = sub(a);
          dropped ||= r.none;
          return r.value;
        });
        if (isLayers && dropped) return [];
        // A residual's layers (from a block or written inline) take the sweep's values too.
        return [c.body ? { ...c, args, body: pipelines(c.body) } : { ...c, args }];
      });
      return calls.length ? [{ ...p, calls }] : [];
    });
  return { ...section, header: section.header.map((h) => sub(h).value), body: section.body ? pipelines(section.body) : null };
}

function overrideSetting(section: Section | undefined, keyword: string, setting: string, value: Value, span: Span): Section {
  const call: Call = { kind: 'call', name: setting, nameSpan: span, args: [value], span };
  const pipeline: Pipeline = { kind: 'pipeline', calls: [call], span };
  const base: Section = section ?? { kind: 'section', keyword, keywordSpan: span, header: [], body: [], span };
  const body = (base.body ?? []).filter((p) => p.calls[0].name !== setting);
  return { ...base, body: [...body, pipeline] };
}
