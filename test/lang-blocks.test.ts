// Named blocks, `repeat` and residuals through the front end: expansion into IR (shortcuts, activations,
// parameters by hand), golden diagnostics for the mistakes users make, imports and sweeps, explain, diff
// inside residuals, and the lint rules about blocks. Expected numbers are worked out by hand in comments.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.ts';
import { diffExperiments } from '../compiler/diff/diff.ts';
import { explain } from '../compiler/explain.ts';
import type { ExperimentIR, LayerIR } from '../compiler/ir.ts';
import { lintFile } from '../compiler/lint/lint.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'test/fixtures');

const build = (text: string) => compile('blocks.emo', { text, checkPackages: false, readFile: () => undefined, validate: true });
const golden = (text: string, codes = /^E05/) =>
  build(text)
    .diagnostics.filter((d) => codes.test(d.code))
    .map((d) => [d.code, d.line, d.column, d.message, d.hint]);
const residual = (l: LayerIR) => {
  if (l.kind !== 'residual') throw new Error(`not a residual: ${l.kind}`);
  return l;
};

// 48x48x1 in; every conv is 3x3 'same' with bias.
const NET = `block convbn(filters, k=3, stride=1) {
  conv $filters kernel=$k stride=$stride same | bn | relu
}
block basic(filters, stride=1) residual relu {
  convbn $filters stride=$stride
  conv $filters k3 same | bn
}
experiment net {
  data {
    source builtin:faces
    input 48x48x1
  }
  model {
    convbn 8
    basic 8
    basic 16 stride=2
    residual { conv 16 k3 same | bn } | relu
    avgpool | fc 7 | softmax
  }
}
`;

describe('expansion into IR', () => {
  const r = build(NET);
  const ir = r.experiments[0];

  it('compiles without diagnostics and the IR matches the schema', () => {
    expect(r.diagnostics).toEqual([]);
    expect(ir.irVersion).toBe(4);
  });

  it('a plain block becomes its layers; residual blocks and inline residuals become residual layers', () => {
    expect(ir.layers.map((l) => (l.kind === 'activation' ? l.fn : l.kind))).toEqual([
      'conv',
      'bn',
      'relu',
      'residual',
      'residual',
      'residual',
      'globalavgpool',
      'fc',
      'softmax',
    ]);
    // convbn 8: the defaults k=3, stride=1 fill $k and $stride.
    expect(ir.layers[0]).toMatchObject({ kind: 'conv', filters: 8, kernel: [3, 3], stride: [1, 1], padding: 'same', activation: 'linear' });
    const b2 = residual(ir.layers[4]);
    // basic 16 stride=2: its nested convbn gets filters 16 and stride 2 through basic's parameters.
    expect(b2.body.map((l) => l.kind)).toEqual(['conv', 'bn', 'activation', 'conv', 'bn']);
    expect(b2.body[0]).toMatchObject({ kind: 'conv', filters: 16, stride: [2, 2] });
    expect(b2.body[3]).toMatchObject({ kind: 'conv', filters: 16, stride: [1, 1] });
  });

  it('identity when the body keeps the shape, a 1x1 projection with the stride and filters when not', () => {
    expect(residual(ir.layers[3]).shortcut).toEqual({ kind: 'identity' });
    expect(residual(ir.layers[4]).shortcut).toEqual({ kind: 'projection', filters: 16, stride: [2, 2] });
    expect(residual(ir.layers[5]).shortcut).toEqual({ kind: 'identity' });
  });

  it('the activation after the add: named in the block header, or the activation layer right after (folded)', () => {
    expect(residual(ir.layers[3]).activation).toBe('relu');
    expect(residual(ir.layers[5]).activation).toBe('relu');
    // The folded `| relu` is no layer of its own: the residual is followed by the pool.
    expect(ir.layers[6].kind).toBe('globalavgpool');
  });

  it('layers from a block record the outermost call; written layers have no from', () => {
    const call = { file: 'blocks.emo', line: 16, column: 5 }; // basic 16 stride=2
    expect(ir.layers[0].from).toEqual({ block: 'convbn', call: { file: 'blocks.emo', line: 14, column: 5 } });
    expect(ir.layers[4].from).toEqual({ block: 'basic', call });
    expect(residual(ir.layers[4]).body[0].from).toEqual({ block: 'basic', call });
    // Each layer's src is where it is written: the conv of convbn, line 2.
    expect(residual(ir.layers[4]).body[0].src).toMatchObject({ line: 2, column: 3 });
    expect(ir.layers[5].from).toBeUndefined();
  });

  it('shapes and parameters, the residual with its body and its projection', () => {
    const s = ir.shapes.layers;
    expect(s[0]).toMatchObject({ output: [48, 48, 8], params: 80 }); // 3*3*1*8 + 8
    // basic 8: two convs of 3*3*8*8 + 8 = 584 and two bn of 4*8 = 32: 1232; identity adds nothing.
    expect(s[3]).toMatchObject({ output: [48, 48, 8], params: 1232, trainable: 1232 - 32 });
    expect(s[3].shortcut).toBeUndefined();
    // basic 16 stride=2: 3*3*8*16 + 16 = 1168, bn 64, 3*3*16*16 + 16 = 2320, bn 64 = 3616; the projection
    // 1x1x8x16 without bias = 128 and its bn 64 (32 trained): 3808 in all.
    expect(s[4]).toMatchObject({ output: [24, 24, 16], params: 3808, trainable: 3808 - 32 - 32 - 32 });
    expect(s[4].shortcut).toEqual({ output: [24, 24, 16], params: 192, trainable: 160 });
    expect(s[4].inner?.map((x) => x.params)).toEqual([1168, 64, 0, 2320, 64]);
    expect(s[5]).toMatchObject({ output: [24, 24, 16], params: 2384 });
    // 80 + 32 + 1232 + 3808 + 2384 + fc 16*7 + 7 = 119
    expect(ir.shapes.totalParams).toBe(7655);
  });

  it('repeat N calls a block N times; residual relu { ... } inline; default activation reaches residuals', () => {
    const text = NET.replace('    basic 8\n', '    repeat 3 basic 8\n').replace(
      'residual { conv 16 k3 same | bn } | relu',
      'default activation tanh\n    residual { conv 16 k3 same | bn }',
    );
    const x = build(text).experiments[0];
    expect(x.layers.filter((l) => l.kind === 'residual').length).toBe(5);
    expect(x.layers.slice(3, 6).map((l) => residual(l).shortcut.kind)).toEqual(['identity', 'identity', 'identity']);
    // No activation named and none after it: the stack's default; the body's last conv stays linear.
    const inline = residual(x.layers[7]);
    expect(inline.activation).toBe('tanh');
    expect(inline.body[0]).toMatchObject({ kind: 'conv', activation: 'linear' });
  });
});

