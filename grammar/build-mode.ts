// Chevrotain checks the grammar every time the lexer and parser are constructed, which is a large part
// of `emoc check`'s start. The sources (tests, the dev loop) keep those checks, so a grammar mistake is
// caught there; the compiled build skips them, as chevrotain recommends once a grammar is validated:
// scripts/build.mjs replaces process.env.EMOC_BUILD with 'dist' in the code it emits.
import type { LookaheadTable } from './lookahead.ts';

export const SKIP_GRAMMAR_VALIDATIONS = process.env.EMOC_BUILD === 'dist';

/** The parser's lookahead paths, recorded by scripts/build.mjs from the sources' grammar (it replaces
 * process.env.EMOC_LOOKAHEAD_TABLE with their JSON); null in the sources, which derive them at start. */
export const LOOKAHEAD_TABLE: LookaheadTable | null =
  process.env.EMOC_BUILD === 'dist' && process.env.EMOC_LOOKAHEAD_TABLE
    ? (JSON.parse(process.env.EMOC_LOOKAHEAD_TABLE) as LookaheadTable)
    : null;
