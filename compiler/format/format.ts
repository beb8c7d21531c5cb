// Formatting a spec's text through prettier with the .emo plugin: what `emoc fmt` and `emoc lint --fix` call.

import * as prettier from 'prettier';
import { parseEmo } from '../../grammar/parse.ts';
import type { Diagnostic } from '../diagnostics.ts';
import * as plugin from './plugin.ts';

export type FormatResult = { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] };

/**
 * The canonical text of a spec. `filepath` lets prettier find its configuration (.prettierrc:
 * printWidth, tabWidth, emoAlign), as `prettier --write` would.
 */
export async function formatEmo(text: string, opts: { filepath?: string; useConfig?: boolean } = {}): Promise<FormatResult> {
  const filepath = opts.filepath ?? 'input.emo';
  // Syntax errors are reported as diagnostics, not as prettier's exception.
  const normalized = text.replace(/\r\n?/g, '\n');
  const { diagnostics } = parseEmo(normalized, filepath);
  if (diagnostics.length) return { ok: false, diagnostics };
  const config = opts.useConfig && opts.filepath ? ((await prettier.resolveConfig(opts.filepath)) ?? {}) : {};
  const formatted = await prettier.format(text, { ...config, filepath, parser: 'emo', plugins: [plugin] });
  return { ok: true, text: formatted };
}
