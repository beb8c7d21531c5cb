// UnsortedSegmentSum (gradient of Gather): out[s, ...] = sum over i with ids[i] == s of x[i, ...].

import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './heap.ts';
import type { KernelArgs, TI } from './ops.ts';

export function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): TI {
  const { x, segmentIds } = inputs as { x: TI; segmentIds: TI };
  const numSegments = attrs!.numSegments as number;
  const b = backend as WasmBackendLike;
  const ids = b.typedArrayFromHeap(segmentIds);
  const inner = tf.util.sizeFromShape(x.shape.slice(segmentIds.shape.length));
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const xv = b.typedArrayFromHeap(x);
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += xv[src + k]!;
  }
  return b.makeOutput(outShape, x.dtype === 'int32' ? 'int32' : 'float32', null, out);
}
