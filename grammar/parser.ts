// The .emo parser: a chevrotain CstParser with error recovery, so one pass reports every independent
// syntax error. It runs only for files with a syntax error: grammar/fast-parse.ts reads the others, in
// step with the productions below (change both together; test/grammar-fast-parse.test.ts compares them). Its productions are deliberately generic (a statement is `name arg*`, a pipeline joins
// statements with `|`): which names mean what is the compiler's vocabulary, which gives better messages
// ("unknown layer 'maxpol', did you mean 'maxpool'?") than a grammar that rejects the word outright.
//
//   file        = { sep } { topItem terminator } ;
//   topItem     = import | experiment | section | blockDef ;
//   import      = "import" string ;
//   blockDef    = "block" name [ "(" [ param { "," param } ] ")" ] [ "residual" [ name ] ] block ;
//   param       = name [ "=" value ] ;
//   experiment  = "experiment" name [ "extends" name ] "{" { sep } { section terminator } "}" ;
//   section     = sectionKw { name | string | $variable } [ block ] ;
//   block       = "{" { sep } { pipeline terminator } "}" ;
//   terminator  = sep { sep } | (* nothing, before "}" or the end *) ;
//   pipeline    = call { "|" call } ;            (a line may start with "|" to continue the pipeline above)
//   call        = [ "repeat" number ] ( "residual" [ name ] block | name { arg } ) ;
//   arg         = name "=" value | value ;
//   value       = number | size | string | builtin | $variable | name | list | map ;
//   list        = "[" value { "," value } "]" ;
//   map         = "{" name ":" value { "," name ":" value } "}" ;
//   sep         = newline | ";" ;

import { CstParser, EOF, tokenMatcher, type CstNode, type ILookaheadStrategy, type IOrAlt, type IToken } from 'chevrotain';
import { LOOKAHEAD_TABLE, SKIP_GRAMMAR_VALIDATIONS } from './build-mode.ts';
import { TableLookahead } from './lookahead.ts';

export type Context = 'file' | 'experiment' | 'block';
import * as T from './lexer.ts';

/** Tokens the parser may look ahead to choose a way (chevrotain's maxLookahead). */
export const MAX_LOOKAHEAD = 3;

export class EmoParser extends CstParser {
  // OR alternatives are built once and reused: chevrotain's recommended "OR caching", which also
  // avoids re-creating (and, under tsx, re-naming) a closure per alternative on every call.
  private pipeContinuation?: { GATE: () => boolean; DEF: () => void };
  private alts1?: IOrAlt<unknown>[];
  private alts2?: IOrAlt<unknown>[];
  private alts3?: IOrAlt<unknown>[];
  private alts4?: IOrAlt<unknown>[];
  private alts5?: IOrAlt<unknown>[];
  private alts6?: IOrAlt<unknown>[];
  private alts7?: IOrAlt<unknown>[];

  /** `lookahead`: how the LL(k) lookahead is made; chevrotain derives it unless the build recorded it
   * (grammar/lookahead.ts). */
  constructor(lookahead?: ILookaheadStrategy) {
    const strategy =
      lookahead ?? (LOOKAHEAD_TABLE ? new TableLookahead(LOOKAHEAD_TABLE, T.allTokens, { maxLookahead: MAX_LOOKAHEAD }) : null);
    super(T.allTokens, {
      recoveryEnabled: true,
      maxLookahead: MAX_LOOKAHEAD,
      // No node locations: parse.ts finds a node's span from its tokens (see nodeSpan there).
      nodeLocationTracking: 'none',
      skipValidations: SKIP_GRAMMAR_VALIDATIONS,
      // Absent, not undefined: chevrotain takes a present key as the strategy.
      ...(strategy ? { lookaheadStrategy: strategy } : {}),
    });
    this.performSelfAnalysis();
  }

  public file = this.RULE('file', () => {
    this.MANY(() => this.SUBRULE(this.sep));
    this.ACTION(() => this.skipJunkLines('file'));
    this.MANY2(() => {
      this.SUBRULE(this.topItem);
      this.SUBRULE(this.terminator, { ARGS: ['file'] });
    });
  });

