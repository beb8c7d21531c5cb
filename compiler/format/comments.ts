// Comments are not in the AST (the parser collects them in EmoFile.comments with spans), so the
// formatter attaches each one to a node before printing. Every place the grammar lets a comment stand
// is one of four kinds, decided by position alone:
//   trailing  code before it on its line: after the last node that ends on that line (`fc 7  # logits`)
//   opener    right after a `{` or `[` that opens a container, before its first child (`model {  # S1`)
//   leading   on its own line: before the next node of the same container
//   dangling  on its own line after the last node of a container, before its closing bracket
// A comment inside a child's span belongs to that child (or one of its children), recursively.

import type * as A from '../../grammar/ast.ts';

export interface NodeComments {
  leading: A.Comment[];
  trailing: A.Comment | null;
}

export interface ContainerComments {
  opener: A.Comment | null;
  dangling: A.Comment[];
}

/** A node that holds children a comment can sit between. */
interface Container {
  children: readonly A.Arg[] | readonly AnyNode[];
  /** Offsets of the text inside the brackets (the whole node for pipelines, calls and the file). */
  innerStart: number;
  innerEnd: number;
  /** Whether the container opens with a bracket a comment can follow on the same line. */
  bracketed: boolean;
}

export type AnyNode = A.Import | A.Experiment | A.Section | A.BlockDef | A.Pipeline | A.Call | A.Arg | A.MapEntry;

export class CommentMap {
  private readonly byNode = new Map<object, NodeComments>();
  private readonly byContainer = new Map<object, ContainerComments>();

  constructor(
    readonly file: A.EmoFile,
    readonly text: string,
  ) {
    const entries = fileEntries(file);
    this.assign(file, { children: entries, innerStart: 0, innerEnd: text.length, bracketed: false }, file.comments);
  }

  of(node: object): NodeComments {
    return this.byNode.get(node) ?? { leading: [], trailing: null };
  }

  container(node: object): ContainerComments {
    return this.byContainer.get(node) ?? { opener: null, dangling: [] };
  }

  /** Whether any comment lies inside the node's span (then it cannot be printed on one line). */
  hasInside(node: { span: A.Span }): boolean {
    return this.file.comments.some((c) => c.span.start.offset > node.span.start.offset && c.span.start.offset < node.span.end.offset);
  }

  private assign(owner: object, container: Container, comments: A.Comment[]): void {
    const children = container.children as AnyNode[];
    const inside = new Map<AnyNode, A.Comment[]>();
    const openerLine = lineOf(this.text, container.innerStart);
    for (const c of comments) {
      const at = c.span.start.offset;
      const holder = children.find((n) => n.span.start.offset <= at && at < n.span.end.offset);
      if (holder) {
        inside.set(holder, [...(inside.get(holder) ?? []), c]);
        continue;
      }
      const before = children.filter((n) => n.span.end.offset <= at).at(-1);
      const after = children.find((n) => n.span.start.offset >= c.span.end.offset);
      if (before && before.span.end.line === c.span.start.line) this.node(before).trailing = c;
      else if (!before && container.bracketed && c.span.start.line === openerLine) this.containerOf(owner).opener = c;
      else if (after) this.node(after).leading.push(c);
      else this.containerOf(owner).dangling.push(c);
    }
    for (const [child, cs] of inside) {
      const nested = containerOf(child, this.text);
      if (nested) this.assign(child, nested, cs);
    }
  }

  private node(n: object): NodeComments {
    let entry = this.byNode.get(n);
    if (!entry) this.byNode.set(n, (entry = { leading: [], trailing: null }));
    return entry;
  }

  private containerOf(n: object): ContainerComments {
    let entry = this.byContainer.get(n);
    if (!entry) this.byContainer.set(n, (entry = { opener: null, dangling: [] }));
    return entry;
  }
}

/** Imports and items in source order (the AST keeps them in two lists). */
export function fileEntries(file: A.EmoFile): (A.Import | A.Experiment | A.Section | A.BlockDef)[] {
  return [...file.imports, ...file.items].sort((a, b) => a.span.start.offset - b.span.start.offset);
}

function containerOf(node: AnyNode, text: string): Container | null {
  // A map entry has no kind: its only child is its value.
  if (!('kind' in node))
    return { children: [node.value], innerStart: node.span.start.offset, innerEnd: node.span.end.offset, bracketed: false };
  const whole = (children: Container['children']): Container => ({
    children,
    innerStart: node.span.start.offset,
    innerEnd: node.span.end.offset,
    bracketed: false,
  });
  switch (node.kind) {
    case 'experiment':
      return {
        children: node.sections,
        innerStart: openBrace(text, (node.baseSpan ?? node.nameSpan).end.offset),
        innerEnd: node.span.end.offset - 1,
        bracketed: true,
      };
    case 'section':
      if (!node.body) return null;
      return {
        children: node.body,
        innerStart: openBrace(text, (node.header.at(-1)?.span ?? node.keywordSpan).end.offset),
        innerEnd: node.span.end.offset - 1,
        bracketed: true,
      };
    case 'block': {
      const header = node.activation?.span ?? node.residual ?? node.params.at(-1)?.span ?? node.nameSpan;
      return { children: node.body, innerStart: openBrace(text, header.end.offset), innerEnd: node.span.end.offset - 1, bracketed: true };
    }
    case 'pipeline':
      return whole(node.calls);
    case 'call':
      // `residual [activation] { ... }`: comments go among its layers.
      if (node.body)
        return {
          children: node.body,
          innerStart: openBrace(text, (node.args.at(-1)?.span ?? node.nameSpan).end.offset),
          innerEnd: node.span.end.offset - 1,
          bracketed: true,
        };
      return whole(node.args);
    case 'keyvalue':
      return whole([node.value]);
    case 'list':
      return { children: node.items, innerStart: node.span.start.offset + 1, innerEnd: node.span.end.offset - 1, bracketed: true };
    case 'map':
      return { children: node.entries, innerStart: node.span.start.offset + 1, innerEnd: node.span.end.offset - 1, bracketed: true };
    default:
      return null;
  }
}

/** Offset just after the `{` that follows a header (only spaces, or a block's `)` and words, can separate them). */
function openBrace(text: string, from: number): number {
  const i = text.indexOf('{', from);
  return i < 0 ? from : i + 1;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
