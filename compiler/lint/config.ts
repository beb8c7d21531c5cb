// The project's lint settings: emoc.config.json, found by searching upward from the spec's folder.
//   { "lint": { "rules": { "RULE-ID": "off" | "warning" | "error" }, "maxParamsAfterFlatten": 1000000 } }

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_LINT_OPTIONS, type LintOptions, type RuleSetting } from './types.ts';

export const CONFIG_FILE = 'emoc.config.json';

export interface LintConfig {
  /** The file it came from; null when none was found. */
  file: string | null;
  rules: Record<string, RuleSetting>;
  options: LintOptions;
  /** Problems with the file itself (bad JSON, unknown rule, bad value): the command reports them. */
  errors: string[];
}

export function findConfig(specFile: string): string | null {
  let dir = path.resolve(path.dirname(specFile));
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function loadConfig(specFile: string, knownRules: readonly string[]): LintConfig {
  const file = findConfig(specFile);
  const config: LintConfig = { file, rules: {}, options: { ...DEFAULT_LINT_OPTIONS }, errors: [] };
  if (!file) return config;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    config.errors.push(`${file}: ${(e as Error).message}`);
    return config;
  }
  const lint = (raw as { lint?: unknown })?.lint;
  if (lint === undefined) return config;
  if (typeof lint !== 'object' || lint === null) {
    config.errors.push(`${file}: "lint" must be an object`);
    return config;
  }
  const { rules, maxParamsAfterFlatten } = lint as { rules?: Record<string, unknown>; maxParamsAfterFlatten?: unknown };
  for (const [id, setting] of Object.entries(rules ?? {})) {
    if (!knownRules.includes(id)) config.errors.push(`${file}: unknown lint rule '${id}' (see emoc lint --rules)`);
    else if (setting !== 'off' && setting !== 'warning' && setting !== 'error')
      config.errors.push(`${file}: rule '${id}' must be "off", "warning" or "error"`);
    else config.rules[id] = setting;
  }
  if (maxParamsAfterFlatten !== undefined) {
    if (typeof maxParamsAfterFlatten !== 'number' || !(maxParamsAfterFlatten >= 0))
      config.errors.push(`${file}: maxParamsAfterFlatten must be a number of at least 0`);
    else config.options.maxParamsAfterFlatten = maxParamsAfterFlatten;
  }
  return config;
}
