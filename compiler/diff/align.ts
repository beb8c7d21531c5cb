// Aligns two layer stacks as sequences, not lines: the cheapest edit script where keeping an identical
// layer costs 0, changing the fields of a layer of the same kind costs 1, and removing or adding a
// layer costs 1 each (so a change is preferred to removing one layer and adding another). Among equally
// cheap scripts the one that keeps layers earliest wins: S1 -> S2 changes conv #1 and removes the second
// conv block, rather than the first.

import type { LayerIR } from '../ir.ts';
import { sameValue } from './fields.ts';

export type AlignedLayer =
  | { op: 'same'; a: number; b: number }
  | { op: 'changed'; a: number; b: number }
  | { op: 'removed'; a: number }
  | { op: 'added'; b: number };

export function alignLayers(a: readonly LayerIR[], b: readonly LayerIR[]): AlignedLayer[] {
  const n = a.length;
  const m = b.length;
  const pair = (i: number, j: number): number => (sameValue(a[i], b[j]) ? 0 : a[i].kind === b[j].kind ? 1 : Infinity);
  // cost[i][j]: cheapest script turning a[i..] into b[j..].
  const cost = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n; i >= 0; i--) {
    for (let j = m; j >= 0; j--) {
      if (i === n) cost[i][j] = m - j;
      else if (j === m) cost[i][j] = n - i;
      else cost[i][j] = Math.min(pair(i, j) + cost[i + 1][j + 1], 1 + cost[i + 1][j], 1 + cost[i][j + 1]);
    }
  }
  const out: AlignedLayer[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && pair(i, j) + cost[i + 1][j + 1] === cost[i][j]) {
      out.push({ op: pair(i, j) === 0 ? 'same' : 'changed', a: i, b: j });
      i++;
      j++;
    } else if (i < n && 1 + cost[i + 1][j] === cost[i][j]) out.push({ op: 'removed', a: i++ });
    else out.push({ op: 'added', b: j++ });
  }
  return out;
}
