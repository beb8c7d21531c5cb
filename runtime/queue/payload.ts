// What one queued sweep point carries: everything a worker needs without the spec's folder (the compiled,
// self-contained IR, the spec text), where the data is and its fingerprint, and the versions it was
// compiled by. The job id is a hash of the parts that decide the result, so submitting the same spec twice
// adds no job: BullMQ keeps one job per id.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IR_VERSION, type ExperimentIR } from '../../compiler/ir.ts';
import { validateIR } from '../../compiler/schema.ts';
import { emocVersion, packageRoot as root } from '../version.ts';

export const PAYLOAD_KIND = 'emoc-point';

export interface PointPayload {
  kind: typeof PAYLOAD_KIND;
  emocVersion: string;
  irVersion: number;
  /** Which emoc sources and wasm kernels compiled the IR: a worker runs only jobs of its own build, since
   * "the same numbers as a local run" holds only for the same code and kernel build. */
  build: string;
  /** The sweep this point belongs to (hash of every point's id), for status, cancel and results. */
  sweep: string;
  /** The sweep's (or experiment's) name and this point's label. */
  name: string;
  point: string;
  index: number;
  ir: ExperimentIR;
  specText: string;
  data: { location: string; fingerprint: string };
}

export { emocVersion };

let buildCache: string | null = null;
/** A short hash of the compiler's and runtime's sources and wasm kernels: two machines with the same id run the
 * same code. */
export function emocBuild(): string {
  if (buildCache) return buildCache;
  const h = createHash('sha256');
  const visit = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (/\.(ts|tsx|js|mjs|wasm)$/.test(e.name)) h.update(path.relative(root, p)).update(fs.readFileSync(p));
    }
  };
  for (const d of ['compiler', 'runtime']) if (fs.existsSync(path.join(root, d))) visit(path.join(root, d));
  buildCache = h.digest('hex').slice(0, 12);
  return buildCache;
}

/** The job id: the parts that decide the point's numbers (not the build id, not the sweep id). */
export function pointJobId(p: Pick<PointPayload, 'ir' | 'specText' | 'data' | 'emocVersion' | 'irVersion'>): string {
  const { file: _file, ...ir } = p.ir;
  return createHash('sha256')
    .update(JSON.stringify([p.emocVersion, p.irVersion, ir, p.specText, p.data.fingerprint]))
    .digest('hex')
    .slice(0, 32);
}

/** The sweep id: a hash of its points' job ids, so the same spec gives the same sweep. */
export function sweepId(jobIds: readonly string[]): string {
  return createHash('sha256').update(jobIds.join('\n')).digest('hex').slice(0, 12);
}

/** Why a job's data cannot be run by this worker, or null when it can. Checked before anything runs. */
export function payloadProblem(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return 'the job payload is not an object';
  const p = raw as Partial<PointPayload>;
  if (p.kind !== PAYLOAD_KIND) return `the job payload is not an emoc point (kind ${JSON.stringify(p.kind)})`;
  if (p.emocVersion !== emocVersion()) return `the job was compiled by emoc ${String(p.emocVersion)}, this worker is emoc ${emocVersion()}`;
  if (p.build !== emocBuild()) {
    return `the job was compiled by emoc build ${String(p.build)}, this worker runs build ${emocBuild()} (same version, other sources or kernels): run the worker from the submitter's checkout`;
  }
  if (p.irVersion !== IR_VERSION) return `the job's IR version is ${String(p.irVersion)}, this worker runs IR version ${IR_VERSION}`;
  for (const k of ['sweep', 'name', 'point', 'specText'] as const) if (typeof p[k] !== 'string') return `the job payload has no ${k}`;
  if (typeof p.data?.location !== 'string' || typeof p.data?.fingerprint !== 'string')
    return 'the job payload has no data location and fingerprint';
  const invalid = validateIR(p.ir);
  if (invalid) return `the job's IR is not valid: ${invalid}`;
  return null;
}
