// Findings as SARIF 2.1.0, the format CI systems (GitHub code scanning and others) read to annotate
// pull requests. One run, one tool (emoc) whose rules are every lint rule.

import * as path from 'node:path';
import { COMPILER_RULE, RULES } from './rules/index.ts';
import type { Finding } from './types.ts';

const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;

export function toSarif(findings: readonly Finding[], opts: { version: string; cwd?: string }): object {
  const rules = [
    ...RULES.map((r) => ({ id: r.id, doc: r.doc, level: LEVEL[r.severity] })),
    { id: COMPILER_RULE.id, doc: COMPILER_RULE.doc, level: LEVEL.error },
  ];
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const cwd = opts.cwd ?? process.cwd();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'emoc',
            version: opts.version,
            rules: rules.map((r) => ({ id: r.id, shortDescription: { text: r.doc }, defaultConfiguration: { level: r.level } })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: index.get(f.rule) ?? index.get(COMPILER_RULE.id),
          level: LEVEL[f.severity],
          message: { text: f.hint ? `${f.message} (${f.hint})` : f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: toUri(f.file, cwd) },
                region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: Math.max(f.endColumn, f.column) },
              },
            },
          ],
          ...(f.rule === COMPILER_RULE.id ? { properties: { compilerCode: f.code } } : {}),
        })),
      },
    ],
  };
}

/** Relative, forward-slashed paths: what code-scanning tools match against the repository. */
function toUri(file: string, cwd: string): string {
  const rel = path.isAbsolute(file) ? path.relative(cwd, file) : file;
  return rel.split(path.sep).map(encodeURIComponent).join('/');
}
