// Typed runtime errors. Each class is one kind of failure the CLI reports differently (a one-line message
// with where and a hint, and an exit code), so nothing upstream has to sort errors by their message text.
// A plain `Error` thrown inside the runtime means a bug in emoc: the CLI prints it as an internal error.

/** The kinds of failure a user can cause or fix, one per subclass; the CLI maps each to an exit code. */
export const RUNTIME_ERROR_KINDS = ['data', 'backend', 'resume', 'diverged', 'not-runnable', 'model-file', 'run-folder'] as const;
export type RuntimeErrorKind = (typeof RUNTIME_ERROR_KINDS)[number];

export abstract class EmocRuntimeError extends Error {
  abstract readonly kind: RuntimeErrorKind;
  constructor(
    message: string,
    /** Where it went wrong: a file, folder or image path, or a run folder; empty when there is no place. */
    readonly where: string,
    /** What to do about it, one line. */
    readonly hint: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** `where: message`, the line the CLI prints after `emoc: ` (and a sweep logs for a failed point). */
  get located(): string {
    return this.where ? `${this.where}: ${this.message}` : this.message;
  }
}

/** A data folder, CSV or image that cannot be used as it is. */
export class DataError extends EmocRuntimeError {
  readonly kind = 'data';
}

/** The requested TensorFlow.js backend is missing or does not start. */
export class BackendError extends EmocRuntimeError {
  readonly kind = 'backend';
}

/** A run folder that cannot be resumed (no checkpoint, already finished, changed files). */
export class ResumeError extends EmocRuntimeError {
  readonly kind = 'resume';
}

/** Training produced a non-finite loss. */
export class DivergedError extends EmocRuntimeError {
  readonly kind = 'diverged';
}

/** A compiled experiment that this runtime cannot execute (a combination the compiler should have refused). */
export class NotRunnableError extends EmocRuntimeError {
  readonly kind = 'not-runnable';
}

/** A model or weights file (model.json, checkpoint) that cannot be read. */
export class ModelFileError extends EmocRuntimeError {
  readonly kind = 'model-file';
}

/** A folder given as a run (or sweep) folder that lacks the files a command reads from it. */
export class RunFolderError extends EmocRuntimeError {
  readonly kind = 'run-folder';
}
