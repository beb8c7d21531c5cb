// Tile (used by the batch-norm gradient to broadcast [1,1,1,C] to the activation shape). The stock
// kernel is a slow loop; tile(x, reps) is a broadcasting add of zeros[r0,1,r1,1,...] and
// x[1,d0,1,d1,...] (dims of size 1 dropped and neighbours merged, to stay within XNNPACK's rank).

import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './heap.ts';
import { Ops, stockKernel, type KernelArgs, type TI } from './ops.ts';

export function tile(args: KernelArgs): TI {
  const { x } = args.inputs as { x: TI };
  const reps = args.attrs!.reps as number[];
  if (x.dtype !== 'float32' || reps.length !== x.shape.length) return stockKernel('Tile')(args) as TI;
  // Interleaved dims: side 0 = repetition (zeros operand), side 1 = data (x operand).
  const dims: Array<{ size: number; side: 0 | 1 }> = [];
  x.shape.forEach((d, i) => {
    for (const e of [
      { size: reps[i]!, side: 0 as const },
      { size: d, side: 1 as const },
    ]) {
      if (e.size === 1) continue;
      const prev = dims[dims.length - 1];
      if (prev && prev.side === e.side) prev.size *= e.size;
      else dims.push({ ...e });
    }
  });
  if (dims.length > 4 || dims.length === 0) return stockKernel('Tile')(args) as TI;
  const o = new Ops(args.backend as WasmBackendLike);
  const zerosShape = dims.map((d) => (d.side === 0 ? d.size : 1));
  const xShape = dims.map((d) => (d.side === 1 ? d.size : 1));
  const sum = o.run('Add', { a: o.zeros(zerosShape), b: o.reshape(x, xShape) });
  return o.finish(
    o.reshape(
      sum,
      x.shape.map((d, i) => d * reps[i]!),
    ),
  );
}
