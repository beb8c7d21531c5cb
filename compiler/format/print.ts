// AST + comments -> a prettier Doc in the one canonical layout:
//   - two-space indentation (prettier's tabWidth), one statement per line (`;` separators become lines);
//   - exactly one blank line around every braced block at file and experiment level; elsewhere at most
//     one blank line, kept where the writer put one;
//   - a pipeline stays on one line while it fits; a long one breaks before each `|`, the continuation
//     lines indented under the first layer (`conv 64 k9 s4` / `  | bn` / `  | maxpool 2`);
//   - consecutive one-line pipelines of a block are aligned into columns at their `|`, and consecutive
//     trailing comments into one column, COMMENT_GAP spaces after the longest line;
//   - lists and maps stay on one line while they fit, else one item per line;
//   - numbers are normalised only where the value cannot change (numbers.ts); names and strings are
//     printed exactly as written.

import { doc, type Doc } from 'prettier';
import type * as A from '../../grammar/ast.ts';
import { CommentMap, fileEntries } from './comments.ts';
import { normalizeNumber } from './numbers.ts';

const { group, indent, join, line, softline, hardline, lineSuffix, breakParent } = doc.builders;

/** Spaces between code and a trailing comment: the write-up's specs use three. */
export const COMMENT_GAP = 3;

export interface LayoutOptions {
  printWidth: number;
  tabWidth: number;
  /** Align pipelines at their `|` and trailing comments into columns. */
  align: boolean;
}

/** One line-level entry of a file, an experiment or a block. */
interface Statement {
  node: { span: A.Span };
  doc: Doc;
  /** Its text when it prints on one line without comments inside; null for blocks and broken lines. */
  flat: string | null;
  /** A braced block: always set off by blank lines at file and experiment level. */
  block: boolean;
}

type BlankLines = 'around-blocks' | 'as-written';

export function printEmo(file: A.EmoFile, text: string, opts: LayoutOptions): Doc {
  return new Printer(new CommentMap(file, text), text, opts).file(file);
}

class Printer {
  constructor(
    private readonly comments: CommentMap,
    private readonly text: string,
    private readonly opts: LayoutOptions,
  ) {}

  file(f: A.EmoFile): Doc {
    const statements = fileEntries(f).map((e) =>
      e.kind === 'import'
        ? this.importStatement(e)
        : e.kind === 'experiment'
          ? this.experiment(e, 0)
          : e.kind === 'block'
            ? this.blockDef(e, 0)
            : this.section(e, 0),
    );
    const body = this.statements(statements, 0, 'around-blocks', this.comments.container(f).dangling);
    return body.length ? [...body, hardline] : '';
  }

  private importStatement(imp: A.Import): Statement {
    const text = `import ${this.text.slice(imp.pathSpan.start.offset, imp.pathSpan.end.offset)}`;
    return { node: imp, doc: text, flat: text, block: false };
  }

  private experiment(exp: A.Experiment, depth: number): Statement {
    const header = `experiment ${exp.name}${exp.base !== null ? ` extends ${exp.base}` : ''} {`;
    const sections = exp.sections.map((s) => this.section(s, depth + 1));
    return { node: exp, doc: this.braced(header, exp, sections, depth, 'around-blocks'), flat: null, block: true };
  }

  private section(section: A.Section, depth: number): Statement {
    const header = [section.keyword, ...section.header.map((v) => this.flatValue(v))].join(' ');
    if (section.body === null) return { node: section, doc: header, flat: header, block: false };
    const statements = this.pipelines(section.body, depth + 1);
    return { node: section, doc: this.braced(`${header} {`, section, statements, depth, 'as-written'), flat: null, block: true };
  }

  /** `block NAME(a, b=1) [residual [activation]] {` layers `}`; no parentheses without parameters. */
  private blockDef(def: A.BlockDef, depth: number): Statement {
    const params = def.params.map((p) => (p.default ? `${p.name}=${this.flatValue(p.default)}` : p.name));
    const residual = def.residual ? ` residual${def.activation ? ` ${def.activation.name}` : ''}` : '';
    const header = `block ${def.name}${params.length ? `(${params.join(', ')})` : ''}${residual} {`;
    const statements = this.pipelines(def.body, depth + 1);
    return { node: def, doc: this.braced(header, def, statements, depth, 'as-written'), flat: null, block: true };
  }

  /** `header {` statements `}`, or `header {}` when there is nothing inside. */
  private braced(header: Doc, owner: object, statements: Statement[], depth: number, blankLines: BlankLines): Doc {
    const { opener, dangling } = this.comments.container(owner);
    if (statements.length === 0 && !opener && dangling.length === 0) return [header, '}'];
    const inner = this.statements(statements, depth + 1, blankLines, dangling);
    return [header, opener ? this.trailingComment(opener, COMMENT_GAP) : '', indent([hardline, ...inner]), hardline, '}'];
  }

