// Text -> AST with diagnostics. Lexer and parser errors become E001-E004 diagnostics; the parser
// recovers (token insertion/deletion and re-sync at the next statement), so one pass reports every
// independent error, and the AST holds whatever could be recovered.

import type { CstElement, CstNode, IRecognitionException, IToken } from 'chevrotain';
import { EOF } from 'chevrotain';
import { diagnostic, type Diagnostic } from '../compiler/diagnostics.ts';
import type * as A from './ast.ts';
import { LBracket, LCurly, RBracket, RCurly, UnterminatedString } from './lexer.ts';
import { fastParse } from './fast-parse.ts';
import { emoParser } from './parser.ts';
import { scan } from './scan.ts';
import { tokenEnd, tokenValue, unquote } from './token-value.ts';

export interface ParseResult {
  ast: A.EmoFile;
  diagnostics: Diagnostic[];
}

/** `recoveringOnly`: always take chevrotain's path, even for a file without syntax errors (tests compare
 * the two paths). */
export function parseEmo(text: string, file: string, opts: { recoveringOnly?: boolean } = {}): ParseResult {
  const lines = lineStarts(text);
  // Spans are mostly asked for in text order, so start from the line of the previous answer and only
  // binary-search when the offset lies elsewhere.
  let lastLine = 0;
  const posAt = (offset: number): A.Pos => {
    const o = Math.max(0, Math.min(offset, text.length));
    if (lines[lastLine] <= o && (lastLine + 1 === lines.length || o < lines[lastLine + 1])) {
      return { offset: o, line: lastLine + 1, column: o - lines[lastLine] + 1 };
    }
    let lo = 0;
    let hi = lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lines[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    lastLine = lo;
    return { offset: o, line: lo + 1, column: o - lines[lo] + 1 };
  };
  const spanOf = (start: number, endExclusive: number): A.Span => ({ start: posAt(start), end: posAt(endExclusive), file });
  const tokenSpan = (t: IToken): A.Span =>
    Number.isFinite(t.startOffset) && !t.isInsertedInRecovery ? spanOf(t.startOffset, tokenEnd(t)) : spanOf(text.length, text.length);

  const diagnostics: Diagnostic[] = [];
  const lexed = scan(text);
  for (const e of lexed.errors) {
    const ch = text.slice(e.offset, e.offset + e.length);
    diagnostics.push(
      diagnostic(
        'E001',
        file,
        spanOf(e.offset, e.offset + e.length),
        `unexpected character ${JSON.stringify(ch)}`,
        'names are letters, digits, _ and -; strings use double quotes',
      ),
    );
  }
  for (const t of lexed.tokens) {
    if (t.tokenType === UnterminatedString) {
      diagnostics.push(diagnostic('E003', file, tokenSpan(t), 'unterminated string', 'close the string with " on the same line'));
    }
  }

  const comments: A.Comment[] = lexed.comments.map((t) => ({ kind: 'comment', text: t.image, span: tokenSpan(t) }));
  // A file without a syntax error needs neither chevrotain's recovery nor its CST (grammar/fast-parse.ts).
  const valid = opts.recoveringOnly ? null : fastParse(lexed.tokens, { tokenSpan, spanOf });
  if (valid) {
    return { ast: { kind: 'file', file, imports: valid.imports, items: valid.items, comments, span: spanOf(0, text.length) }, diagnostics };
  }

  const parser = emoParser();
  parser.input = lexed.tokens;
  const cst = parser.file();
  const reported = new Set<string>();
  for (const e of parser.errors) {
    const d = parserDiagnostic(e, lexed.tokens, file, tokenSpan);
    const key = `${d.line}:${d.column}:${d.code}`;
    if (reported.has(key)) continue;
    reported.add(key);
    diagnostics.push(d);
  }

  const expectedAt = {
    file: "'experiment', 'import' or a named section",
    experiment: 'a section (data, augment, model, backbone, head, train, sweep)',
    block: 'a setting or a layer name',
  };
  for (const { token, context } of parser.junk) {
    diagnostics.push(
      diagnostic('E002', file, tokenSpan(token), `unexpected ${describe(token)}: expected ${expectedAt[context]}`, 'this line was skipped'),
    );
  }
  for (const t of parser.skipped) {
    diagnostics.push(
      diagnostic(
        'E002',
        file,
        tokenSpan(t),
        `unexpected ${describe(t)}`,
        'each setting or layer goes on its own line; the rest of this line was skipped',
      ),
    );
  }

  const ast = new AstBuilder(file, tokenSpan, spanOf).fileNode(cst, comments, text.length);
  return { ast, diagnostics };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

const describe = (t: IToken): string =>
  t.tokenType === EOF ? 'the end of the file' : t.image === '\n' || t.image === '\r\n' ? 'the end of the line' : `'${t.image}'`;

function parserDiagnostic(e: IRecognitionException, tokens: IToken[], file: string, tokenSpan: (t: IToken) => A.Span): Diagnostic {
  const found = e.token;
  const expected = /Expecting(?: token of type)? --> (.*?) <--/.exec(e.message)?.[1]?.replace(/^'|'$/g, '');
  if (found.tokenType === EOF || !Number.isFinite(found.startOffset)) {
    const opener = unclosedOpener(tokens);
    if (opener) {
      const what = opener.tokenType === LBracket ? 'list' : 'block';
      const closer = opener.tokenType === LBracket ? ']' : '}';
      return diagnostic(
        'E004',
        file,
        tokenSpan(opener),
        `unterminated ${what}: '${opener.image}' is never closed`,
        `add '${closer}' to close it`,
      );
    }
  }
  const message = expected
    ? `expected ${expected.startsWith("'") ? expected : quoteLabel(expected)} but found ${describe(found)}`
    : `unexpected ${describe(found)}`;
  const hint =
    found.image === '{'
      ? 'a block opens after a section keyword: data, augment, model, backbone, head, train, sweep'
      : 'each setting or layer goes on its own line';
  return diagnostic('E002', file, tokenSpan(found), message, hint);
}

function quoteLabel(label: string): string {
  return label.includes("'") || label.includes(' ') ? label : `'${label}'`;
}

/** The innermost `{` or `[` left open at the end of the token stream. */
function unclosedOpener(tokens: IToken[]): IToken | undefined {
  const stack: IToken[] = [];
  for (const t of tokens) {
    if (t.tokenType === LCurly || t.tokenType === LBracket) stack.push(t);
    else if ((t.tokenType === RCurly || t.tokenType === RBracket) && stack.length) stack.pop();
  }
  return stack.at(-1);
}

type Children = Record<string, CstElement[] | undefined>;
const isToken = (e: CstElement | undefined): e is IToken => !!e && 'image' in e;
const isNode = (e: CstElement | undefined): e is CstNode => !!e && 'children' in e;

/** CST -> AST. Defensive: a recovered CST node may miss any child. */
class AstBuilder {
  constructor(
    private readonly file: string,
    private readonly tokenSpan: (t: IToken) => A.Span,
    private readonly spanOf: (start: number, end: number) => A.Span,
  ) {}

  fileNode(cst: CstNode | undefined, comments: A.Comment[], length: number): A.EmoFile {
    const imports: A.Import[] = [];
    const items: (A.Experiment | A.Section | A.BlockDef)[] = [];
    for (const top of nodes(cst?.children, 'topItem')) {
      const c = top.children;
      const imp = firstNode(c, 'importDecl');
      const exp = firstNode(c, 'experiment');
      const sec = firstNode(c, 'section');
      const def = firstNode(c, 'blockDef');
      if (def) {
        const b = this.blockDef(def);
        if (b) items.push(b);
      } else if (imp) {
        const path = firstTokenOf(imp.children, 'StringLit');
        if (path) imports.push({ kind: 'import', path: unquote(path.image), pathSpan: this.tokenSpan(path), span: this.nodeSpan(imp) });
      } else if (exp) {
        const e = this.experiment(exp);
        if (e) items.push(e);
      } else if (sec) {
        const s = this.section(sec);
        if (s) items.push(s);
      }
    }
    return { kind: 'file', file: this.file, imports, items, comments, span: this.spanOf(0, length) };
  }

  private experiment(node: CstNode): A.Experiment | null {
    const c = node.children;
    const name = firstTokenOf(c, 'name');
    if (!name || name.isInsertedInRecovery) return null;
    const base = firstTokenOf(c, 'base');
    return {
      kind: 'experiment',
      name: name.image,
      nameSpan: this.tokenSpan(name),
      base: base && !base.isInsertedInRecovery ? base.image : null,
      baseSpan: base && !base.isInsertedInRecovery ? this.tokenSpan(base) : null,
      sections: mapDefined(nodes(c, 'section'), (s) => this.section(s)),
      span: this.nodeSpan(node),
    };
  }

  private section(node: CstNode): A.Section | null {
    const c = node.children;
    const kw = firstTokenOf(c, 'SectionKeyword');
    if (!kw) return null;
    const block = firstNode(c, 'block');
    return {
      kind: 'section',
      keyword: kw.image,
      keywordSpan: this.tokenSpan(kw),
      header: mapDefined(nodes(c, 'headerValue'), (h) => this.valueOf(h)),
      body: block ? mapDefined(nodes(block.children, 'pipeline'), (p) => this.pipeline(p)) : null,
      span: this.nodeSpan(node),
    };
  }

  private blockDef(node: CstNode): A.BlockDef | null {
    const c = node.children;
    const name = firstTokenOf(c, 'name');
    if (!name || name.isInsertedInRecovery) return null;
    const params: A.BlockParam[] = [];
    for (const p of nodes(c, 'param')) {
      const pname = firstTokenOf(p.children, 'name');
      if (!pname || pname.isInsertedInRecovery) continue;
      const v = firstNode(p.children, 'value');
      params.push({ name: pname.image, default: v ? this.valueOf(v) : null, span: this.nodeSpan(p) });
    }
    const residual = firstTokenOf(c, 'Residual');
    const activation = firstTokenOf(c, 'activation');
    const block = firstNode(c, 'block');
    return {
      kind: 'block',
      name: name.image,
      nameSpan: this.tokenSpan(name),
      params,
      residual: residual && !residual.isInsertedInRecovery ? this.tokenSpan(residual) : null,
      activation:
        activation && !activation.isInsertedInRecovery ? { kind: 'word', name: activation.image, span: this.tokenSpan(activation) } : null,
      body: block ? this.pipelines(block) : [],
      span: this.nodeSpan(node),
    };
  }

  private pipelines(block: CstNode): A.Pipeline[] {
    return mapDefined(nodes(block.children, 'pipeline'), (p) => this.pipeline(p));
  }

  private pipeline(node: CstNode): A.Pipeline | null {
    const calls = mapDefined(nodes(node.children, 'call'), (c) => this.call(c));
    if (calls.length === 0) return null;
    return { kind: 'pipeline', calls, span: this.nodeSpan(node) };
  }

  private call(node: CstNode): A.Call | null {
    const residual = firstTokenOf(node.children, 'Residual');
    const name = residual ?? firstTokenOf(node.children, 'Name');
    if (!name || name.isInsertedInRecovery) return null;
    const block = residual ? firstNode(node.children, 'block') : undefined;
    const repeatWord = firstTokenOf(node.children, 'Repeat');
    const count = firstTokenOf(node.children, 'count');
    const args: A.Arg[] = [];
    const activation = residual ? firstTokenOf(node.children, 'activation') : undefined;
    if (activation && !activation.isInsertedInRecovery)
      args.push({ kind: 'word', name: activation.image, span: this.tokenSpan(activation) });
    for (const a of nodes(node.children, 'arg')) {
      const key = firstTokenOf(a.children, 'key');
      const v = firstNode(a.children, 'value');
      const value = v ? this.valueOf(v) : null;
      if (!value) continue;
      if (key) args.push({ kind: 'keyvalue', key: key.image, keySpan: this.tokenSpan(key), value, span: this.nodeSpan(a) });
      else args.push(value);
    }
    const call: A.Call = { kind: 'call', name: name.image, nameSpan: this.tokenSpan(name), args, span: this.nodeSpan(node) };
    if (block) call.body = this.pipelines(block);
    if (repeatWord && count && !count.isInsertedInRecovery) {
      call.repeat = {
        count: Number(count.image),
        raw: count.image,
        span: this.spanOf(repeatWord.startOffset, tokenEnd(count)),
      };
    }
    return call;
  }

  private valueOf(node: CstNode): A.Value | null {
    const c = node.children;
    const list = firstNode(c, 'list');
    if (list) {
      return { kind: 'list', items: mapDefined(nodes(list.children, 'value'), (v) => this.valueOf(v)), span: this.nodeSpan(list) };
    }
    const map = firstNode(c, 'map');
    if (map) {
      const entries: A.MapEntry[] = [];
      for (const e of nodes(map.children, 'entry')) {
        const key = firstTokenOf(e.children, 'key');
        const v = firstNode(e.children, 'value');
        const value = v ? this.valueOf(v) : null;
        if (key && value && !key.isInsertedInRecovery)
          entries.push({ key: key.image, keySpan: this.tokenSpan(key), value, span: this.nodeSpan(e) });
      }
      return { kind: 'map', entries, span: this.nodeSpan(map) };
    }
    const t = firstToken(c);
    if (!t || t.isInsertedInRecovery) return null;
    return tokenValue(t, this.tokenSpan(t));
  }

  /** A node's span from its first to its last real token. Found from the tokens, not from chevrotain's node
   * location: its end needs token end offsets, which the lexer does not track, and recovered nodes may
   * lack a location. Only files with syntax errors come here (grammar/fast-parse.ts takes the rest). */
  private nodeSpan(node: CstNode): A.Span {
    let first: IToken | undefined;
    let last: IToken | undefined;
    const visit = (n: CstNode) => {
      for (const list of Object.values(n.children)) {
        for (const e of list ?? []) {
          if (isNode(e)) visit(e);
          else if (isToken(e) && !e.isInsertedInRecovery && Number.isFinite(e.startOffset)) {
            if (!first || e.startOffset < first.startOffset) first = e;
            if (!last || e.startOffset > last.startOffset) last = e;
          }
        }
      }
    };
    visit(node);
    if (!first || !last) return this.spanOf(0, 0);
    return this.spanOf(first.startOffset, tokenEnd(last));
  }
}

const VALUE_TOKENS = ['NumberLit', 'Size', 'StringLit', 'UnterminatedString', 'BuiltinRef', 'Variable', 'Name'];

/** The single token of a value node (value is one token unless it is a list or a map). */
function firstToken(children: Children): IToken | undefined {
  for (const key of VALUE_TOKENS) {
    const e = children[key]?.[0];
    if (isToken(e)) return e;
  }
  return undefined;
}

// The helpers below run for every CST node, so they avoid allocating: in a CST a key holds only nodes
// (rule names) or only tokens (token names and labels), so the type filters are defensive and the
// child array is returned as it is unless something in it fails the test.
const NO_NODES: readonly CstNode[] = [];

function nodes(children: Children | undefined, name: string): readonly CstNode[] {
  const list = children?.[name];
  if (!list) return NO_NODES;
  return list.every(isNode) ? (list as CstNode[]) : list.filter(isNode);
}

function firstNode(children: Children | undefined, name: string): CstNode | undefined {
  return children?.[name]?.find(isNode);
}

function firstTokenOf(children: Children | undefined, name: string): IToken | undefined {
  return children?.[name]?.find(isToken);
}

/** `items.map(f)` without the nulls (what could not be recovered). */
function mapDefined<T, U>(items: readonly T[], f: (item: T) => U | null): U[] {
  const out: U[] = [];
  for (const item of items) {
    const u = f(item);
    if (u !== null) out.push(u);
  }
  return out;
}
