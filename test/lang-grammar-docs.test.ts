// The generated grammar docs are committed; regenerating them in memory must give the same files, so the
// reference cannot drift from the parser (or the vocabulary tables). Fix: npx tsx scripts/grammar-docs.ts

import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODES } from '../compiler/diagnostics.ts';
import { LAYER_NAMES, SETTINGS } from '../compiler/lower.ts';
import { BACKBONES } from '../compiler/backbones.ts';
import { emoParser } from '../grammar/parser.ts';
import { generated, grammarEbnf, RAILROAD_PATH, REFERENCE_PATH, renderRailroad, renderReference } from '../scripts/grammar-docs.ts';

describe('grammar docs', () => {
  const railroad = renderRailroad();
  const reference = renderReference();

  it('grammar/docs/railroad.html is up to date', () => {
    expect(fs.existsSync(RAILROAD_PATH)).toBe(true);
    expect(fs.readFileSync(RAILROAD_PATH, 'utf8') === railroad, 'run: npx tsx scripts/grammar-docs.ts').toBe(true);
  });

  it('grammar/reference.md is up to date', () => {
    expect(fs.existsSync(REFERENCE_PATH)).toBe(true);
    expect(fs.readFileSync(REFERENCE_PATH, 'utf8')).toBe(reference);
  });

  it('generation is deterministic', () => {
    expect(generated().map((g) => g.text)).toEqual([railroad, reference]);
  });

  it('railroad.html is self-contained: no http(s) URL, no external script or stylesheet', () => {
    // The SVG and XLink namespace names passed to createElementNS are identifiers a browser never fetches.
    const withoutNamespaces = railroad.replace(/http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink)/g, '');
    expect(withoutNamespaces).not.toMatch(/https?:\/\//i);
    expect(railroad).not.toMatch(/unpkg/i);
    expect(railroad).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(railroad).not.toMatch(/<link[^>]*stylesheet/i);
    expect(railroad).toContain('railroad-diagrams');
    expect(railroad).toContain('drawDiagramsFromSerializedGrammar');
    expect(railroad).toContain('.railroad-diagram'); // the inlined CSS
    for (const rule of emoParser().getSerializedGastProductions())
      expect(railroad).toContain(`"name": "${(rule as unknown as { name: string }).name}"`);
  });

  it('the reference holds one EBNF rule per parser rule', () => {
    const rules = emoParser()
      .getSerializedGastProductions()
      .map((r) => (r as unknown as { name: string }).name);
    const ebnf = grammarEbnf();
    expect(
      ebnf
        .split('\n')
        .filter((l) => /^\w+ = /.test(l))
        .map((l) => l.split(' ')[0]),
    ).toEqual(rules);
    expect(reference).toContain(ebnf);
    expect(ebnf).toContain('experiment = "experiment" Name [ "extends" Name ] "{" { sep } { section terminator } "}" ;');
    expect(ebnf).toContain('list = "[" { Newline } [ value { "," { Newline } value } { Newline } ] "]" ;');
  });

  it('the reference lists the vocabulary, backbones, taps and diagnostic codes', () => {
    for (const l of LAYER_NAMES) expect(reference).toContain(`| \`${l}\` |`);
    for (const [section, settings] of Object.entries(SETTINGS)) {
      expect(reference).toContain(`| \`${section}\` |`);
      for (const s of settings) expect(reference).toContain(`\`${s}\``);
    }
    for (const b of Object.values(BACKBONES))
      for (const tap of Object.keys(b.taps)) expect(reference).toContain(`| \`${b.name}\` | \`${tap}\` | ${b.taps[tap].width} |`);
    for (const [c, meaning] of Object.entries(CODES)) {
      expect(reference).toContain(`| \`${c}\` |`);
      expect(reference).toContain(meaning);
    }
  });
});