  /** Statements with their comments, one per line, with the blank-line policy of their container. */
  private statements(statements: Statement[], depth: number, blankLines: BlankLines, dangling: A.Comment[]): Doc[] {
    const out: Doc[] = [];
    const gaps = this.commentGaps(statements, depth);
    let prev: Statement | undefined;
    statements.forEach((s, i) => {
      const { leading, trailing } = this.comments.of(s.node);
      const firstLine = leading[0]?.span.start.line ?? s.node.span.start.line;
      if (prev) {
        out.push(hardline);
        const blank = blankLines === 'around-blocks' && (s.block || prev.block) ? true : firstLine - prev.node.span.end.line > 1;
        if (blank) out.push(hardline);
      }
      out.push(this.leadingComments(leading, s.node.span.start.line), s.doc);
      if (trailing) out.push(this.trailingComment(trailing, gaps[i]));
      prev = s;
    });
    if (dangling.length) {
      if (prev) out.push(hardline, dangling[0].span.start.line - prev.node.span.end.line > 1 ? hardline : '');
      dangling.forEach((c, i) => {
        out.push(commentText(c));
        const next = dangling[i + 1];
        if (next) out.push(hardline, next.span.start.line - c.span.start.line > 1 ? hardline : '');
      });
    }
    return out;
  }

  /** Own-line comments before a node, keeping one blank line where the writer left one or more. */
  private leadingComments(comments: A.Comment[], nodeLine: number): Doc {
    return comments.map((c, i) => {
      const nextLine = comments[i + 1]?.span.start.line ?? nodeLine;
      return [commentText(c), hardline, nextLine - c.span.start.line > 1 ? hardline : ''];
    });
  }

  /** A comment at the end of a line. As a line suffix it never makes the code before it break. */
  private trailingComment(c: A.Comment, gap: number): Doc {
    return [lineSuffix(`${' '.repeat(gap)}${commentText(c)}`), breakParent];
  }

  /** The gap before each statement's trailing comment: runs of one-line statements share a column. */
  private commentGaps(statements: Statement[], depth: number): number[] {
    const gaps = statements.map(() => COMMENT_GAP);
    if (!this.opts.align) return gaps;
    const fits = (s: Statement) => s.flat !== null && depth * this.opts.tabWidth + s.flat.length <= this.opts.printWidth;
    let run: number[] = [];
    const close = () => {
      const width = Math.max(...run.map((i) => statements[i].flat!.length));
      for (const i of run) gaps[i] = width - statements[i].flat!.length + COMMENT_GAP;
      run = [];
    };
    statements.forEach((s, i) => {
      const { leading, trailing } = this.comments.of(s.node);
      const prev = statements[i - 1];
      const continues =
        run.length > 0 && run.at(-1) === i - 1 && leading.length === 0 && s.node.span.start.line - prev.node.span.end.line === 1;
      if (!continues && run.length) close();
      if (trailing && fits(s)) run.push(i);
      else if (run.length) close();
    });
    if (run.length) close();
    return gaps;
  }

  /** A block's pipelines, runs of consecutive one-line pipelines aligned at their `|`. */
  private pipelines(pipelines: A.Pipeline[], depth: number): Statement[] {
    const pads = this.opts.align ? this.pipelinePads(pipelines, depth) : new Map<A.Pipeline, number[]>();
    return pipelines.map((p) => {
      const padding = pads.get(p) ?? [];
      const flat =
        this.comments.hasInside(p) || hasBody(p) ? null : p.calls.map((c, i) => this.flatCall(c) + ' '.repeat(padding[i] ?? 0)).join(' | ');
      return { node: p, doc: this.pipeline(p, padding, depth), flat, block: false };
    });
  }

  private pipelinePads(pipelines: A.Pipeline[], depth: number): Map<A.Pipeline, number[]> {
    const pads = new Map<A.Pipeline, number[]>();
    // A pipeline too long for one line breaks at its pipes anyway, so it ends a run instead of spoiling it.
    const alignable = (p: A.Pipeline) =>
      p.calls.length > 1 &&
      !this.comments.hasInside(p) &&
      !hasBody(p) &&
      depth * this.opts.tabWidth + p.calls.map((c) => this.flatCall(c)).join(' | ').length <= this.opts.printWidth;
    let run: A.Pipeline[] = [];
    const close = () => {
      if (run.length > 1) {
        const texts = run.map((p) => p.calls.map((c) => this.flatCall(c)));
        const columns = Math.max(...texts.map((t) => t.length));
        const widths = Array.from({ length: columns }, (_, j) =>
          Math.max(0, ...texts.filter((t) => t.length > j + 1).map((t) => t[j].length)),
        );
        const padded = texts.map((t) => t.map((call, j) => (j < t.length - 1 ? widths[j] - call.length : 0)));
        const fits = texts.every(
          (t, k) => depth * this.opts.tabWidth + t.join(' | ').length + padded[k].reduce((a, b) => a + b, 0) <= this.opts.printWidth,
        );
        if (fits) run.forEach((p, k) => pads.set(p, padded[k]));
      }
      run = [];
    };
    for (const p of pipelines) {
      const prev = run.at(-1);
      const continues = prev && this.comments.of(p).leading.length === 0 && p.span.start.line - prev.span.end.line === 1;
      if (!continues) close();
      if (alignable(p)) run.push(p);
      else close();
    }
    close();
    return pads;
  }