describe('golden diagnostics', () => {
  it('unknown block, argument count, unknown and missing parameters, recursion, repeat, unprojectable residual', () => {
    const text = `block convbn(filters, k=3) {
  conv $filters kernel=$k same | bn | relu
}
block loop(n) {
  again $n
}
block again(n) {
  loop $n
}
experiment e {
  data {
    source builtin:faces
    input 48x48x1
  }
  model {
    convbm 8
    convbn 8 16 3
    convbn 8 kk=5
    convbn k=5
    loop 4
    repeat 0 convbn 8
    residual { conv 8 k3 s2 valid | bn }
    avgpool | fc 7 | softmax
  }
}
`;
    expect(golden(text)).toEqual([
      ['E054', 8, 3, "block 'loop' calls itself (loop -> again -> loop)", 'a block cannot use itself, directly or through other blocks'],
      ['E050', 16, 5, "unknown block 'convbm'", "did you mean 'convbn'?"],
      ['E051', 17, 17, "block 'convbn' takes 2 arguments (filters, k), but this is argument 3", 'remove the extra argument'],
      ['E052', 18, 14, "block 'convbn' has no parameter 'kk'", "did you mean 'k'?"],
      ['E053', 19, 5, "block 'convbn' needs a value for 'filters'", 'for example: convbn <filters> k=3'],
      ['E057', 21, 5, 'repeat needs a whole number from 1 to 100, not 0', 'for example: repeat 2 convbn'],
      // 48x48x8 through conv k3 s2 valid: floor((48 - 3) / 2) + 1 = 23; a 1x1 conv gives ceil(48 / s): 48, 24, 16, ...
      [
        'E055',
        22,
        5,
        'this residual cannot add its input (48x48x8) to its output (23x23x8): no 1x1 projection with a whole stride turns 48x48 into 23x23',
        "keep the size with 'same' padding, or change it only by a whole stride",
      ],
    ]);
    // The misspelt block carries the did-you-mean edit (what lint --fix applies).
    const e050 = build(text).diagnostics.find((d) => d.code === 'E050')!;
    expect(e050.fix).toMatchObject({ replacement: 'convbn', start: text.indexOf('convbm'), end: text.indexOf('convbm') + 'convbm'.length });
  });

  it('a residual that turns a feature map into a vector, or changes a vector width, cannot be projected', () => {
    const text = `experiment e {
  data {
    source builtin:faces
    input 48x48x1
  }
  model {
    residual { conv 8 k3 | avgpool }
    flatten
    residual { fc 32 }
    fc 7 | softmax
  }
}
`;
    expect(golden(text)).toEqual([
      [
        'E055',
        7,
        5,
        'this residual cannot add its input (48x48x1) to its output (8): the body changes a feature map into a vector or back',
        'end the body with the width it starts with',
      ],
    ]);
    const vector = text.replace('    residual { conv 8 k3 | avgpool }\n', '');
    // flatten gives 48*48*1 = 2304 wide; fc 32 changes it.
    expect(golden(vector)).toEqual([
      [
        'E055',
        8,
        5,
        'this residual cannot add its input (2304) to its output (32): a vector shortcut cannot change its width',
        'end the body with the width it starts with',
      ],
    ]);
  });

  it('duplicate blocks and parameters, reserved names, residual and repeat without their parts', () => {
    const text = `block conv(filters) {
  fc $filters
}
block twice(a, a) {
  fc $a
}
block twice(b) {
  fc $b
}
block empty() {}
experiment e {
  data {
    source builtin:faces
    input 48x48x1
  }
  model {
    residual
    repeat twice 7
    flatten | twice 7 | softmax
  }
}
`;
    expect(golden(text, /^E05|^E012/)).toEqual([
      ['E056', 1, 7, "a block cannot be named 'conv': that word is already a layer or keyword", 'give the block another name'],
      ['E056', 4, 16, "parameter 'a' of block 'twice' is declared twice", 'remove one of them'],
      ['E056', 7, 7, "block 'twice' is declared twice", 'give each block its own name'],
      ['E012', 10, 7, "block 'empty' has no layers", 'write its layers inside the braces'],
      ['E012', 17, 5, "'residual' needs its layers in braces", 'for example: residual { conv 64 k3 same | bn }'],
      ['E012', 18, 5, "'repeat' needs a count before the layer or block", 'for example: repeat 2 conv 64 k3'],
    ]);
  });
});

