// Identity: the stock kernel copies the data; tensors are immutable (a variable's assign swaps its
// data rather than writing into it), so sharing the buffer with a reference of its own is enough,
// as the stock Reshape and the cpu backend's Identity do.

import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './heap.ts';
import type { KernelArgs, TI } from './ops.ts';

export function identity({ inputs, backend }: KernelArgs): TI {
  const { x } = inputs as { x: TI };
  (backend as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}