  /** `call | call | call` on one line, or broken before each `|` when it does not fit. */
  private pipeline(p: A.Pipeline, padding: number[], depth: number): Doc {
    // A residual's braces already span lines: the calls around it follow on its first and last lines.
    if (hasBody(p))
      return join(
        ' | ',
        p.calls.map((c) => this.call(c, depth)),
      );
    const [first, ...rest] = p.calls;
    const pad = (i: number) => ' '.repeat(padding[i] ?? 0);
    const callTrailing = (c: A.Call) => {
      const t = this.comments.of(c).trailing;
      return t ? this.trailingComment(t, COMMENT_GAP) : '';
    };
    const continuation = rest.map((c, k) => {
      const { leading } = this.comments.of(c);
      return [line, this.leadingComments(leading, c.span.start.line), '| ', this.call(c, depth), pad(k + 1), callTrailing(c)];
    });
    return group([this.call(first, depth), pad(0), callTrailing(first), indent(continuation)]);
  }

  private call(c: A.Call, depth: number): Doc {
    const head: Doc = [
      repeatPrefix(c),
      c.name,
      ...c.args.map((a) => [' ', a.kind === 'keyvalue' ? [a.key, '=', this.value(a.value)] : this.value(a)]),
    ];
    if (!c.body) return head;
    return this.braced([head, ' {'], c, this.pipelines(c.body, depth + 1), depth, 'as-written');
  }

  private value(v: A.Value): Doc {
    if (v.kind === 'list') return this.bracketed('[', ']', v, v.items, (item) => this.value(item));
    if (v.kind === 'map') return this.bracketed('{', '}', v, v.entries, (e) => [e.key, ': ', this.value(e.value)]);
    return this.flatValue(v);
  }

  /** A list or map: on one line while it fits, else one item per line; comments force the break. */
  private bracketed<T extends { span: A.Span }>(open: string, close: string, owner: object, items: T[], print: (item: T) => Doc): Doc {
    const { opener, dangling } = this.comments.container(owner);
    if (items.length === 0 && !opener && dangling.length === 0) return `${open}${close}`;
    const parts: Doc[] = items.map((item, i) => {
      const { leading, trailing } = this.comments.of(item);
      const last = i === items.length - 1;
      return [
        i > 0 ? line : '',
        this.leadingComments(leading, item.span.start.line),
        print(item),
        last ? '' : ',',
        trailing ? this.trailingComment(trailing, COMMENT_GAP) : '',
      ];
    });
    const tail: Doc = dangling.length
      ? [items.length ? hardline : '', dangling.map((c, i) => [i ? hardline : '', commentText(c)]), breakParent]
      : '';
    return group([open, opener ? this.trailingComment(opener, COMMENT_GAP) : '', indent([softline, ...parts, tail]), softline, close]);
  }

  private flatCall(c: A.Call): string {
    return (
      repeatPrefix(c) +
      [c.name, ...c.args.map((a) => (a.kind === 'keyvalue' ? `${a.key}=${this.flatValue(a.value)}` : this.flatValue(a)))].join(' ')
    );
  }

  private flatValue(v: A.Value): string {
    switch (v.kind) {
      case 'number':
        return normalizeNumber(v.raw);
      case 'size':
      case 'string':
        return v.raw;
      case 'word':
        return v.name;
      case 'builtin':
        return `builtin:${v.name}`;
      case 'variable':
        return `$${v.name}`;
      case 'list':
        return `[${v.items.map((i) => this.flatValue(i)).join(', ')}]`;
      case 'map':
        return `{${v.entries.map((e) => `${e.key}: ${this.flatValue(e.value)}`).join(', ')}}`;
    }
  }
}

/** `repeat N ` before a repeated call. */
function repeatPrefix(c: A.Call): string {
  return c.repeat ? `repeat ${normalizeNumber(c.repeat.raw)} ` : '';
}

function hasBody(p: A.Pipeline): boolean {
  return p.calls.some((c) => c.body !== undefined);
}

function commentText(c: A.Comment): string {
  return c.text.trimEnd();
}
