// Reports for the fixture run and sweep: content checks on report.html / report.md, then the HTML
// opened in a real headless Chromium (Debian's, via playwright-core) to see that the charts render,
// with no console errors and no network. Screenshots go to a temp folder (path printed).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { writeReport } from '../runtime/report/report.ts';
import { unifiedDiff } from '../runtime/report/line-diff.ts';

const CHROMIUM = '/usr/bin/chromium';
// Flags for a sandbox-less container with no network: nothing may try to phone home.
const OFFLINE_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-sync',
  '--disable-features=Translate,MediaRouter,OptimizationHints',
  '--metrics-recording-only',
  '--mute-audio',
];

const fixtures = join(import.meta.dirname, 'fixtures', 'runs');
const work = mkdtempSync(join(tmpdir(), 'emoc-report-'));
cpSync(fixtures, work, { recursive: true });
const runDir = join(work, 'baseline', '20261128-044301-ab12');
const firstRunDir = join(work, 'baseline', '20261127-213000-9f01');
const sweepDir = join(work, 'lr-sweep', 'sweep-20261128-060000');

describe('report content', () => {
  it('writes report.html and report.md for a run, atomically', async () => {
    const written = await writeReport(runDir);
    expect(written).toEqual({ html: join(runDir, 'report.html'), md: join(runDir, 'report.md') });
    expect(readdirSync(runDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const html = readFileSync(written.html, 'utf8');
    expect(html).toContain('<h1>baseline — run 20261128-044301-ab12</h1>');
    expect(html).toContain('<span class="status finished">finished</span>');
    expect(html).toContain('Changes since the previous run, 20261127-213000-9f01:');
    expect(html).toMatch(/<span class="del">-    epochs 10<\/span>/);
    expect(html).toMatch(/<span class="add">\+    epochs 3<\/span>/);
    for (const name of ['learning-curves', 'confusion', 'recall']) expect(html).toContain(`data-chart="${name}"`);
    expect(html).toContain('best epoch 2'); // the rule's label in the curves SVG
    expect(html).toContain('8 · 80%'); // happy row of the heat map
    // Self-contained: no scripts, no stylesheets or images by URL (SVG namespaces are not fetched).
    expect(html).not.toMatch(/<script|<link|@import|url\((?!#)|src="http/i); // url(#gradient) is in-page

    const md = readFileSync(written.md, 'utf8');
    expect(md).toContain('# baseline — run 20261128-044301-ab12');
    expect(md).toContain('| val accuracy | 50.0% |');
    expect(md).toMatch(/\| 2 \| 1\.320 \| 1\.520 \| 51\.0% \| 50\.0% \| 0\.0005 \| \*\*best\*\* \|/);
    expect(md).toContain('| happy | 0 (0%) | 0 (0%) | 0 (0%) | 8 (80%) | 1 (10%) | 1 (10%) | 0 (0%) | 80.0% |');
    expect(md).toContain('```diff\n--- 20261127-213000-9f01/spec.emo\n+++ 20261128-044301-ab12/spec.emo');
  });

  it('says so when there is no previous run, and takes a semantic diff hook', async () => {
    const first = readFileSync((await writeReport(firstRunDir)).html, 'utf8');
    expect(first).toContain('First run of this experiment');
    expect(first).toContain('<span class="status interrupted">interrupted</span>');

    const seen: string[] = [];
    await writeReport(runDir, {
      specDiff: (previous, current) => {
        seen.push(`${previous.runId} -> ${current.runId}`);
        return '~ train.epochs: 10 -> 3';
      },
    });
    expect(seen).toEqual(['20261127-213000-9f01 -> 20261128-044301-ab12']);
    expect(readFileSync(join(runDir, 'report.md'), 'utf8')).toContain('~ train.epochs: 10 -> 3');
    await writeReport(runDir); // back to the line diff for the browser test
  });

  it('writes a sweep report with the results table and accuracy by point', async () => {
    const written = await writeReport(sweepDir);
    const html = readFileSync(written.html, 'utf8');
    expect(html).toContain('<h1>Sweep lr-sweep</h1>');
    expect(html).toContain('4 points · 3 done · 1 failed · best lr-0.001 (50.0% val accuracy)');
    expect(html).toMatch(/<tr class="best"><td>★ lr-0\.001<\/td><td>lr=0\.001<\/td><td>finished<\/td><td>51\.0%<\/td><td>50\.0%<\/td>/);
    expect(html).toMatch(
      /<td>lr-0\.1<\/td><td>lr=0\.1<\/td><td>failed<\/td><td>51\.0%|<td>lr-0\.1<\/td><td>lr=0\.1<\/td><td>failed<\/td><td>–<\/td>/,
    );
    expect(html).toContain('data-chart="sweep-accuracy"');
    expect(html).toContain('data-chart="learning-curves"'); // the best point's run
    const md = readFileSync(written.md, 'utf8');
    expect(md).toContain('| ★ lr-0.001 | lr=0.001 | finished | 51.0% | 50.0% | 0.484 | 2 | 6s |');
    expect(md).toContain('| lr-0.1 | lr=0.1 | failed | – | – | – | 0 | 1s |');
  });
});

describe('line diff', () => {
  it('gives a unified diff with hunks and context, and nothing for equal texts', () => {
    const before = 'a\nb\nc\nd\ne\nf\ng\nh\n';
    const after = 'a\nb\nC\nd\ne\nf\ng\nh\ni\n';
    expect(unifiedDiff(before, after, ['old', 'new'], 1)).toBe(
      ['--- old', '+++ new', '@@ -2,3 +2,3 @@', ' b', '-c', '+C', ' d', '@@ -8,1 +8,2 @@', ' h', '+i'].join('\n'),
    );
    expect(unifiedDiff(before, before, ['old', 'new'])).toBe('');
  });
});

describe('report in headless Chromium', () => {
  let browser: Browser;
  const shots = mkdtempSync(join(tmpdir(), 'emoc-report-shots-'));

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: this test needs Debian's chromium. Install it with: apt-get update && apt-get install -y chromium`,
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: OFFLINE_FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    console.log(`report screenshots: ${shots}`);
  });

  const cases = [
    { name: 'run', dir: () => runDir, charts: ['learning-curves', 'confusion', 'recall'] },
    { name: 'sweep', dir: () => sweepDir, charts: ['sweep-accuracy', 'learning-curves', 'confusion', 'recall'] },
  ];
  for (const c of cases) {
    it(`renders the ${c.name} report's charts with no errors and no network`, async () => {
      if (!existsSync(join(c.dir(), 'report.html'))) await writeReport(c.dir());
      const url = pathToFileURL(join(c.dir(), 'report.html')).href;
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(url, { waitUntil: 'load' });

      for (const chart of c.charts) {
        const svg = page.locator(`figure[data-chart="${chart}"] svg`);
        await expect(svg.count(), chart).resolves.toBe(1);
        const box = await svg.boundingBox();
        expect(box, chart).not.toBeNull();
        expect(box!.width, chart).toBeGreaterThan(100);
        expect(box!.height, chart).toBeGreaterThan(100);
        // Marks were drawn: lines/bars/cells are paths inside the chart.
        expect(await svg.locator('path').count(), chart).toBeGreaterThan(5);
      }
      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);
      await page.screenshot({ path: join(shots, `${c.name}.png`), fullPage: true });
      expect(existsSync(join(shots, `${c.name}.png`))).toBe(true);
      await page.close();
    });
  }
});
