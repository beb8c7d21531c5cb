// emoc lint FILE...: rules over the AST and IR with stable ids; human, JSON or SARIF output;
// --fix applies the safe fixes through the formatter. Exit 1 when an error-level finding remains.

import * as fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../compiler/lint/config.ts';
import type { LintResult } from '../../compiler/lint/lint.ts';
import { COMPILER_RULE, RULES } from '../../compiler/lint/rules/index.ts';
import { toSarif } from '../../compiler/lint/sarif.ts';
import type { Finding } from '../../compiler/lint/types.ts';
import { formatDiagnostics, useColor } from '../diagnostics-printer.ts';
import { withLimitFlags, limitOptions, type LimitFlags } from '../compile-flags.ts';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../../runtime/artifacts/atomic.ts';

const FORMATS = ['human', 'json', 'sarif'];

export function rulesTable(): string {
  const rows = [...RULES.map((r) => [r.id, r.severity, r.doc]), [COMPILER_RULE.id, '-', COMPILER_RULE.doc]];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  return `${rows.map(([id, sev, doc]) => `${id.padEnd(w0)}  ${sev.padEnd(7)}  ${doc}`).join('\n')}\n`;
}

async function lintOne(file: string, fix: boolean, limits: LimitFlags): Promise<LintResult> {
  // The linter compiles: loaded here, not at start (`emoc --version` and --help never construct the parser).
  const { lintFile, RULE_IDS } = await import('../../compiler/lint/lint.ts');
  const config = loadConfig(file, RULE_IDS);
  if (config.errors.length) throw new UserError(config.errors.join('\n'), 'fix the config file', 2);
  let result = lintFile(file, { config, compile: limitOptions(limits) });
  if (fix && !result.compile.diagnostics.some((d) => ['E001', 'E002', 'E003', 'E004'].includes(d.code))) {
    const text = result.texts.get(result.file);
    // --fix formats through prettier: loaded only here (loading it costs ~80 ms of CPU).
    const { fixText } = await import('../../compiler/lint/fix.ts');
    const fixed = text === undefined ? null : await fixText(result.file, text, result.findings);
    if (fixed && fixed.text !== text) {
      writeFileAtomic(file, fixed.text);
      process.stderr.write(`${file}: applied ${fixed.applied} fix${fixed.applied === 1 ? '' : 'es'}\n`);
      result = lintFile(file, { config, compile: limitOptions(limits) });
    }
  }
  return result;
}

export function registerLint(program: Command): void {
  withLimitFlags(program.command('lint'))
    .description('find likely mistakes in specs (rules with ids; see --rules)')
    .argument('[files...]', '.emo spec files')
    .option(
      '--format <format>',
      `output: ${FORMATS.join(', ')}`,
      (v) => {
        if (!FORMATS.includes(v)) throw new InvalidArgumentError(`expected one of ${FORMATS.join(', ')}`);
        return v;
      },
      'human',
    )
    .option('--fix', 'apply the safe fixes (then format the spec)')
    .option('--rules', 'list every rule: id, default severity, what it catches')
    .addHelpText(
      'after',
      '\nSwitch rules off with # emoc-disable RULE (file), # emoc-disable-next-line RULE (line), or in emoc.config.json:\n  { "lint": { "rules": { "RULE": "off" | "warning" | "error" }, "maxParamsAfterFlatten": 1000000 } }',
    )
    .action(async (files: string[], opts: { format: string; fix?: boolean; rules?: boolean } & LimitFlags) => {
      if (opts.rules) {
        process.stdout.write(rulesTable());
        return;
      }
      if (files.length === 0) program.error('error: missing spec file (usage: emoc lint FILE...)');
      const findings: Finding[] = [];
      const texts = new Map<string, string>();
      for (const file of files) {
        const result = await lintOne(file, !!opts.fix, opts);
        findings.push(...result.findings);
        for (const [f, t] of result.texts) texts.set(f, t);
        if (opts.format === 'human') {
          const text = formatDiagnostics(result.findings, { color: useColor(process.stderr), texts: result.texts });
          if (text) process.stderr.write(text);
          else process.stdout.write(`${file}: no findings\n`);
        }
      }
      if (opts.format === 'json')
        process.stdout.write(
          `${JSON.stringify(
            findings.map(({ fix, ...f }) => ({ ...f, fixable: !!fix })),
            null,
            2,
          )}\n`,
        );
      if (opts.format === 'sarif')
        process.stdout.write(`${JSON.stringify(toSarif(findings, { version: program.version() ?? '0.0.0' }), null, 2)}\n`);
      const { hasErrorFindings } = await import('../../compiler/lint/lint.ts');
      process.exitCode = hasErrorFindings(findings) ? 1 : 0;
    });
}
