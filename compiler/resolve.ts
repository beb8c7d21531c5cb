// Reuse: imports, named top-level sections and `extends`, resolved at the AST level into one effective
// set of sections per experiment. Merge rule (documented in the README): settings sections (data,
// augment, backbone, train) merge setting by setting, the later one winning; layer stacks (model, head)
// and sweeps are replaced whole.

import * as path from 'node:path';
import type { EmoFile, Experiment, Pipeline, Section } from '../grammar/ast.ts';
import { SECTION_NAMES, type SectionName } from '../grammar/lexer.ts';
import { parseEmo } from '../grammar/parse.ts';
import { checkNoRepeat, collectBlocks, expandSection } from './blocks.ts';
import { diagnostic, type Diagnostic } from './diagnostics.ts';
import { didYouMean } from './suggest.ts';

export type ReadFile = (file: string) => string | undefined;

export const SETTINGS_SECTIONS: ReadonlySet<string> = new Set(['data', 'augment', 'backbone', 'train']);
/** Sections that may be declared at top level with a name and reused by reference. */
export const NAMEABLE_SECTIONS: ReadonlySet<string> = new Set(['data', 'augment', 'model', 'head', 'train']);

export interface LoadedProgram {
  main: EmoFile;
  /** Every parsed file by normalised path, main first. */
  files: Map<string, EmoFile>;
  /** Source text by file, for code frames. */
  texts: Map<string, string>;
  diagnostics: Diagnostic[];
}

/** Parse a file and, transitively, everything it imports. */
export function loadProgram(file: string, readFile: ReadFile, text?: string): LoadedProgram {
  const files = new Map<string, EmoFile>();
  const texts = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const visiting = new Set<string>();

  const visit = (f: string, source: string | undefined): EmoFile => {
    const src = source ?? readFile(f) ?? '';
    texts.set(f, src);
    const { ast, diagnostics: parsed } = parseEmo(src, f);
    files.set(f, ast);
    diagnostics.push(...parsed);
    visiting.add(f);
    for (const imp of ast.imports) {
      const target = path.normalize(path.join(path.dirname(f), imp.path));
      if (visiting.has(target)) {
        diagnostics.push(diagnostic('E019', f, imp.pathSpan, `circular import of '${imp.path}'`, 'remove one of the imports in the cycle'));
        continue;
      }
      if (files.has(target)) continue;
      const importedText = readFile(target);
      if (importedText === undefined) {
        diagnostics.push(
          diagnostic('E019', f, imp.pathSpan, `cannot read imported file '${imp.path}'`, `paths are relative to ${path.dirname(f) || '.'}`),
        );
        continue;
      }
      visit(target, importedText);
    }
    visiting.delete(f);
    return ast;
  };

  const main = visit(path.normalize(file), text);
  return { main, files, texts, diagnostics };
}

export interface ResolvedExperiment {
  experiment: Experiment;
  file: string;
  /** Effective sections after extends, references and merging. */
  sections: Partial<Record<SectionName, Section>>;
}

