// Lint findings are values, like the compiler's diagnostics (they are Diagnostics, with the rule id as
// their code), so every printer of diagnostics prints them too.

import type { CompileResult } from '../compile.ts';
import type { Diagnostic, Fix } from '../diagnostics.ts';
import type { ExperimentIR } from '../ir.ts';

export type RuleSeverity = 'error' | 'warning';
export type RuleSetting = RuleSeverity | 'off';

/** A finding's `fix` (from the Diagnostic) is safe to apply without asking: emoc lint --fix applies it. */
export interface Finding extends Diagnostic {
  /** The rule's stable id; for compile diagnostics no rule claims, 'compiler' (and `code` keeps E0xx). */
  rule: string;
}

/** Where a finding is: a diagnostic's position fields. */
export type Location = Pick<Diagnostic, 'file' | 'line' | 'column' | 'endLine' | 'endColumn' | 'offset' | 'endOffset'>;

/** What a rule reports; lint adds the rule id and the severity in force. The fix edits `at.file`. */
export interface RuleFinding {
  at: Location;
  message: string;
  hint?: string;
  fix?: Fix;
}

export interface LintOptions {
  /** Parameters allowed in the dense layer right after flatten before large-dense-after-flatten fires. */
  maxParamsAfterFlatten: number;
}

export const DEFAULT_LINT_OPTIONS: LintOptions = { maxParamsAfterFlatten: 1_000_000 };

export interface LintContext {
  file: string;
  result: CompileResult;
  /** Every compiled IR (one per sweep point), also when the spec has compile errors elsewhere. */
  experiments: ExperimentIR[];
  options: LintOptions;
}

export interface Rule {
  id: string;
  severity: RuleSeverity;
  /** One line for `emoc lint --rules`. */
  doc: string;
  /** Compile diagnostic codes this rule reports under its own id. */
  fromCompiler?: (d: Diagnostic) => boolean;
  check?: (ctx: LintContext) => RuleFinding[];
}
