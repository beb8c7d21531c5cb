// User-facing failures: a one-line message with where and a hint, printed without a stack trace.
// The CLI's last catch asks `reportFailure` what to print and which exit code to use; it switches on the
// error's class, never on its message text.

import { EmocRuntimeError, type RuntimeErrorKind } from '../runtime/errors.ts';

export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A bug in emoc (sysexits EX_SOFTWARE): the only failure printed with a stack trace. */
const INTERNAL_ERROR_EXIT = 70;

/**
 * Exit code per runtime error kind. Every kind is something the user can fix (the spec, a folder, a flag,
 * the learning rate), so each is 1; the table is typed by the kind list, so a new kind must be given one.
 */
const RUNTIME_EXIT_CODES: Record<RuntimeErrorKind, number> = {
  data: 1,
  backend: 1,
  resume: 1,
  diverged: 1,
  'not-runnable': 1,
  'model-file': 1,
  'run-folder': 1,
};

/** What the CLI prints for a failure (ending in a newline) and the exit code it leaves with. */
export function reportFailure(e: unknown): { text: string; exitCode: number } {
  if (e instanceof EmocRuntimeError) {
    return { text: userLines(e.located, e.hint), exitCode: RUNTIME_EXIT_CODES[e.kind] };
  }
  if (e instanceof UserError) return { text: userLines(e.message, e.hint), exitCode: e.exitCode };
  return { text: `emoc: internal error: ${(e as Error)?.stack ?? String(e)}\n`, exitCode: INTERNAL_ERROR_EXIT };
}

function userLines(message: string, hint: string | undefined): string {
  return `emoc: ${message}\n${hint ? `  hint: ${hint}\n` : ''}`;
}
