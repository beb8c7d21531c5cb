// The front end's resource limits, in one place: how many points a sweep may expand into, and how much
// activation memory one training batch may need before `check` warns. Both can be raised per command
// (`--max-points N`, `--memory-limit GIB`) through CompileOptions.

/** A sweep with more points than this is refused (E044) before any point is built. */
export const DEFAULT_MAX_POINTS = 10_000;

/** A batch whose forward activations and gradients need more bytes than this gets W002. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 8 * 2 ** 30;

/** How many points of a sweep `emoc explain` lists (and tabulates) before it gives the count of the rest. */
export const EXPLAIN_POINTS = 20;