  private topItem = this.RULE('topItem', () => {
    this.OR(
      (this.alts1 ??= [
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.experiment) },
        { ALT: () => this.SUBRULE(this.section) },
        { ALT: () => this.SUBRULE(this.blockDef) },
      ]),
    );
  });

  private blockDef = this.RULE('blockDef', () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Name, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY(() => this.CONSUME(T.Newline));
      this.OPTION2(() => {
        this.SUBRULE(this.param);
        this.MANY2(() => {
          this.CONSUME(T.Comma);
          this.MANY3(() => this.CONSUME2(T.Newline));
          this.SUBRULE2(this.param);
        });
        this.MANY4(() => this.CONSUME3(T.Newline));
      });
      this.CONSUME(T.RParen);
    });
    this.OPTION3(() => {
      this.CONSUME(T.Residual);
      this.OPTION4(() => this.CONSUME2(T.Name, { LABEL: 'activation' }));
    });
    this.SUBRULE(this.block);
  });

  private param = this.RULE('param', () => {
    this.CONSUME(T.Name, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.value);
    });
  });

  private importDecl = this.RULE('importDecl', () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLit);
  });

  private experiment = this.RULE('experiment', () => {
    this.CONSUME(T.Experiment);
    this.CONSUME(T.Name, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.Extends);
      this.CONSUME2(T.Name, { LABEL: 'base' });
    });
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.sep));
    this.ACTION(() => this.skipJunkLines('experiment'));
    this.MANY2(() => {
      this.SUBRULE(this.section);
      this.SUBRULE(this.terminator, { ARGS: ['experiment'] });
    });
    this.CONSUME(T.RCurly);
  });

  private section = this.RULE('section', () => {
    this.CONSUME(T.SectionKeyword);
    // Header words name the section (`data fer2013`, `backbone faceres`); a map cannot appear here, so `{`
    // always opens the block.
    this.MANY(() => this.SUBRULE(this.headerValue));
    this.OPTION(() => this.SUBRULE(this.block));
  });

  private block = this.RULE('block', () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.sep));
    this.ACTION(() => this.skipJunkLines('block'));
    this.MANY2(() => {
      this.SUBRULE(this.pipeline);
      this.SUBRULE(this.terminator);
    });
    this.CONSUME(T.RCurly);
  });

  private pipeline = this.RULE('pipeline', () => {
    this.SUBRULE(this.call);
    // A pipe may end a line or start the next one; look past newlines for it.
    this.MANY(
      (this.pipeContinuation ??= {
        GATE: () => this.pipeAhead(),
        DEF: () => {
          this.MANY2(() => this.CONSUME(T.Newline));
          this.CONSUME(T.Pipe);
          this.MANY3(() => this.CONSUME2(T.Newline));
          this.SUBRULE2(this.call);
        },
      }),
    );
  });

  private call = this.RULE('call', () => {
    this.OPTION({
      GATE: () => this.LA(1).tokenType === T.Repeat && this.LA(2).tokenType === T.NumberLit,
      DEF: () => {
        this.CONSUME(T.Repeat);
        this.CONSUME(T.NumberLit, { LABEL: 'count' });
      },
    });
    // `residual {` opens an inline residual; `residual` followed by anything else is an ordinary call (which
    // the compiler then reports), as `{` after any other name starts a map argument.
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: (this.alts7 ??= [
        {
          GATE: () => this.inlineResidualAhead(),
          ALT: () => {
            this.CONSUME(T.Residual);
            this.OPTION2(() => this.CONSUME2(T.Name, { LABEL: 'activation' }));
            this.SUBRULE(this.block);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Name);
            this.MANY(() => this.SUBRULE(this.arg));
          },
        },
      ]),
    });
  });

  private arg = this.RULE('arg', () => {
    this.OR(
      (this.alts2 ??= [
        {
          GATE: () => this.LA(2).tokenType === T.Equals,
          ALT: () => {
            this.CONSUME(T.Name, { LABEL: 'key' });
            this.CONSUME(T.Equals);
            this.SUBRULE(this.value);
          },
        },
        { ALT: () => this.SUBRULE2(this.value) },
      ]),
    );
  });

  private value = this.RULE('value', () => {
    this.OR(
      (this.alts3 ??= [
        { ALT: () => this.CONSUME(T.NumberLit) },
        { ALT: () => this.CONSUME(T.Size) },
        { ALT: () => this.CONSUME(T.StringLit) },
        { ALT: () => this.CONSUME(T.UnterminatedString) },
        { ALT: () => this.CONSUME(T.BuiltinRef) },
        { ALT: () => this.CONSUME(T.Variable) },
        { ALT: () => this.CONSUME(T.Name) },
        { ALT: () => this.SUBRULE(this.list) },
        { ALT: () => this.SUBRULE(this.map) },
      ]),
    );
  });

  private headerValue = this.RULE('headerValue', () => {
    this.OR(
      (this.alts4 ??= [
        { ALT: () => this.CONSUME(T.Name) },
        { ALT: () => this.CONSUME(T.StringLit) },
        { ALT: () => this.CONSUME(T.UnterminatedString) },
        { ALT: () => this.CONSUME(T.Variable) },
      ]),
    );
  });

  private list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.MANY(() => this.CONSUME(T.Newline));
    this.OPTION(() => {
      this.SUBRULE(this.value);
      this.MANY2(() => {
        this.CONSUME(T.Comma);
        this.MANY3(() => this.CONSUME2(T.Newline));
        this.SUBRULE2(this.value);
      });
      this.MANY4(() => this.CONSUME3(T.Newline));
    });
    this.CONSUME(T.RBracket);
  });

  private map = this.RULE('map', () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => this.CONSUME(T.Newline));
    this.OPTION(() => {
      this.SUBRULE(this.entry);
      this.MANY2(() => {
        this.CONSUME(T.Comma);
        this.MANY3(() => this.CONSUME2(T.Newline));
        this.SUBRULE2(this.entry);
      });
      this.MANY4(() => this.CONSUME3(T.Newline));
    });
    this.CONSUME(T.RCurly);
  });

  private entry = this.RULE('entry', () => {
    this.CONSUME(T.Name, { LABEL: 'key' });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.value);
  });

  /**
   * Ends an item: separators, or nothing right before `}` or the end of the file. Keeping the terminator
   * inside each repetition's iteration is what lets chevrotain re-sync at the next line after an error,
   * so one bad line does not hide the errors on the lines after it.
   */
  private terminator = this.RULE('terminator', (context: Context = 'block') => {
    this.ACTION(() => this.skipRestOfLine());
    this.OR(
      (this.alts5 ??= [
        { ALT: () => this.AT_LEAST_ONE(() => this.SUBRULE(this.sep)) },
        { GATE: () => this.LA(1).tokenType === T.RCurly || this.LA(1).tokenType === EOF, ALT: () => {} },
      ]),
    );
    this.ACTION(() => this.skipJunkLines(context));
  });

  private sep = this.RULE('sep', () => {
    this.OR((this.alts6 ??= [{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.CONSUME(T.Semicolon) }]));
  });

  /** Tokens skipped by line-level recovery, one entry per skipped run (its first token). */
  public skipped: IToken[] = [];

  override reset(): void {
    super.reset();
    this.skipped = [];
    this.junk = [];
  }

  /**
   * Line-level recovery: whatever is left on a line after a complete item is reported once and skipped,
   * so parsing resumes on the next line instead of unwinding the enclosing block.
   */
  private skipRestOfLine(): void {
    if (endsLine(this.LA(1))) return;
    this.skipped.push(this.LA(1));
    while (!endsLine(this.LA(1))) this.SKIP_TOKEN();
  }

  /**
   * Lines that cannot start an item where they are (`= 3` in a block, a layer outside any block) are
   * reported and skipped whole, so the enclosing block is not closed early by the error.
   */
  private skipJunkLines(context: Context): void {
    while (!startsItem(this.LA(1), context)) {
      if (isSep(this.LA(1))) {
        this.SKIP_TOKEN();
        continue;
      }
      this.junk.push({ token: this.LA(1), context });
      while (!isSep(this.LA(1)) && this.LA(1).tokenType !== T.RCurly && this.LA(1).tokenType !== EOF) this.SKIP_TOKEN();
    }
  }

  /** Line starts skipped by skipJunkLines, with what was expected there. */
  public junk: { token: IToken; context: Context }[] = [];

  /** `residual {` or `residual relu {`: an inline residual, not a call named residual. */
  private inlineResidualAhead(): boolean {
    if (this.LA(1).tokenType !== T.Residual) return false;
    if (this.LA(2).tokenType === T.LCurly) return true;
    return tokenMatcher(this.LA(2), T.Name) && this.LA(3).tokenType === T.LCurly;
  }

  private pipeAhead(): boolean {
    let i = 1;
    let token: IToken = this.LA(i);
    while (token.tokenType === T.Newline) token = this.LA(++i);
    return token.tokenType === T.Pipe;
  }
}

