// Chevrotain checks the grammar every time the lexer and parser are constructed, which is a large part
// of `emoc check`'s start. The sources (tests, the dev loop) keep those checks, so a grammar mistake is
// caught there; the compiled build skips them, as chevrotain recommends once a grammar is validated:
// scripts/build.mjs replaces process.env.EMOC_BUILD with 'dist' in the code it emits.
export const SKIP_GRAMMAR_VALIDATIONS = process.env.EMOC_BUILD === 'dist';
