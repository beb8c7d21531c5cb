// The fast path of parseEmo: a strict recursive-descent reading of the grammar in parser.ts that builds
// the AST straight from the tokens, and gives up (returns null) at the first token the grammar does not
// allow there. A file that parses here has no syntax error, so it is also a file on which chevrotain's
// parser would not recover anything: the AST is the one the CST -> AST builder in parse.ts makes from
// chevrotain's tree (test/grammar-fast-parse.test.ts holds the two to that on every spec, every spec cut
// short, generated grammar derivations and random edits of them). Files with an error take chevrotain's
// path, whose recovery reports every independent error.
//
// Why: chevrotain building its CST and the CST -> AST walk were about 60% of `emoc check` on a
// 5,000-line spec (and most of its garbage); this path allocates only the AST.
//
// Each method mirrors the production of the same name in parser.ts, including how chevrotain decides
// there: an OPTION or MANY is taken when the next token can start it (one token of lookahead is enough
// for this grammar except where parser.ts has a GATE, which is copied), and every item ends with a
// terminator that leaves the next line able to start an item.

import { EOF, tokenMatcher, type IToken, type TokenType } from 'chevrotain';
import type * as A from './ast.ts';
import * as T from './lexer.ts';
import { endsLine, isSep, startsItem, type Context } from './parser.ts';
import { tokenEnd, tokenValue, unquote } from './token-value.ts';

/** Thrown at the first token the grammar does not allow; caught by fastParse. */
class NotValid {}
const NOT_VALID = new NotValid();

interface Spans {
  tokenSpan(t: IToken): A.Span;
  spanOf(start: number, endExclusive: number): A.Span;
}

/** The file's imports and items when `tokens` (comments excluded) hold no syntax error, else null. */
export function fastParse(tokens: IToken[], spans: Spans): Pick<A.EmoFile, 'imports' | 'items'> | null {
  try {
    return new StrictParser(tokens, spans).file();
  } catch (e) {
    if (e === NOT_VALID) return null;
    throw e;
  }
}

const END = { tokenType: EOF, image: '', startOffset: NaN } as unknown as IToken;
const isName = (t: IToken): boolean => t.tokenType !== EOF && tokenMatcher(t, T.Name);
const VALUE_START = new Set([T.NumberLit, T.Size, T.StringLit, T.UnterminatedString, T.BuiltinRef, T.Variable, T.LBracket, T.LCurly]);
const startsValue = (t: IToken): boolean => VALUE_START.has(t.tokenType) || isName(t);
const startsHeaderValue = (t: IToken): boolean =>
  t.tokenType === T.StringLit || t.tokenType === T.UnterminatedString || t.tokenType === T.Variable || isName(t);
const isSectionKeyword = (t: IToken): boolean => t.tokenType !== EOF && tokenMatcher(t, T.SectionKeyword);
const startsTopItem = (t: IToken): boolean =>
  t.tokenType === T.Import || t.tokenType === T.Experiment || t.tokenType === T.Block || isSectionKeyword(t);

class StrictParser {
  private pos = 0;

  constructor(
    private readonly tokens: IToken[],
    private readonly spans: Spans,
  ) {}

  private la(k = 1): IToken {
    return this.tokens[this.pos + k - 1] ?? END;
  }

  private next(): IToken {
    const t = this.la();
    if (t === END) throw NOT_VALID;
    this.pos++;
    return t;
  }

  private consume(type: TokenType): IToken {
    if (this.la().tokenType !== type) throw NOT_VALID;
    return this.next();
  }

  private consumeName(): IToken {
    if (!isName(this.la())) throw NOT_VALID;
    return this.next();
  }

  private skipNewlines(): void {
    while (this.la().tokenType === T.Newline) this.pos++;
  }

  private skipSeps(): void {
    while (isSep(this.la())) this.pos++;
  }

  /** From the first token of a node to the last one consumed so far. */
  private spanFrom(first: IToken): A.Span {
    const last = this.tokens[this.pos - 1]!;
    return this.spans.spanOf(first.startOffset, tokenEnd(last));
  }

