// `emoc preview` through bin/emoc.js: a contact sheet of the FER2013 sample's augmented views with the
// dimensions its layout gives, and one clear line (no stack trace) for a bad spec path, a missing data
// folder and a bad --out.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLE = path.resolve(ROOT, '..', 'shared', 'data', 'fer2013-sample');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-preview-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function emoc(...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin/emoc.js'), 'preview', ...args], {
    cwd: tmp,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

function spec(name: string, source: string): string {
  const file = path.join(tmp, `${name}.emo`);
  const text = [
    `experiment ${name} {`,
    '  data {',
    `    source folder ${JSON.stringify(source)}`,
    '    input 48x48x1',
    '  }',
    '  augment {',
    '    randomcrop 44',
    '    flip',
    '    rotate 10',
    '    zoom 0.1',
    '    brightness 0.2',
    '    erase 0.5 size=0.2',
    '  }',
    '  model {',
    '    flatten',
    '    fc 7 | softmax',
    '  }',
    '}',
    '',
  ].join('\n');
  fs.writeFileSync(file, text);
  return file;
}

describe('emoc preview', () => {
  it('writes a contact sheet PNG of the augmented sample', async () => {
    const file = spec('sample', SAMPLE);
    const out = path.join(tmp, 'sheet.png');
    const r = emoc(file, '--n', '6', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('6 augmented training images');
    // 6 tiles in one row; 44x44 views scaled x3 (the least whole factor reaching 96 px) = 132 px; 4 px gaps
    // around and between, a 16 px label strip under each: 4 + 6 * (132 + 4) = 820 wide, 4 + 132 + 16 + 4 = 156 high.
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 820, 156]);
    // Not a blank canvas: the tiles hold faces (many grey levels).
    const { data } = await sharp(out).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(new Set(data).size).toBeGreaterThan(50);
  });

  it('--help describes the command', () => {
    const r = emoc('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('contact sheet');
    expect(r.stdout).toContain('--out');
  });

  for (const [name, args, want] of [
    ['a spec that does not exist', () => [path.join(tmp, 'nope.emo')], /nope\.emo: no such spec file/],
    [
      'a data folder that does not exist',
      () => [spec('missing', path.join(tmp, 'no-such-data')), '--out', path.join(tmp, 'm.png')],
      /no-such-data/,
    ],
    [
      'an --out folder that does not exist',
      () => [spec('badout', SAMPLE), '--out', path.join(tmp, 'nowhere', 'x.png')],
      /folder .* does not exist/,
    ],
  ] as const) {
    it(`${name}: exit 1, one line and a hint, no stack trace`, () => {
      const r = emoc(...args());
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^emoc: /);
      expect(lines[0]).toMatch(want);
      expect(lines.slice(1).every((l) => l.trimStart().startsWith('hint:'))).toBe(true);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
