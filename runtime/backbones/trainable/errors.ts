// The one typed error of the trainable graph runtime: a graph model emoc cannot run as a trainable
// network (an op outside compiler/graph-ops.ts, an attribute value emoc does not implement, such as
// NCHW data), with the op and the node named so the message can point at the exact place.

import { EmocRuntimeError } from '../../errors.ts';

export class UntrainableGraphError extends EmocRuntimeError {
  readonly kind = 'not-runnable';
  constructor(
    message: string,
    where: string,
    hint: string,
    /** The graph op that cannot be run trainably (e.g. 'Erf'). */
    readonly op: string,
    /** The graph node that uses it. */
    readonly node: string,
  ) {
    super(message, where, hint);
  }
}