  file(): Pick<A.EmoFile, 'imports' | 'items'> {
    const imports: A.Import[] = [];
    const items: (A.Experiment | A.Section | A.BlockDef)[] = [];
    this.skipSeps();
    this.startsItem('file');
    while (startsTopItem(this.la())) {
      const t = this.la();
      if (t.tokenType === T.Import) imports.push(this.importDecl());
      else if (t.tokenType === T.Experiment) items.push(this.experiment());
      else if (t.tokenType === T.Block) items.push(this.blockDef());
      else items.push(this.section());
      this.terminator('file');
    }
    // chevrotain reports input left after the last item (a stray `}`).
    if (this.la() !== END) throw NOT_VALID;
    return { imports, items };
  }

  /** What skipJunkLines checks (parser.ts's startsItem): the next line can start an item here. */
  private startsItem(context: Context): void {
    if (!startsItem(this.la(), context)) throw NOT_VALID;
  }

  /** What terminator checks: the item ends the line (separators, or nothing before `}` or the end), and
   * the next line can start an item. */
  private terminator(context: Context): void {
    if (!endsLine(this.la())) throw NOT_VALID;
    this.skipSeps();
    this.startsItem(context);
  }

  private importDecl(): A.Import {
    const first = this.consume(T.Import);
    const path = this.consume(T.StringLit);
    return { kind: 'import', path: unquote(path.image), pathSpan: this.spans.tokenSpan(path), span: this.spanFrom(first) };
  }

  private experiment(): A.Experiment {
    const first = this.consume(T.Experiment);
    const name = this.consumeName();
    let base: IToken | null = null;
    if (this.la().tokenType === T.Extends) {
      this.next();
      base = this.consumeName();
    }
    this.consume(T.LCurly);
    this.skipSeps();
    this.startsItem('experiment');
    const sections: A.Section[] = [];
    while (isSectionKeyword(this.la())) {
      sections.push(this.section());
      this.terminator('experiment');
    }
    this.consume(T.RCurly);
    return {
      kind: 'experiment',
      name: name.image,
      nameSpan: this.spans.tokenSpan(name),
      base: base ? base.image : null,
      baseSpan: base ? this.spans.tokenSpan(base) : null,
      sections,
      span: this.spanFrom(first),
    };
  }

  private section(): A.Section {
    const kw = this.next();
    const header: A.Value[] = [];
    while (startsHeaderValue(this.la())) {
      const t = this.next();
      header.push(tokenValue(t, this.spans.tokenSpan(t)));
    }
    const body = this.la().tokenType === T.LCurly ? this.block() : null;
    return { kind: 'section', keyword: kw.image, keywordSpan: this.spans.tokenSpan(kw), header, body, span: this.spanFrom(kw) };
  }

  private blockDef(): A.BlockDef {
    const first = this.consume(T.Block);
    const name = this.consumeName();
    const params: A.BlockParam[] = [];
    if (this.la().tokenType === T.LParen) params.push(...this.commaList(T.LParen, T.RParen, isName, () => this.param()));
    let residual: IToken | null = null;
    let activation: IToken | null = null;
    if (this.la().tokenType === T.Residual) {
      residual = this.next();
      if (isName(this.la())) activation = this.next();
    }
    const body = this.block();
    return {
      kind: 'block',
      name: name.image,
      nameSpan: this.spans.tokenSpan(name),
      params,
      residual: residual ? this.spans.tokenSpan(residual) : null,
      activation: activation ? { kind: 'word', name: activation.image, span: this.spans.tokenSpan(activation) } : null,
      body,
      span: this.spanFrom(first),
    };
  }

  private param(): A.BlockParam {
    const name = this.consumeName();
    let value: A.Value | null = null;
    if (this.la().tokenType === T.Equals) {
      this.next();
      value = this.value();
    }
    return { name: name.image, default: value, span: this.spanFrom(name) };
  }