describe('repeat outside a layer stack', () => {
  it('is reported where it is written, not ignored', () => {
    const text = `experiment e {
  data {
    source builtin:faces
    input 48x48x1
  }
  model { avgpool | fc 7 | softmax }
  train {
    repeat 2 epochs 3
  }
}
`;
    expect(golden(text)).toEqual([
      ['E057', 8, 5, "'repeat' repeats layers; 'train' holds settings", 'use repeat in a model or head block'],
    ]);
  });
});

describe('imports and sweeps', () => {
  const r = compile(path.join(FIXTURES, 'blocks/sweep.emo'), { validate: true, checkPackages: false });

  it('blocks come from an imported file; a $var in a block that is no parameter is a sweep variable', () => {
    expect(r.diagnostics).toEqual([]);
    expect(r.experiments.map((e) => e.name)).toEqual(['sweepy-8-0.1', 'sweepy-8-0.2', 'sweepy-16-0.1', 'sweepy-16-0.2']);
    const last = r.experiments[3];
    expect(last.layers[0]).toMatchObject({ kind: 'conv', filters: 16, from: { block: 'convbn', call: { line: 10, column: 5 } } });
    expect(last.layers[0].src).toEqual({ file: path.join(FIXTURES, 'blocks/lib.emo'), line: 3, column: 3 });
    expect(last.layers[3]).toMatchObject({ kind: 'dropout', rate: 0.2, from: { block: 'drop' } });
  });

  it('an unknown variable inside an imported block is reported where it is written', () => {
    const text = 'import "lib.emo"\nexperiment e {\n  data { source builtin:faces; input 48x48x1 }\n  model { drop | flatten | fc 7 }\n}\n';
    const x = compile(path.join(FIXTURES, 'blocks/main.emo'), { text, checkPackages: false });
    expect(x.diagnostics.filter((d) => d.code === 'E041').map((d) => [path.basename(d.file), d.line, d.column, d.message])).toEqual([
      ['lib.emo', 7, 11, "undefined variable '$rate'"],
    ]);
  });
});

