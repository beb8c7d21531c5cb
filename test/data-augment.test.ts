import { describe, expect, it } from 'vitest';
import { NotRunnableError } from '../runtime/errors.ts';
import {
  crop,
  mirror,
  networkInputSize,
  planTrainViews,
  tenCropOffsets,
  testViews,
  viewsPerImage,
  writeView,
  type RawImage,
} from '../runtime/data/augment.ts';

// A 4x5 greyscale image whose pixel (r, c) is 10r + c:
//    0  1  2  3  4
//   10 11 12 13 14
//   20 21 22 23 24
//   30 31 32 33 34
const grid: RawImage = {
  height: 4,
  width: 5,
  channels: 1,
  data: Uint8Array.from({ length: 20 }, (_, i) => 10 * Math.floor(i / 5) + (i % 5)),
};

describe('augment geometry (exact pixels)', () => {
  it('crop takes the window at (y, x)', () => {
    expect([...crop(grid, 1, 2, 2, 3).data]).toEqual([12, 13, 14, 22, 23, 24]);
    expect([...crop(grid, 0, 0, 4, 5).data]).toEqual([...grid.data]);
    expect(() => crop(grid, 3, 0, 2, 2)).toThrow(/does not fit/);
  });

  it('mirror reverses columns and keeps the channel order within a pixel', () => {
    expect([...mirror(grid).data.subarray(0, 5)]).toEqual([4, 3, 2, 1, 0]);
    expect([...mirror(grid).data.subarray(15, 20)]).toEqual([34, 33, 32, 31, 30]);
    const rgb: RawImage = { height: 1, width: 2, channels: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    expect([...mirror(rgb).data]).toEqual([4, 5, 6, 1, 2, 3]);
  });

  it('ten-crop 2x3 of the 4x5 grid: 4 corners, centre, then their mirrors', () => {
    const views = tenCropOffsets(4, 5, 2, 3);
    expect(views.map((v) => [v.y, v.x, v.mirror])).toEqual([
      [0, 0, false],
      [0, 2, false],
      [2, 0, false],
      [2, 2, false],
      [1, 1, false],
      [0, 0, true],
      [0, 2, true],
      [2, 0, true],
      [2, 2, true],
      [1, 1, true],
    ]);
    const pixels = views.map((v) => {
      const c = crop(grid, v.y, v.x, 2, 3);
      return [...(v.mirror ? mirror(c) : c).data];
    });
    expect(pixels).toEqual([
      [0, 1, 2, 10, 11, 12], // top-left
      [2, 3, 4, 12, 13, 14], // top-right
      [20, 21, 22, 30, 31, 32], // bottom-left
      [22, 23, 24, 32, 33, 34], // bottom-right
      [11, 12, 13, 21, 22, 23], // centre
      [2, 1, 0, 12, 11, 10],
      [4, 3, 2, 14, 13, 12],
      [22, 21, 20, 32, 31, 30],
      [24, 23, 22, 34, 33, 32],
      [13, 12, 11, 23, 22, 21],
    ]);
  });

  it('the centre rounds down when the slack is odd', () => {
    expect(tenCropOffsets(4, 5, 3, 2)[4]).toEqual({ y: 0, x: 1, mirror: false });
  });

  it('writeView writes exactly crop (+ mirror) as floats, at the offset', () => {
    for (const v of tenCropOffsets(4, 5, 2, 3)) {
      const dst = new Float32Array(8).fill(-1);
      writeView(grid.data, 4, 5, 1, v, 2, 3, dst, 1);
      const c = crop(grid, v.y, v.x, 2, 3);
      expect([...dst]).toEqual([-1, ...(v.mirror ? mirror(c) : c).data, -1]);
    }
    // Colour, mirrored: pixels swap, channels stay in order.
    const rgb = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]); // 1x3x3
    const dst = new Float32Array(6);
    writeView(rgb, 1, 3, 3, { y: 0, x: 1, mirror: true }, 1, 2, dst, 0);
    expect([...dst]).toEqual([7, 8, 9, 4, 5, 6]);
  });
});

describe('view plans', () => {
  it('counts views per image', () => {
    expect(viewsPerImage([])).toBe(1);
    expect(viewsPerImage([{ kind: 'flip' }])).toBe(2);
    expect(viewsPerImage([{ kind: 'tencrop', size: [40, 40] }])).toBe(10);
    expect(viewsPerImage([{ kind: 'flip' }, { kind: 'tencrop', size: [40, 40] }])).toBe(10);
    expect(viewsPerImage([{ kind: 'randomcrop', size: [40, 40] }])).toBe(1);
    expect(viewsPerImage([{ kind: 'flip' }, { kind: 'randomcrop', size: [40, 40] }])).toBe(1);
    expect(() =>
      viewsPerImage([
        { kind: 'randomcrop', size: [40, 40] },
        { kind: 'tencrop', size: [40, 40] },
      ]),
    ).toThrow(/one crop/);
  });

  it('network input: train crop, else test ten-crop, else the decoded size', () => {
    expect(networkInputSize([48, 48, 1], [], { kind: 'none' })).toEqual([48, 48, 1]);
    expect(networkInputSize([48, 48, 1], [{ kind: 'randomcrop', size: [44, 44] }], { kind: 'none' })).toEqual([44, 44, 1]);
    expect(networkInputSize([48, 48, 3], [{ kind: 'flip' }], { kind: 'tencrop', size: [42, 40] })).toEqual([42, 40, 3]);
    expect(() => networkInputSize([48, 48, 1], [{ kind: 'randomcrop', size: [44, 44] }], { kind: 'tencrop', size: [40, 40] })).toThrow(
      /differs/,
    );
    expect(() => networkInputSize([48, 48, 1], [{ kind: 'randomcrop', size: [50, 44] }], { kind: 'none' })).toThrow(/larger/);
    // Combinations the compiler refuses are typed, so the CLI reports them as the user's, not as a bug.
    expect(() => networkInputSize([48, 48, 1], [{ kind: 'randomcrop', size: [50, 44] }], { kind: 'none' })).toThrow(NotRunnableError);
    expect(() =>
      viewsPerImage([
        { kind: 'randomcrop', size: [40, 40] },
        { kind: 'tencrop', size: [40, 40] },
      ]),
    ).toThrow(NotRunnableError);
  });

  it('training uses the centre crop when only the test aug crops', () => {
    const plan = planTrainViews(4, 5, [{ kind: 'flip' }], { kind: 'tencrop', size: [2, 3] });
    expect(plan).toEqual({ crop: 'centre', flip: true, size: [2, 3], perImage: 2 });
  });

  it('test views: ten-crop gives 10, none gives the centre crop', () => {
    expect(testViews(4, 5, 2, 3, { kind: 'tencrop', size: [2, 3] })).toHaveLength(10);
    expect(testViews(4, 5, 2, 3, { kind: 'none' })).toEqual([{ y: 1, x: 1, mirror: false }]);
    expect(testViews(4, 5, 4, 5, { kind: 'none' })).toEqual([{ y: 0, x: 0, mirror: false }]);
  });
});
