import { describe, expect, it } from 'vitest';
import { pixelTable, preprocess, preprocessInPlace } from '../runtime/data/preprocess.ts';

describe('preprocess', () => {
  const px = Uint8Array.from([0, 64, 128, 255]);

  it('none keeps raw 0..255 values', () => {
    expect([...preprocess(px, 'none')]).toEqual([0, 64, 128, 255]);
  });

  it('fixed is (x - 127.5) / 128', () => {
    const out = preprocess(px, 'fixed');
    const want = [-127.5 / 128, -63.5 / 128, 0.5 / 128, 127.5 / 128];
    want.forEach((w, i) => expect(out[i]).toBeCloseTo(w, 6));
  });

  it('whiten is per-image (x - mean) / std', () => {
    // mean 111.75; deviations -111.75, -47.75, 16.25, 143.25; variance = sum(d^2)/4
    const mean = 111.75;
    const std = Math.sqrt((111.75 ** 2 + 47.75 ** 2 + 16.25 ** 2 + 143.25 ** 2) / 4);
    const out = preprocess(px, 'whiten');
    [0, 64, 128, 255].forEach((x, i) => expect(out[i]).toBeCloseTo((x - mean) / std, 5));
    const m = out.reduce((a, b) => a + b, 0) / 4;
    expect(m).toBeCloseTo(0, 5);
  });

  it('whiten floors the std at 1/sqrt(N), so a flat image stays finite (zeros)', () => {
    const out = preprocess(new Uint8Array(9).fill(200), 'whiten');
    expect([...out]).toEqual(new Array(9).fill(0));
    // std of {10, 11, 10, 11} is 0.5, equal to the floor 1/sqrt(4): values become (x - 10.5) / 0.5 = -1, 1
    const out2 = preprocess(Uint8Array.from([10, 11, 10, 11]), 'whiten');
    expect(out2[0]).toBeCloseTo(-1, 6);
    expect(out2[1]).toBeCloseTo(1, 6);
  });

  it('preprocessInPlace touches only its range (one view inside a batch)', () => {
    const buf = Float32Array.from([1, 2, 255, 0, 7]);
    preprocessInPlace(buf, 2, 2, 'fixed');
    expect(buf[0]).toBe(1);
    expect(buf[1]).toBe(2);
    expect(buf[2]).toBeCloseTo(127.5 / 128, 6);
    expect(buf[3]).toBeCloseTo(-127.5 / 128, 6);
    expect(buf[4]).toBe(7);
  });

  it('whiten uses the floor when the std is below it', () => {
    // N = 100 values, std of {0 x 99, 1 x 1} = sqrt(0.0099) ~ 0.0995 < 1/sqrt(100) = 0.1
    const px100 = new Uint8Array(100);
    px100[0] = 1;
    const out = preprocess(px100, 'whiten');
    expect(out[0]).toBeCloseTo((1 - 0.01) / 0.1, 4);
    expect(out[1]).toBeCloseTo((0 - 0.01) / 0.1, 4);
  });
  it('pixelTable gives, for every byte, exactly what preprocessInPlace gives (the batch builder copies through it)', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, b) => b);
    for (const mode of ['none', 'fixed'] as const) {
      const table = pixelTable(mode)!;
      const expected = preprocess(bytes, mode);
      expect(Buffer.compare(Buffer.from(table.buffer), Buffer.from(expected.buffer)), mode).toBe(0);
    }
    expect(pixelTable('fixed')![0]).toBeCloseTo(-127.5 / 128, 7);
    expect(pixelTable('whiten')).toBeNull();
  });
});
