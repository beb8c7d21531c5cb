// emoc lint: each rule on a spec that breaks it, disable comments, the project config, SARIF output
// validated against the SARIF 2.1.0 schema, and --fix.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../compiler/lint/config.ts';
import { fixText } from '../compiler/lint/fix.ts';
import { lintFile, RULE_IDS } from '../compiler/lint/lint.ts';
import { RULES } from '../compiler/lint/rules/index.ts';
import { toSarif } from '../compiler/lint/sarif.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'test/fixtures/lint');
const CLI = path.join(ROOT, 'bin/emoc.js');
const fixture = (name: string) => path.relative(ROOT, path.join(FIXTURES, name));
const placesOf = (file: string) => lintFile(file).findings.map((f) => [f.rule, f.line, f.column]);
const rulesOf = (file: string, text?: string) =>
  lintFile(file, { compile: text === undefined ? {} : { text } }).findings.map((f) => f.rule);
const emoc = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });

describe('rules', () => {
  it('has at least 12 rules, each with a unique id, a severity and a doc line', () => {
    expect(RULES.length).toBeGreaterThanOrEqual(12);
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) expect(r.doc.length, r.id).toBeGreaterThan(10);
  });

  // Each finding as [rule, line, column], in source order. The positions are read off the fixture's text
  // (see the numbered lines in each comment): a layer's finding is at its word, a setting's at its line.
  it('catches the mistakes of a compiling spec, each at its place', () => {
    expect(placesOf(fixture('mistakes.emo'))).toEqual([
      ['unused-import', 2, 1], //                      2: import "../../../specs/face-data.emo"
      ['test-crop-without-training-crop', 11, 5], //  11:     test tencrop 56
      ['stride-exceeds-kernel', 16, 5], //            16:     conv 16 k3 s4 | bn | maxpool 2
      ['dropout-range', 18, 5], //                    18:     dropout 0.9
      ['activation-before-softmax', 19, 5], //        19:     fc 7 relu | softmax | bn | softmax
      ['bn-after-last-fc', 19, 27], //                    the bn after the first softmax
      ['softmax-doubled', 19, 32], //                     the second softmax
      ['learning-rate-range', 23, 5], //              23:     optimizer adam lr=0.5
      ['sweep-single-value', 27, 19], //              27:     train.seed in [1]  (the list)
    ]);
  });

  it('reports compile errors under rule ids, each at its place', () => {
    expect(placesOf(fixture('compile-errors.emo'))).toEqual([
      ['class-count-mismatch', 5, 5], //   5:     fc 5 | softmax  (7 classes)
      ['feature-map-collapse', 14, 38], // 14:     conv 8 k5 s2 valid | maxpool 8 | maxpool 8  (32 -> 14 -> 1 -> none)
      ['unknown-tap', 22, 9], //          22:     tap avgpol
      ['duplicate-name', 29, 12], //      29: experiment five-outputs {  (the second one)
      ['crop-not-smaller', 41, 5], //     41:     tencrop 64  (input 64x64)
      ['crop-not-smaller', 42, 5], //     42:     test tencrop 64
    ]);
  });

  it('softmax-missing and the fixable softmax-doubled and unused-import, each at its place with its edit', () => {
    const text = fs.readFileSync(path.join(FIXTURES, 'fixable.emo'), 'utf8');
    const findings = lintFile(fixture('fixable.emo')).findings;
    expect(findings.map((f) => [f.rule, f.line, f.column])).toEqual([
      ['unused-import', 1, 1], //    1: import "../../../specs/face-data.emo"
      ['softmax-doubled', 5, 22], // 5:     fc 7 | softmax | softmax
      ['softmax-missing', 9, 20], // 9:   model { flatten; fc 7 }
    ]);
    const importEnd = text.indexOf('\n') + 1;
    const firstSoftmaxEnd = text.indexOf('softmax') + 'softmax'.length;
    const lastFc = text.lastIndexOf('fc 7') + 'fc 7'.length;
    expect(findings.map((f) => f.fix && [f.fix.start, f.fix.end, f.fix.replacement])).toEqual([
      [0, importEnd, ''], // the whole import line
      [firstSoftmaxEnd, firstSoftmaxEnd + ' | softmax'.length, ''], // ' | softmax' after the first one
      [lastFc, lastFc, ' | softmax'],
    ]);
    for (const f of findings) expect(f.fix?.title.length, f.rule).toBeGreaterThan(5);
  });

  it('large-dense-after-flatten is at the fc after flatten', () => {
    expect(placesOf('specs/s2.emo')).toEqual([['large-dense-after-flatten', 16, 5]]); // 16:     fc 128
  });

  it('the position tests above cover every rule', () => {
    const files = ['mistakes.emo', 'compile-errors.emo', 'fixable.emo', 'blocks.emo', 'augment.emo', 'train.emo']
      .map(fixture)
      .concat('specs/s2.emo');
    const seen = new Set(files.flatMap((f) => rulesOf(f)));
    expect([...seen].sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it('lint --fix applies the compiler fixes too: a did-you-mean and a duplicate', async () => {
    const text = [
      'experiment e {', //                              1
      '  train {', //                                   2
      '    epochs 5', //                                3
      '    epochs 10', //                               4
      '    optimiser adam', //                          5
      '  }', //                                         6
      '  model {', //                                   7
      '    flatten', //                                 8
      '    fc 7 | softmax', //                          9
      '  }', //                                         10
      '}', //                                           11
      '',
    ].join('\n');
    const findings = lintFile('/virtual/fix.emo', { compile: { text, readFile: () => undefined } }).findings;
    expect(findings.map((f) => [f.rule, f.code, f.line, f.column])).toEqual([
      ['compiler', 'E015', 4, 5],
      ['compiler', 'E010', 5, 5],
    ]);
    const fixed = await fixText('/virtual/fix.emo', text, findings);
    expect(fixed?.applied).toBe(2);
    // Then formatted: the canonical layout has a blank line between sections.
    const want =
      'experiment e {\n  train {\n    epochs 10\n    optimizer adam\n  }\n\n  model {\n    flatten\n    fc 7 | softmax\n  }\n}\n';
    expect(fixed?.text).toBe(want);
  });

  it('never throws on a broken spec', () => {
    const broken = lintFile('broken.emo', { compile: { text: 'experiment e {\n  model { conv 8 k3 = ; fc [\n' } });
    expect(broken.findings.length).toBeGreaterThan(0);
    expect(broken.findings.every((f) => f.rule === 'compiler' && f.code.startsWith('E'))).toBe(true);
  });

  it("flags S2's 3.3M-parameter fc after flatten, not S1's", () => {
    const s2 = lintFile('specs/s2.emo').findings;
    expect(s2[0].message).toContain('3,276,928');
    expect(lintFile('specs/s1.emo').findings).toEqual([]);
  });

  it('finds nothing in the other specs of specs/', () => {
    for (const f of fs.readdirSync(path.join(ROOT, 'specs')).filter((x) => x.endsWith('.emo') && x !== 's2.emo')) {
      expect(lintFile(path.join('specs', f)).findings, f).toEqual([]);
    }
  });

  it('each rule can be switched off per line and per file', () => {
    const text = fs.readFileSync(path.join(FIXTURES, 'mistakes.emo'), 'utf8');
    const perLine = text.replace('    dropout 0.9', '    # emoc-disable-next-line dropout-range\n    dropout 0.9');
    expect(rulesOf(fixture('mistakes.emo'), perLine)).not.toContain('dropout-range');
    const perFile = `# emoc-disable softmax-doubled, unused-import\n${text}`;
    const left = rulesOf(fixture('mistakes.emo'), perFile);
    expect(left).not.toContain('softmax-doubled');
    expect(left).not.toContain('unused-import');
    expect(left).toContain('bn-after-last-fc');
  });
});

describe('project config (emoc.config.json, searched upward)', () => {
  it('sets severities, turns rules off and sets the parameter limit', () => {
    const dir = fs.mkdtempSync(path.join(FIXTURES, '.tmp-'));
    try {
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(
        path.join(dir, 'emoc.config.json'),
        JSON.stringify({ lint: { rules: { 'stride-exceeds-kernel': 'off', 'dropout-range': 'error' }, maxParamsAfterFlatten: 5_000_000 } }),
      );
      const spec = path.join(dir, 'sub', 'm.emo');
      fs.copyFileSync(path.join(FIXTURES, 'mistakes.emo'), spec);
      const findings = lintFile(spec, {
        compile: { readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined) },
      }).findings;
      expect(findings.map((f) => f.rule)).not.toContain('stride-exceeds-kernel');
      expect(findings.find((f) => f.rule === 'dropout-range')?.severity).toBe('error');
      const s2 = path.join(dir, 'sub', 's2.emo');
      fs.copyFileSync(path.join(ROOT, 'specs/s2.emo'), s2);
      expect(lintFile(s2).findings).toEqual([]);
      fs.writeFileSync(path.join(dir, 'emoc.config.json'), JSON.stringify({ lint: { rules: { 'no-such-rule': 'off' } } }));
      expect(loadConfig(s2, RULE_IDS).errors[0]).toContain("unknown lint rule 'no-such-rule'");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('output', () => {
  it('SARIF output validates against the SARIF 2.1.0 schema', () => {
    const schema = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'),
    );
    // The schema is draft-04: ajv 8 speaks draft-07, which reads it once `id` is `$id` (no draft-04-only
    // keywords such as boolean exclusiveMinimum are used); its patterns are not valid with the u flag.
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    const { $schema: _drop, id, ...rest } = schema;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
    const validate = ajv.compile({ ...rest, $id: id });
    const findings = [...lintFile(fixture('mistakes.emo')).findings, ...lintFile(fixture('compile-errors.emo')).findings];
    const sarif = toSarif(findings, { version: '0.1.0' }) as { runs: { results: { ruleId: string }[] }[] };
    expect(validate(sarif), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(validate({ version: '2.1.0', runs: [{ results: [] }] })).toBe(false);
    expect(sarif.runs[0].results.length).toBe(findings.length);
  });

  it('emoc lint: human frames with rule ids, --format json, exit 1 on errors, --rules', () => {
    const human = emoc('lint', fixture('mistakes.emo'));
    expect(human.status).toBe(1);
    expect(human.stderr).toMatch(/mistakes\.emo:19:\d+ error softmax-doubled/);
    expect(human.stderr).toContain('hint:');
    const json = emoc('lint', '--format', 'json', 'specs/s2.emo');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)[0]).toMatchObject({ rule: 'large-dense-after-flatten', severity: 'warning', line: 16 });
    const rules = emoc('lint', '--rules');
    for (const r of RULES) expect(rules.stdout).toContain(r.id);
  });

  it('emoc lint --fix adds the missing softmax, drops the doubled one and the unused import, then formats', () => {
    const dir = fs.mkdtempSync(path.join(FIXTURES, '.tmp-'));
    try {
      const spec = path.join(dir, 'fixable.emo');
      fs.writeFileSync(
        spec,
        fs
          .readFileSync(path.join(FIXTURES, 'fixable.emo'), 'utf8')
          .replace('../../../specs/face-data.emo', '../../../../specs/face-data.emo'),
      );
      const r = emoc('lint', '--fix', spec);
      expect(r.status).toBe(0);
      expect(fs.readFileSync(spec, 'utf8')).toBe(
        'experiment fixable {\n  model {\n    flatten\n    fc 7 | softmax\n  }\n}\n\nexperiment no-softmax {\n  model {\n    flatten\n    fc 7 | softmax\n  }\n}\n',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
