// The front end's limits as command-line flags, for every command that compiles a spec (check, compile,
// explain, run, lint, diff): --max-points N refuses larger sweeps (E044), --memory-limit GIB sets when a
// batch's activation estimate warns (W002). The defaults live in compiler/limits.ts.

import { InvalidArgumentError, type Command } from 'commander';
import type { CompileOptions } from '../compiler/compile.ts';
import { DEFAULT_MAX_POINTS, DEFAULT_MEMORY_LIMIT_BYTES } from '../compiler/limits.ts';

export interface LimitFlags {
  maxPoints?: number;
  memoryLimit?: number;
}

const GIB = 2 ** 30;

/** 1,000,000-style grouping without toLocaleString: the first Intl call loads ICU, about 20 ms of every
 * start, and this help text is built at every start. */
const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function gibibytes(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of GiB above 0, e.g. 16 or 0.5');
  return n;
}

/** Adds --max-points and --memory-limit to a command. */
export function withLimitFlags(cmd: Command): Command {
  return cmd
    .option('--max-points <n>', `refuse a sweep with more points than this (default ${grouped(DEFAULT_MAX_POINTS)})`, wholeNumber)
    .option(
      '--memory-limit <GiB>',
      `warn when a batch's activations need more memory than this (default ${DEFAULT_MEMORY_LIMIT_BYTES / GIB})`,
      gibibytes,
    );
}

/** The compile options the flags set (nothing when not given: the compiler's defaults apply). */
export function limitOptions(flags: LimitFlags): Pick<CompileOptions, 'maxPoints' | 'memoryLimitBytes'> {
  return {
    ...(flags.maxPoints !== undefined ? { maxPoints: flags.maxPoints } : {}),
    ...(flags.memoryLimit !== undefined ? { memoryLimitBytes: flags.memoryLimit * GIB } : {}),
  };
}
