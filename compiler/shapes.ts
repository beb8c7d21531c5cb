// Shape and parameter inference through the whole stack, before any tensor exists.
// Shapes exclude the batch dimension; -1 marks a width only known by running the backbone.
// Shape errors are diagnostics on the layer that caused them.

import type { Span } from '../grammar/ast.ts';
import { originOf } from './lower/origin.ts';
import { diagnostic, type Diagnostic } from './diagnostics.ts';
import type { LayerIR, LayerShape, ResidualShortcut, ShapesIR } from './ir.ts';

export const UNKNOWN = -1;

function outSize(size: number, window: number, stride: number, padding: 'same' | 'valid'): number {
  if (size === UNKNOWN) return UNKNOWN;
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1;
}

/** The word the layer was written as, for the length of a diagnostic's span. */
export function sourceWord(layer: LayerIR): string {
  return layer.kind === 'activation' ? layer.fn : layer.kind === 'globalavgpool' ? 'avgpool' : layer.kind;
}

/** Where a layer was written: its name's span, or (an IR read back from JSON) its line and column, as wide as its word. */
export const layerSpan = (layer: LayerIR): Span => {
  const origin = originOf(layer);
  if (origin) return origin.call.nameSpan;
  const line = layer.src?.line ?? 1;
  const column = layer.src?.column ?? 1;
  return {
    start: { offset: 0, line, column },
    end: { offset: 0, line, column: column + sourceWord(layer).length },
  };
};

/** `conv #2`: how a report names a layer (built only when one is reported, not for every layer). */
function layerName(layer: LayerIR, nth: number): string {
  return `${layer.kind} #${nth}`;
}

