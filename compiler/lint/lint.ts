// emoc lint's engine: compile the spec (never throwing: a spec with compile errors still gets its
// compile diagnostics, under rule ids where a rule claims them), run every rule over the AST and the
// IR of each experiment and sweep point, then apply the config's severities and the disable comments.

import { compile, type CompileOptions } from '../compile.ts';
import { normalizeDiagnostics, type Diagnostic } from '../diagnostics.ts';
import { loadConfig, type LintConfig } from './config.ts';
import { COMPILER_RULE, RULES } from './rules/index.ts';
import { isSuppressed, suppressions } from './suppress.ts';
import type { Finding, LintContext, Rule, RuleFinding } from './types.ts';
import type { CompileResult } from '../compile.ts';

export interface LintResult {
  file: string;
  findings: Finding[];
  /** Source text by file, for code frames. */
  texts: Map<string, string>;
  compile: CompileResult;
}

export const RULE_IDS: readonly string[] = [...RULES.map((r) => r.id), COMPILER_RULE.id];

export function lintFile(file: string, opts: { config?: LintConfig; compile?: CompileOptions } = {}): LintResult {
  const config = opts.config ?? loadConfig(file, RULE_IDS);
  const result = compile(file, { checkPackages: false, ...opts.compile });
  const ctx: LintContext = { file: result.program.main.file, result, experiments: result.experiments, options: config.options };
  const severityOf = (rule: Rule) => config.rules[rule.id] ?? rule.severity;

  const findings: Finding[] = [];
  for (const d of result.diagnostics) {
    const rule = RULES.find((r) => r.fromCompiler?.(d));
    if (!rule) {
      if (config.rules[COMPILER_RULE.id] === 'off') continue;
      findings.push({ ...d, rule: COMPILER_RULE.id });
    } else if (severityOf(rule) !== 'off')
      findings.push({ ...d, code: rule.id, rule: rule.id, severity: severityOf(rule) as Diagnostic['severity'] });
  }
  for (const rule of RULES) {
    const severity = severityOf(rule);
    if (severity === 'off' || !rule.check) continue;
    for (const f of safely(rule, ctx)) findings.push(toFinding(rule, severity, f));
  }

  const byFile = new Map([...result.program.files].map(([f, ast]) => [f, suppressions(ast.comments)]));
  const kept = findings.filter((f) => !isSuppressed(f, byFile));
  return { file: ctx.file, findings: dedupe(kept), texts: result.program.texts, compile: result };
}

/** A rule that throws (a bug in emoc) must not hide the other rules' findings. */
function safely(rule: Rule, ctx: LintContext): RuleFinding[] {
  try {
    return rule.check!(ctx);
  } catch (e) {
    const at = { file: ctx.file, line: 1, column: 1, endLine: 1, endColumn: 1, offset: 0, endOffset: 0 };
    return [{ at, message: `internal error in rule ${rule.id}: ${(e as Error).message}` }];
  }
}

function toFinding(rule: Rule, severity: 'error' | 'warning', f: RuleFinding): Finding {
  const extra = { ...(f.hint ? { hint: f.hint } : {}), ...(f.fix ? { fix: f.fix } : {}) };
  return { code: rule.id, rule: rule.id, severity, message: f.message, ...f.at, ...extra };
}

/** Sweep points report the same finding once per point; keep one, in source order. */
function dedupe(findings: Finding[]): Finding[] {
  return normalizeDiagnostics(findings) as Finding[];
}

export function hasErrorFindings(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