// Token tests for line-level recovery, shared with grammar/fast-parse.ts. They run at every item boundary,
// so they are plain functions rather than closures re-created (and, under tsx, re-named) on each call.

/** Whether `t` ends the current line's item: a separator, `}` or the end of the file. */
export function endsLine(t: IToken): boolean {
  return t.tokenType === T.Newline || t.tokenType === T.Semicolon || t.tokenType === T.RCurly || t.tokenType === EOF;
}

export function isSep(t: IToken): boolean {
  return t.tokenType === T.Newline || t.tokenType === T.Semicolon;
}

/** Whether `t` can start an item in `context` (or closes it). */
export function startsItem(t: IToken, context: Context): boolean {
  if (t.tokenType === T.RCurly || t.tokenType === EOF) return true;
  if (context === 'block') return tokenMatcher(t, T.Name);
  if (context === 'experiment') return tokenMatcher(t, T.SectionKeyword);
  return t.tokenType === T.Experiment || t.tokenType === T.Import || t.tokenType === T.Block || tokenMatcher(t, T.SectionKeyword);
}

let instance: EmoParser | null = null;

/** The parser, made on first use: a file without syntax errors never needs it (grammar/fast-parse.ts), and
 * making it costs a command's start-up tens of milliseconds. One instance is reused: chevrotain parsers
 * are stateful but reset on each `input` assignment. */
export function emoParser(): EmoParser {
  return (instance ??= new EmoParser());
}

export type { CstNode };