/** Resolve the main file's experiments (imported experiments serve as bases only). */
export function resolveExperiments(program: LoadedProgram): { experiments: ResolvedExperiment[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const experiments = new Map<string, { exp: Experiment; file: string }>();
  const named = new Map<string, { section: Section; file: string }>();

  for (const [file, ast] of program.files) {
    for (const item of ast.items) {
      if (item.kind === 'block') continue;
      if (item.kind === 'experiment') {
        const prior = experiments.get(item.name);
        if (prior && prior.file === file) {
          diagnostics.push(
            diagnostic('E016', file, item.nameSpan, `experiment '${item.name}' is declared twice`, 'give each experiment its own name'),
          );
        } else if (!prior || file === program.main.file) experiments.set(item.name, { exp: item, file });
      } else {
        const sectionName = item.header[0]?.kind === 'word' ? item.header[0].name : undefined;
        if (!NAMEABLE_SECTIONS.has(item.keyword)) {
          diagnostics.push(
            diagnostic(
              'E010',
              file,
              item.keywordSpan,
              `'${item.keyword}' cannot be declared at top level`,
              `only ${[...NAMEABLE_SECTIONS].join(', ')} sections can be named and reused`,
            ),
          );
        } else if (!sectionName || !item.body) {
          diagnostics.push(
            diagnostic(
              'E012',
              file,
              item.keywordSpan,
              `a top-level '${item.keyword}' section needs a name and a block`,
              `write: ${item.keyword} NAME { ... }`,
            ),
          );
        } else {
          const key = `${item.keyword}:${sectionName}`;
          if (named.has(key) && named.get(key)!.file === file) {
            diagnostics.push(
              diagnostic(
                'E016',
                file,
                item.header[0].span,
                `${item.keyword} '${sectionName}' is declared twice`,
                'give each section its own name',
              ),
            );
          }
          named.set(key, { section: item, file });
        }
      }
    }
  }

  const cache = new Map<string, Partial<Record<SectionName, Section>>>();
  const resolving = new Set<string>();

  const effective = (name: string): Partial<Record<SectionName, Section>> => {
    const cached = cache.get(name);
    if (cached) return cached;
    const entry = experiments.get(name)!;
    const { exp, file } = entry;
    resolving.add(name);
    let sections: Partial<Record<SectionName, Section>> = {};
    if (exp.base !== null) {
      if (resolving.has(exp.base)) {
        diagnostics.push(
          diagnostic(
            'E018',
            file,
            exp.baseSpan!,
            `'${exp.name}' extends '${exp.base}', which extends it back`,
            'break the cycle of extends',
          ),
        );
      } else if (!experiments.has(exp.base)) {
        diagnostics.push(
          diagnostic(
            'E017',
            file,
            exp.baseSpan!,
            `unknown experiment '${exp.base}'`,
            didYouMean(exp.base, experiments.keys(), 'import the file that declares it'),
          ),
        );
      } else {
        sections = { ...effective(exp.base) };
      }
    }
    const seen = new Set<string>();
    for (const section of exp.sections) {
      if (!(SECTION_NAMES as readonly string[]).includes(section.keyword)) continue;
      const key = section.keyword as SectionName;
      if (seen.has(key)) {
        diagnostics.push(
          diagnostic('E015', file, section.keywordSpan, `section '${key}' appears twice in '${exp.name}'`, 'merge the two blocks into one'),
        );
        continue;
      }
      seen.add(key);
      const own = dereference(section, file);
      sections[key] = sections[key] ? merge(sections[key]!, own) : own;
    }
    resolving.delete(name);
    cache.set(name, sections);
    return sections;
  };

  /** `data fer2013` / `data fer2013 { split 0.1 }`: a reference to a named section, optionally amended. */
  const dereference = (section: Section, file: string): Section => {
    if (!NAMEABLE_SECTIONS.has(section.keyword)) return section;
    const ref = section.header[0];
    if (!ref) return section;
    if (ref.kind !== 'word') {
      diagnostics.push(
        diagnostic('E013', file, ref.span, `a section reference is a name, not ${ref.kind}`, `write: ${section.keyword} NAME`),
      );
      return section;
    }
    const target = named.get(`${section.keyword}:${ref.name}`);
    if (!target) {
      const candidates = [...named.keys()]
        .filter((k) => k.startsWith(`${section.keyword}:`))
        .map((k) => k.slice(section.keyword.length + 1));
      diagnostics.push(
        diagnostic(
          'E017',
          file,
          ref.span,
          `unknown ${section.keyword} section '${ref.name}'`,
          didYouMean(ref.name, candidates, `declare it at top level: ${section.keyword} ${ref.name} { ... }`),
        ),
      );
      return { ...section, header: [] };
    }
    const base = { ...target.section, header: [] };
    return section.body ? merge(base, { ...section, header: [] }) : { ...base, span: section.span, keywordSpan: section.keywordSpan };
  };

  const blocks = collectBlocks(program, diagnostics);
  const out: ResolvedExperiment[] = [];
  for (const item of program.main.items) {
    if (item.kind !== 'experiment') continue;
    if (experiments.get(item.name)?.exp !== item) continue;
    // Blocks, `repeat` and residuals expand in the layer stacks once they are settled (after extends and
    // references), so every experiment sees the same expansion and sweeps see the expanded layers.
    const sections = { ...effective(item.name) };
    for (const key of SECTION_NAMES) {
      const section = sections[key];
      if (!section) continue;
      if (key === 'model' || key === 'head') sections[key] = expandSection(section, blocks, diagnostics, program.main.file);
      else checkNoRepeat(section, diagnostics, program.main.file);
    }
    out.push({ experiment: item, file: program.main.file, sections });
  }
  return { experiments: out, diagnostics };
}

/** Later section over earlier: settings merge by setting name; other sections are replaced. */
export function merge(earlier: Section, later: Section): Section {
  if (!SETTINGS_SECTIONS.has(later.keyword)) return later;
  const body = new Map<string, Pipeline>();
  for (const p of earlier.body ?? []) body.set(p.calls[0].name, p);
  for (const p of later.body ?? []) body.set(p.calls[0].name, p);
  return { ...later, header: later.header.length ? later.header : earlier.header, body: [...body.values()] };
}
