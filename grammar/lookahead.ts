// The parser's LL(k) lookahead, computed ahead of time for the build. Chevrotain derives, for every OR,
// OPTION and MANY of the grammar, which token sequences choose which way; that derivation is most of the
// parser's construction, i.e. tens of milliseconds of every `emoc check`. The sequences depend on the
// grammar alone, so scripts/build.mjs records them once (RecordingLookahead, on the validated grammar of
// the sources) and the build's parser only turns the recorded table into lookahead functions
// (TableLookahead). The sources and the tests compute them as chevrotain always does; a test parses the
// same inputs both ways and compares.
//
// A lookahead function's meaning is chevrotain's (its llk_lookahead): an OR takes the first alternative
// (whose GATE, if any, allows it) one of whose token paths matches the next tokens; an optional production
// is entered when one of its paths matches. Token categories match through chevrotain's tokenMatcher.

import {
  EOF,
  getLookaheadPaths,
  LLkLookaheadStrategy,
  tokenMatcher,
  type IOrAlt,
  type IToken,
  type OptionalProductionType,
  type Rule,
  type TokenType,
} from 'chevrotain';

/** Per production (`rule/kind/occurrence`): its alternatives, each a list of token paths (token names).
 * An optional production has one alternative: the paths that enter it. */
export type LookaheadTable = Record<string, string[][][]>;

type AlternationOptions = {
  prodOccurrence: number;
  rule: Rule;
  maxLookahead: number;
  hasPredicates: boolean;
  dynamicTokensEnabled: boolean;
};
type OptionalOptions = {
  prodOccurrence: number;
  prodType: OptionalProductionType;
  rule: Rule;
  maxLookahead: number;
  dynamicTokensEnabled: boolean;
};
/** What a lookahead function is called on: the parser, which chevrotain binds as `this`. */
type Lookahead = { LA(howMuch: number): IToken };

const tableKey = (rule: string, kind: string, occurrence: number): string => `${rule}/${kind}/${occurrence}`;

/** The default strategy, which also writes down the paths it derives (build time). */
export class RecordingLookahead extends LLkLookaheadStrategy {
  readonly table: LookaheadTable = {};

  override buildLookaheadForAlternation(options: AlternationOptions): (orAlts?: IOrAlt<unknown>[]) => number | undefined {
    const { prodOccurrence: occurrence, rule, maxLookahead } = options;
    const paths = getLookaheadPaths({ occurrence, rule, prodType: 'Alternation', maxLookahead });
    this.table[tableKey(rule.name, 'Alternation', occurrence)] = paths.map((alt) => alt.map((path) => path.map((t) => t.name)));
    return super.buildLookaheadForAlternation(options);
  }

  override buildLookaheadForOptional(options: OptionalOptions): () => boolean {
    const { prodOccurrence: occurrence, rule, maxLookahead, prodType } = options;
    // Index 0 holds the paths into the production (1 the ones past it): chevrotain's function uses only those.
    const [inside] = getLookaheadPaths({ occurrence, rule, prodType, maxLookahead });
    this.table[tableKey(rule.name, prodType, occurrence)] = [inside!.map((path) => path.map((t) => t.name))];
    return super.buildLookaheadForOptional(options);
  }
}

/** Lookahead functions from a recorded table; a production the table lacks is derived as usual. */
export class TableLookahead extends LLkLookaheadStrategy {
  private readonly tokens: Map<string, TokenType>;

  constructor(
    private readonly table: LookaheadTable,
    tokenTypes: TokenType[],
    options: { maxLookahead: number },
  ) {
    super(options);
    this.tokens = new Map([...tokenTypes, EOF].map((t) => [t.name, t]));
  }

  private paths(key: string): TokenType[][][] | undefined {
    return this.table[key]?.map((alt) =>
      alt.map((path) =>
        path.map((name) => {
          const t = this.tokens.get(name);
          if (!t) throw new Error(`lookahead table names an unknown token '${name}' (${key})`);
          return t;
        }),
      ),
    );
  }

  override buildLookaheadForAlternation(options: AlternationOptions): (orAlts?: IOrAlt<unknown>[]) => number | undefined {
    const alts = this.paths(tableKey(options.rule.name, 'Alternation', options.prodOccurrence));
    if (!alts) return super.buildLookaheadForAlternation(options);
    const gated = options.hasPredicates;
    return function (this: Lookahead, orAlts?: IOrAlt<unknown>[]) {
      for (let t = 0; t < alts.length; t++) {
        const gate = gated ? orAlts?.[t]?.GATE : undefined;
        if (gate !== undefined && gate.call(this) === false) continue;
        if (anyPathMatches(this, alts[t]!)) return t;
      }
      return undefined;
    };
  }

  override buildLookaheadForOptional(options: OptionalOptions): () => boolean {
    const alts = this.paths(tableKey(options.rule.name, options.prodType, options.prodOccurrence));
    if (!alts) return super.buildLookaheadForOptional(options);
    const inside = alts[0]!;
    return function (this: Lookahead) {
      return anyPathMatches(this, inside);
    };
  }
}

function anyPathMatches(parser: Lookahead, paths: TokenType[][]): boolean {
  nextPath: for (const path of paths) {
    for (let i = 0; i < path.length; i++) if (!tokenMatcher(parser.LA(i + 1), path[i]!)) continue nextPath;
    return true;
  }
  return false;
}
