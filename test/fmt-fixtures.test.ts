// The formatter's fixture pairs (test/fixtures/fmt/NAME.input.emo -> NAME.output.emo), one per group of
// constructs and comment positions, plus the specs of specs/, which are already in the canonical layout.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import { withoutSrc } from '../compiler/diff/fields.ts';
import { formatEmo } from '../compiler/format/format.ts';
import { normalizeNumber } from '../compiler/format/numbers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'test/fixtures/fmt');
const pairs = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.input.emo'))
  .map((f) => f.replace('.input.emo', ''));

async function format(text: string, file = 'x.emo'): Promise<string> {
  const r = await formatEmo(text, { filepath: file });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.text;
}

const commentTexts = (text: string) => (text.match(/#[^\n]*/g) ?? []).map((c) => c.trimEnd()).sort();

describe('fixture pairs', () => {
  it.each(pairs)('%s', async (name) => {
    const file = path.join(FIXTURES, `${name}.input.emo`);
    const input = fs.readFileSync(file, 'utf8');
    const expected = fs.readFileSync(path.join(FIXTURES, `${name}.output.emo`), 'utf8');
    const out = await format(input, file);
    expect(out).toBe(expected);
    expect(await format(out, file)).toBe(out);
    expect(commentTexts(out)).toEqual(commentTexts(input));
    const before = compile(file, { text: input, checkPackages: false });
    const after = compile(file, { text: out, checkPackages: false });
    expect(withoutSrc(after.experiments)).toEqual(withoutSrc(before.experiments));
  });

  it('every spec in specs/ is already formatted', async () => {
    for (const f of fs.readdirSync(path.join(ROOT, 'specs')).filter((x) => x.endsWith('.emo'))) {
      const text = fs.readFileSync(path.join(ROOT, 'specs', f), 'utf8');
      expect(await format(text, f), f).toBe(text);
    }
  });

  it('refuses a spec with syntax errors and says where', async () => {
    const r = await formatEmo('experiment e {\n  model { conv 8 k3 = }\n', { filepath: 'bad.emo' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics[0]).toMatchObject({ code: 'E002', line: 2 });
  });

  it('CRLF input formats like LF input; an empty file stays empty', async () => {
    expect(await format('experiment e {\r\n  model { fc 7 }\r\n}\r\n')).toBe('experiment e {\n  model {\n    fc 7\n  }\n}\n');
    expect(await format('')).toBe('');
    expect(await format('\n\n# only a comment\n\n')).toBe('# only a comment\n');
  });

  it('follows prettier options: printWidth, and emoAlign: false turns alignment off', async () => {
    const prettier = await import('prettier');
    const plugin = await import('../compiler/format/plugin.ts');
    const text = 'experiment e {\n  model {\n    conv 8 k3 | bn\n    conv 16 k3 s2 | bn\n  }\n}\n';
    expect(await format(text)).toContain('conv 8 k3     | bn');
    const plain = await prettier.format(text, { parser: 'emo', plugins: [plugin], emoAlign: false } as object);
    expect(plain).toContain('conv 8 k3 | bn\n');
    const narrow = await prettier.format(text, { parser: 'emo', plugins: [plugin], printWidth: 16 });
    expect(narrow).toContain('conv 16 k3 s2\n      | bn');
  });
});

describe('numbers are normalised only where the value cannot change', () => {
  it.each([
    ['.5', '0.5'],
    ['0.50', '0.5'],
    ['1.', '1'],
    ['1.0', '1'],
    ['007', '7'],
    ['1E-03', '1e-3'],
    ['1e+3', '1e3'],
    ['-0.0', '-0'],
    ['1e-3', '1e-3'],
    ['0.001', '0.001'],
    ['99999999999999999999', '99999999999999999999'],
  ])('%s -> %s', (raw, out) => {
    expect(normalizeNumber(raw)).toBe(out);
    expect(Object.is(Number(out), Number(raw))).toBe(true);
  });
});

describe('the prettier plugin and emoc fmt', () => {
  const CLI = path.join(ROOT, 'bin/emoc.js');
  const outputs = pairs.map((p) => path.join('test/fixtures/fmt', `${p}.output.emo`));

  it('prettier itself loads the plugin by path and checks .emo files', () => {
    const prettier = path.join(ROOT, 'node_modules/prettier/bin/prettier.cjs');
    const ok = spawnSync(process.execPath, [prettier, '--plugin', './compiler/format/prettier-plugin.mjs', '--check', ...outputs], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(ok.stderr + ok.stdout).toContain('All matched files use Prettier code style');
    expect(ok.status).toBe(0);
    const bad = spawnSync(
      process.execPath,
      [prettier, '--plugin', './compiler/format/prettier-plugin.mjs', '--check', 'test/fixtures/fmt/pipelines.input.emo'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(bad.status).toBe(1);
    const formatted = execFileSync(
      process.execPath,
      [prettier, '--plugin', './compiler/format/prettier-plugin.mjs', 'test/fixtures/fmt/pipelines.input.emo'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(formatted).toBe(fs.readFileSync(path.join(FIXTURES, 'pipelines.output.emo'), 'utf8'));
  });

  it('emoc fmt --check lists the files that would change and exits 1', () => {
    const r = spawnSync(process.execPath, [CLI, 'fmt', '--check', 'test/fixtures/fmt/pipelines.input.emo', ...outputs], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual(['test/fixtures/fmt/pipelines.input.emo']);
    const clean = spawnSync(process.execPath, [CLI, 'fmt', '--check', ...outputs], { cwd: ROOT, encoding: 'utf8' });
    expect(clean.status).toBe(0);
  });

  it('emoc fmt --write rewrites in place', () => {
    const dir = fs.mkdtempSync(path.join(ROOT, 'test/fixtures/fmt/.tmp-'));
    try {
      const file = path.join(dir, 'p.emo');
      fs.copyFileSync(path.join(FIXTURES, 'pipelines.input.emo'), file);
      const r = spawnSync(process.execPath, [CLI, 'fmt', '--write', file], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(path.join(FIXTURES, 'pipelines.output.emo'), 'utf8'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