describe('explain and diff', () => {
  const ir = build(NET).experiments[0];

  it('explain lists a residual, its body indented, and its shortcut as the layers it is', () => {
    const text = explain([ir]);
    expect(text).toMatch(/^ {2}residual relu {2}\(basic, line 16\) +24x24x16 +3,808$/m);
    expect(text).toMatch(/^ {4}conv 16 k3x3 s2x2 same +24x24x16 +1,168$/m);
    expect(text).toMatch(/^ {4}shortcut projection: conv 16 k1x1 s2x2 nobias \+ bn +24x24x16 +192$/m);
    expect(text).toMatch(/^ {4}shortcut identity +0$/m);
    expect(text).toContain('total params: 7,655');
  });

  it('diff aligns inside residuals: a change in a body is named by its place in it', () => {
    const other = build(NET.replace('residual { conv 16 k3 same | bn }', 'residual { conv 16 k3 same | bn momentum=0.5 }')).experiments[0];
    const d = diffExperiments(ir, other);
    expect(d.layers).toEqual([
      { op: 'changed', layer: 'residual #3 > bn #1', fields: [{ field: 'momentum', from: expect.any(Number), to: 0.5 }] },
    ]);
    const fewer = build(NET.replace('  conv $filters k3 same | bn\n', '  conv $filters k3 same\n')).experiments[0];
    const removed = diffExperiments(ir, fewer).layers.filter((l) => l.op === 'removed');
    expect(removed.map((l) => l.layer)).toEqual(['residual #1 > bn #2', 'residual #2 > bn #2']);
  });

  it('the same network written with and without blocks compiles to the same IR, from and src aside', () => {
    const flat = build(`experiment net {
  data {
    source builtin:faces
    input 48x48x1
  }
  model {
    conv 8 k3 same | bn | relu
    residual relu {
      conv 8 k3 same | bn | relu
      conv 8 k3 same | bn
    }
    residual relu {
      conv 16 k3 s2 same | bn | relu
      conv 16 k3 same | bn
    }
    residual { conv 16 k3 same | bn } | relu
    avgpool | fc 7 | softmax
  }
}
`).experiments[0];
    expect(diffExperiments(ir, flat).equal).toBe(true);
    const strip = (x: ExperimentIR) => JSON.parse(JSON.stringify(x.layers, (k, v) => (k === 'src' || k === 'from' ? undefined : v)));
    expect(strip(flat)).toEqual(strip(ir));
  });
});

describe('lint rules about blocks', () => {
  it('each finding at its place', () => {
    const findings = lintFile(path.relative(ROOT, path.join(FIXTURES, 'lint/blocks.emo'))).findings;
    expect(findings.map((f) => [f.rule, f.line, f.column])).toEqual([
      ['unused-block-parameter', 2, 28], // 2: block convbn(filters, k=3, unused=1) {
      ['unused-block', 5, 7], //            5: block spare(filters) {
      ['repeat-once', 15, 5], //           15:     repeat 1 convbn 16
      ['residual-ends-in-activation', 16, 39], // 16:     residual { conv 16 k3 same | bn | relu } | relu
    ]);
    const fix = findings.find((f) => f.rule === 'repeat-once')!.fix!;
    expect(fix.end - fix.start).toBe('repeat 1 '.length);
  });
});

describe('a file of blocks only', () => {
  it('checks clean and lints clean: it is a library to import', () => {
    const lib = path.relative(ROOT, path.join(FIXTURES, 'blocks/lib.emo'));
    expect(compile(lib, { checkPackages: false }).diagnostics).toEqual([]);
    expect(lintFile(lib).findings).toEqual([]);
  });
});

describe('stack rules look inside residuals', () => {
  it('a stride over a window and a dropout rate inside blocks, once for every call of the block', () => {
    const text = `block down(f) residual {
  conv $f k1 s2 | bn
}
experiment e {
  data {
    source builtin:faces
    input 48x48x1
  }
  model {
    repeat 2 down 8
    residual { dropout 0.9 | conv 8 k3 same }
    avgpool | fc 7 | softmax
  }
}
`;
    const findings = lintFile('inside.emo', { compile: { text, readFile: () => undefined } }).findings;
    expect(findings.map((f) => [f.rule, f.line, f.column, f.message])).toEqual([
      ['stride-exceeds-kernel', 2, 3, 'conv #1 of a residual strides 2x2 over a 1x1 window: pixels between windows are skipped'],
      ['dropout-range', 11, 16, 'dropout #1 of a residual drops 90% of its inputs'],
    ]);
  });
});
