// A run with random augmentations trains end to end, gives the same numbers on 1 or 2 backend threads,
// leaves a contact sheet of its augmented training views (augment.png) in its folder, and report.html
// shows that sheet inline; a run folder without one (older runs) gets no such section.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import { writeReport } from '../runtime/report/report.ts';
import { runExperiment } from '../runtime/run.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-report-aug-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SPEC = `experiment tiny-aug {
  data {
    source builtin:faces
    images 42
    input 32x32x1
    split 0.2
  }
  augment {
    randomcrop 30
    flip
    rotate 20
    shift 0.1
    contrast 0.3
    erase 0.5
  }
  model {
    conv 4 k3 | relu | maxpool 2
    flatten
    fc 7 | softmax
  }
  train {
    epochs 1
    batch 8
    seed 3
  }
}
`;

describe('the run report shows the augmented training views', () => {
  it('a run writes augment.png and report.html embeds it', async () => {
    const file = path.join(tmp, 'tiny.emo');
    fs.writeFileSync(file, SPEC);
    const r = compile(file, { validate: true });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const outcome = await runExperiment({
      ir: r.experiments[0],
      specText: SPEC,
      runsDir: path.join(tmp, 'runs'),
      backend: 'wasm',
      threads: 1,
      sink: () => undefined,
      shouldStop: () => false,
    });
    expect(outcome.status).toBe('finished');
    const png = path.join(outcome.runDir, 'augment.png');
    // 42 images, 20% held out: more than 32 training views in epoch 1 (one per image with randomcrop), so
    // 32 tiles of the default sheet: 8 a row, 4 rows; 30x30 views x4 (the least whole factor reaching
    // 96 px) = 120 px; 4 px gaps and a 16 px label strip: 4 + 8 * 124 = 996 wide, 4 + 4 * (120 + 16 + 4) = 564 high.
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 996, 564]);

    const { html } = await writeReport(outcome.runDir);
    const text = fs.readFileSync(html, 'utf8');
    expect(text).toContain('<section id="augmentation">');
    expect(text).toContain(`src="data:image/png;base64,${fs.readFileSync(png).toString('base64')}"`);
  });

  it('same seed, 1 or 2 backend threads (with and without the prefetch worker on two cores): the same epoch numbers', async () => {
    const file = path.join(tmp, 'tiny.emo');
    fs.writeFileSync(file, SPEC);
    const ir = compile(file, { validate: true }).experiments[0];
    const metrics = async (threads: number) => {
      const o = await runExperiment({
        ir,
        specText: SPEC,
        runsDir: path.join(tmp, `runs-${threads}`),
        backend: 'wasm',
        threads,
        sink: () => undefined,
        shouldStop: () => false,
      });
      expect(o.status).toBe('finished');
      return fs
        .readFileSync(path.join(o.runDir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const e = JSON.parse(l);
          return [e.train.loss, e.train.acc, e.val.loss, e.val.acc];
        });
    };
    const one = await metrics(1);
    expect(one).toHaveLength(1);
    expect(await metrics(2)).toEqual(one);
  });

  it('a run folder without augment.png has no augmentation section', async () => {
    const dir = path.join(tmp, 'fixture');
    fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'runs', 'baseline'), dir, { recursive: true });
    const { html } = await writeReport(path.join(dir, '20261128-044301-ab12'));
    expect(fs.readFileSync(html, 'utf8')).not.toContain('id="augmentation"');
  });
});
