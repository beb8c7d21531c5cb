// Compile a spec for a command that needs a valid IR: print diagnostics and stop on errors.

import { compile, type CompileOptions, type CompileResult } from '../compiler/compile.ts';
import { formatDiagnostics, useColor } from './diagnostics-printer.ts';
import { UserError } from './errors.ts';

export function compileOrExit(fileWithPoint: string, opts: CompileOptions = {}): CompileResult {
  const file = fileWithPoint.replace(/#.*$/, '');
  // Commands that act on the IR get it schema-checked (check/lint skip this: it costs ~2 ms an IR).
  const result = compile(file, { ...opts, validate: true });
  const text = formatDiagnostics(result.diagnostics, { color: useColor(process.stderr), texts: result.program.texts });
  if (!result.ok) {
    process.stderr.write(text);
    throw new UserError(`${file} has errors`, `run: emoc check ${file}`, 1);
  }
  if (text) process.stderr.write(text);
  return result;
}