export function inferShapes(input: number[], layers: LayerIR[], classes: number, file: string, diagnostics: Diagnostic[]): ShapesIR {
  let failed = false;
  // How many layers of each kind so far, for names like 'conv #3' (counted as we go, not per layer).
  const seenOfKind = new Map<string, number>();
  const report = (layer: LayerIR, code: 'E030' | 'E031' | 'E032' | 'E055', message: string, hint: string) => {
    diagnostics.push(diagnostic(code, layer.src?.file ?? file, layerSpan(layer), message, hint));
    failed = true;
  };

  /** Shapes through `stack` from `start`; a residual's body goes through here too, from the residual's input. */
  const through = (stack: LayerIR[], start: number[]): { shapes: LayerShape[]; shape: number[] } => {
    let shape = [...start];
    const out: LayerShape[] = [];
    for (let i = 0; i < stack.length; i++) {
      const layer = stack[i];
      let inner: LayerShape['inner'];
      let shortcutShape: LayerShape['shortcut'];
      const nth = (seenOfKind.get(layer.kind) ?? 0) + 1;
      seenOfKind.set(layer.kind, nth);
      if (failed) {
        out.push({ output: [], params: 0, trainable: 0 });
        continue;
      }
      let params = 0;
      let trainable = 0;
      switch (layer.kind) {
        case 'conv':
        case 'maxpool':
        case 'avgpool': {
          if (shape.length !== 3) {
            report(
              layer,
              'E032',
              `${layerName(layer, nth)} needs a feature map (H x W x C) but gets a vector of ${fmt(shape)}`,
              layer.kind === 'conv' ? 'put convolutions before flatten' : 'pool before flatten',
            );
            break;
          }
          const [h, w, c] = shape;
          const window = layer.kind === 'conv' ? layer.kernel : layer.size;
          const oh = outSize(h, window[0], layer.stride[0], layer.padding);
          const ow = outSize(w, window[1], layer.stride[1], layer.padding);
          if ((oh !== UNKNOWN && oh < 1) || (ow !== UNKNOWN && ow < 1)) {
            report(
              layer,
              'E030',
              `${layerName(layer, nth)} shrinks the ${h}x${w} feature map to nothing`,
              `use a smaller window or stride, 'same' padding, or a larger input`,
            );
            break;
          }
          if (layer.kind === 'conv') {
            params = trainable = window[0] * window[1] * c * layer.filters + (layer.bias ? layer.filters : 0);
            shape = [oh, ow, layer.filters];
          } else shape = [oh, ow, c];
          break;
        }
        case 'globalavgpool':
          if (shape.length !== 3) {
            report(
              layer,
              'E032',
              `${layerName(layer, nth)} (global average pool) needs a feature map but gets a vector`,
              'remove it, or move it before flatten',
            );
            break;
          }
          shape = [shape[2]];
          break;
        case 'flatten':
          shape = [shape.includes(UNKNOWN) ? UNKNOWN : shape.reduce((a, b) => a * b, 1)];
          break;
        case 'fc': {
          if (shape.length !== 1) {
            report(
              layer,
              'E032',
              `${layerName(layer, nth)} needs a flat vector but gets a ${fmt(shape)} feature map`,
              'add flatten (or avgpool) before it',
            );
            break;
          }
          const inWidth = shape[0];
          params = trainable = inWidth === UNKNOWN ? UNKNOWN : inWidth * layer.units + (layer.bias ? layer.units : 0);
          shape = [layer.units];
          break;
        }
        case 'bn': {
          const c = shape.at(-1)!;
          params = c === UNKNOWN ? UNKNOWN : 4 * c;
          trainable = c === UNKNOWN ? UNKNOWN : 2 * c;
          break;
        }
        case 'dropout':
        case 'activation':
        case 'l2norm':
          break;
        case 'residual': {
          const body = through(layer.body, shape);
          if (failed) break;
          const projection = shortcutFor(shape, body.shape);
          if (!projection) {
            report(
              layer,
              'E055',
              `this residual cannot add its input (${fmt(shape)}) to its output (${fmt(body.shape)}): ${unprojectable(shape, body.shape)}`,
              shape.length === 3 && body.shape.length === 3
                ? "keep the size with 'same' padding, or change it only by a whole stride"
                : 'end the body with the width it starts with',
            );
            break;
          }
          layer.shortcut = projection;
          inner = body.shapes;
          const sum = (key: 'params' | 'trainable') =>
            body.shapes.some((l) => l[key] === UNKNOWN) ? UNKNOWN : body.shapes.reduce((a, l) => a + l[key], 0);
          params = sum('params');
          trainable = sum('trainable');
          if (projection.kind === 'projection') {
            // A 1x1 conv without bias, then bn (4 numbers a channel, 2 of them trained).
            const c = shape[2];
            const f = projection.filters;
            const shortcut =
              c === UNKNOWN
                ? {
                    output: [...body.shape],
                    params: UNKNOWN,
                    trainable: UNKNOWN,
                  }
                : {
                    output: [...body.shape],
                    params: c * f + 4 * f,
                    trainable: c * f + 2 * f,
                  };
            shortcutShape = shortcut;
            params = params === UNKNOWN || shortcut.params === UNKNOWN ? UNKNOWN : params + shortcut.params;
            trainable = trainable === UNKNOWN || shortcut.trainable === UNKNOWN ? UNKNOWN : trainable + shortcut.trainable;
          }
          shape = body.shape;
          break;
        }
      }
      const entry: LayerShape = { output: failed ? [] : shape.slice(), params, trainable };
      if (!failed && inner) entry.inner = inner;
      if (!failed && shortcutShape) entry.shortcut = shortcutShape;
      out.push(entry);
    }
    return { shapes: out, shape };
  };

  const { shapes: out, shape } = through(layers, input);

  if (!failed && layers.length > 0) {
    const last = layers.at(-1)!;
    if (shape.length !== 1) {
      report(
        last,
        'E032',
        `the network ends with a ${fmt(shape)} feature map, not one score per class`,
        `end with flatten and fc ${classes}`,
      );
    } else if (shape[0] !== UNKNOWN && shape[0] !== classes) {
      const widthLayer =
        [...layers].reverse().find((l) => l.kind === 'fc' || l.kind === 'conv' || l.kind === 'globalavgpool' || l.kind === 'flatten') ??
        last;
      report(
        widthLayer,
        'E031',
        `the network ends with ${shape[0]} outputs but there are ${classes} classes`,
        `make the last layer fc ${classes}`,
      );
    }
  }

  const sum = (key: 'params' | 'trainable') => (out.some((l) => l[key] === UNKNOWN) ? UNKNOWN : out.reduce((a, l) => a + l[key], 0));
  return {
    input,
    layers: out,
    totalParams: sum('params'),
    trainableParams: sum('trainable'),
  };
}

/**
 * The shortcut that makes a residual's input addable to its output: identity when the shapes match; a 1x1
 * conv (with the stride that gives the output's size, and its channel count) when only those differ; null
 * when no strided 1x1 conv gives the output's shape.
 */
function shortcutFor(input: number[], output: number[]): ResidualShortcut | null {
  if (input.length === output.length && input.every((d, i) => d === output[i])) return { kind: 'identity' };
  if (input.length !== 3 || output.length !== 3) return null;
  const stride = [0, 1].map((i) => strideFor(input[i], output[i]));
  if (stride.some((s) => s === null)) return null;
  return {
    kind: 'projection',
    filters: output[2],
    stride: stride as [number, number],
  };
}

/** The smallest stride s with ceil(size / s) = out (a 1x1 conv's output size, any padding); 1 when unknown. */
function strideFor(size: number, out: number): number | null {
  if (size === UNKNOWN || out === UNKNOWN) return 1;
  for (let s = 1; s <= size; s++) if (Math.ceil(size / s) === out) return s;
  return null;
}

function unprojectable(input: number[], output: number[]): string {
  if (input.length !== output.length) return 'the body changes a feature map into a vector or back';
  if (input.length !== 3) return 'a vector shortcut cannot change its width';
  return `no 1x1 projection with a whole stride turns ${input[0]}x${input[1]} into ${output[0]}x${output[1]}`;
}

export function fmt(shape: number[]): string {
  return shape.map((d) => (d === UNKNOWN ? '?' : String(d))).join('x');
}
