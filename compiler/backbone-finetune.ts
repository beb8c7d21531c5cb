// A spec's backbone as a trainable graph, seen by the compiler: finds its model.json (the registry's package
// or the user's path), and analyses it (compiler/backbone-graph.ts) at the spec's input for its taps. `check`
// (E034, E038), `explain` (blocks, trainable and frozen parameters, MFLOPs per image) and the runtime (which
// weights become variables) all read this one analysis. Tensor-free.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyseGraph, GraphModelError, paramsFor, readGraphConsts, type FinetuneParams, type GraphAnalysis } from './backbone-graph.ts';
import { BACKBONES, type BackboneSpec } from './backbones.ts';
import type { BackboneIR } from './ir.ts';
import { packageDir } from './packages.ts';
import type { ReadFile } from './resolve.ts';

/** The graph nodes a backbone's taps read (an l2norm tap reads the tap it normalises; a raw name is a node). */
export function tapNodes(spec: BackboneSpec | undefined, taps: readonly string[]): string[] {
  const nodes = new Set<string>();
  const visit = (name: string): void => {
    const t = spec?.taps[name];
    if (!t) nodes.add(name);
    else if (t.op === 'l2norm' && t.of) visit(t.of);
    else nodes.add(t.node);
  };
  const expanded = taps.flatMap((t) => (t === 'concat' && spec ? spec.concat : [t]));
  expanded.forEach(visit);
  return [...nodes];
}

/** Where the backbone's model.json is, or null when it cannot be found (E022 or the runtime says why). */
export function backboneModelPath(bb: Pick<BackboneIR, 'name' | 'weights'>, specFile: string): string | null {
  if (bb.weights !== null) {
    const p = path.resolve(path.dirname(specFile), bb.weights);
    // A converter's output folder holds model.json.
    return p.endsWith('.json') ? p : path.join(p, 'model.json');
  }
  const spec = BACKBONES[bb.name];
  const dir = spec ? packageDir(spec.package) : null;
  return spec && dir ? path.join(dir, spec.file) : null;
}

export type BackboneAnalysis = { ok: true; path: string; analysis: GraphAnalysis } | { ok: false; path: string | null; reason: string };

const memo = new Map<string, BackboneAnalysis>();

/** The analysis of the backbone at its IR input and taps; memoised per file, input and taps (sweeps ask often). */
export function analyseBackbone(bb: BackboneIR, specFile: string, readFile: ReadFile = readText): BackboneAnalysis {
  const file = backboneModelPath(bb, specFile);
  if (!file) return { ok: false, path: null, reason: `backbone '${bb.name}' is not installed` };
  return analyseModelFile(bb, file, readFile);
}

/** The same, for a model file already located (the runtime resolves registry packages its own way). */
export function analyseModelFile(bb: BackboneIR, file: string, readFile: ReadFile = readText): BackboneAnalysis {
  const key = JSON.stringify([file, bb.input, bb.taps, bb.name]);
  const known = memo.get(key);
  if (known) return known;
  const result = analyse(bb, file, readFile);
  memo.set(key, result);
  return result;
}

function analyse(bb: BackboneIR, file: string, readFile: ReadFile): BackboneAnalysis {
  const text = readFile(file);
  if (text === undefined) return { ok: false, path: file, reason: `cannot read ${file}` };
  const spec = BACKBONES[bb.name];
  try {
    const analysis = analyseGraph(text, {
      input: bb.input,
      outputs: tapNodes(bb.weights === null ? spec : undefined, bb.taps),
      blockRule: bb.weights === null ? spec?.blocks : undefined,
      consts: readGraphConsts(file, text),
    });
    return { ok: true, path: file, analysis };
  } catch (e) {
    if (e instanceof GraphModelError) return { ok: false, path: file, reason: e.message };
    throw e;
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** What `finetune N` trains of an analysed backbone (N clamped to its blocks; 0 when frozen). */
export function finetunePlan(bb: BackboneIR, analysis: GraphAnalysis): FinetuneParams {
  const n = bb.frozen ? 0 : Math.min(bb.finetune, analysis.blocks.length);
  return paramsFor(analysis, n);
}