  private block(): A.Pipeline[] {
    this.consume(T.LCurly);
    this.skipSeps();
    this.startsItem('block');
    const pipelines: A.Pipeline[] = [];
    while (isName(this.la())) {
      pipelines.push(this.pipeline());
      this.terminator('block');
    }
    this.consume(T.RCurly);
    return pipelines;
  }

  private pipeline(): A.Pipeline {
    const first = this.la();
    const calls = [this.call()];
    // A pipe may end a line or start the next one (parser.ts's pipeAhead).
    for (;;) {
      let i = 1;
      while (this.la(i).tokenType === T.Newline) i++;
      if (this.la(i).tokenType !== T.Pipe) break;
      this.pos += i;
      this.skipNewlines();
      calls.push(this.call());
    }
    return { kind: 'pipeline', calls, span: this.spanFrom(first) };
  }

  private call(): A.Call {
    const first = this.la();
    let repeat: { word: IToken; count: IToken } | null = null;
    if (first.tokenType === T.Repeat && this.la(2).tokenType === T.NumberLit) repeat = { word: this.next(), count: this.next() };
    const t = this.la();
    const inlineResidual =
      t.tokenType === T.Residual && (this.la(2).tokenType === T.LCurly || (isName(this.la(2)) && this.la(3).tokenType === T.LCurly));
    const name = this.consumeName();
    const args: A.Arg[] = [];
    let body: A.Pipeline[] | undefined;
    if (inlineResidual) {
      if (isName(this.la())) {
        const activation = this.next();
        args.push({ kind: 'word', name: activation.image, span: this.spans.tokenSpan(activation) });
      }
      body = this.block();
    } else {
      while (startsValue(this.la())) args.push(this.arg());
    }
    const call: A.Call = { kind: 'call', name: name.image, nameSpan: this.spans.tokenSpan(name), args, span: this.spanFrom(first) };
    if (body) call.body = body;
    if (repeat) {
      const { word, count } = repeat;
      call.repeat = {
        count: Number(count.image),
        raw: count.image,
        span: this.spans.spanOf(word.startOffset, tokenEnd(count)),
      };
    }
    return call;
  }

  private arg(): A.Arg {
    if (isName(this.la()) && this.la(2).tokenType === T.Equals) {
      const key = this.next();
      this.next();
      const value = this.value();
      return { kind: 'keyvalue', key: key.image, keySpan: this.spans.tokenSpan(key), value, span: this.spanFrom(key) };
    }
    return this.value();
  }

  private value(): A.Value {
    const t = this.la();
    if (t.tokenType === T.LBracket) return this.list();
    if (t.tokenType === T.LCurly) return this.map();
    if (!startsValue(t)) throw NOT_VALID;
    this.next();
    return tokenValue(t, this.spans.tokenSpan(t));
  }

  private list(): A.ListValue {
    const first = this.la();
    const items = this.commaList(T.LBracket, T.RBracket, startsValue, () => this.value());
    return { kind: 'list', items, span: this.spanFrom(first) };
  }

  private map(): A.MapValue {
    const first = this.la();
    const entries = this.commaList(T.LCurly, T.RCurly, isName, () => this.entry());
    return { kind: 'map', entries, span: this.spanFrom(first) };
  }

  /** `open [element {"," element}] close`, with newlines after `open` and each comma and before `close`:
   * parser.ts's list, map and block parameters. */
  private commaList<E>(open: TokenType, close: TokenType, startsElement: (t: IToken) => boolean, element: () => E): E[] {
    this.consume(open);
    this.skipNewlines();
    const out: E[] = [];
    if (startsElement(this.la())) {
      out.push(element());
      while (this.la().tokenType === T.Comma) {
        this.next();
        this.skipNewlines();
        out.push(element());
      }
      this.skipNewlines();
    }
    this.consume(close);
    return out;
  }

  private entry(): A.MapEntry {
    const key = this.consumeName();
    this.consume(T.Colon);
    const value = this.value();
    return { key: key.image, keySpan: this.spans.tokenSpan(key), value, span: this.spanFrom(key) };
  }
}
