// Builds runtime/backend/wasm/kernels.wasm (imports a plain memory: the single-threaded tfjs wasm
// build) and kernels-shared.wasm (imports a shared memory: the threaded build), and the same two with
// fused multiply-adds (kernels-fma*.wasm, relaxed SIMD) from runtime/backend/wasm/assembly/kernels.ts with AssemblyScript (a devDependency; users get the
// committed binaries). test/wasm-simd-kernels.test.ts rebuilds them and fails when they are stale.
//
//   npx tsx scripts/build-wasm-kernels.ts [--out DIR]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const KERNELS_SOURCE = path.join(ROOT, 'runtime/backend/wasm/assembly/kernels.ts');
export const KERNELS_DIR = path.join(ROOT, 'runtime/backend/wasm');

const COMMON = ['--enable', 'simd', '-O3', '--noAssert', '--runtime', 'stub', '--importMemory', '--noExportMemory', '--use', 'abort='];
// 65536 pages (4 GiB) is the largest maximum, so any shared memory the backend made can be imported.
const SHARED = ['--enable', 'threads', '--sharedMemory', '--maximumMemory', '65536'];
const RELAXED = ['--enable', 'relaxed-simd'];
/** The line of assembly/kernels.ts that the fused-multiply-add variants replace. */
const MADD_LINE = 'return f32x4.add(c, f32x4.mul(a, b)); // MADD';
const FMA = (src: string) => {
  if (!src.includes(MADD_LINE)) throw new Error(`assembly/kernels.ts no longer has the line '${MADD_LINE}'`);
  return src.replace(MADD_LINE, 'return f32x4.relaxed_madd(a, b, c);');
};
const VARIANTS: Record<string, { flags: string[]; source?: (src: string) => string }> = {
  'kernels.wasm': { flags: [] },
  'kernels-shared.wasm': { flags: SHARED },
  // Relaxed SIMD's multiply-add (one FMA instruction where the CPU has it): Node 22+, or Node 20
  // with --experimental-wasm-relaxed-simd. simd-kernels.ts checks that the engine accepts them.
  'kernels-fma.wasm': { flags: RELAXED, source: FMA },
  'kernels-fma-shared.wasm': { flags: [...RELAXED, ...SHARED], source: FMA },
};

/** Compiles both variants into `outDir`; returns the files written. */
export async function buildWasmKernels(outDir = KERNELS_DIR): Promise<string[]> {
  const asc = await import('assemblyscript/asc');
  const written: string[] = [];
  for (const [file, variant] of Object.entries(VARIANTS)) {
    const out = path.join(outDir, file);
    const stderr: string[] = [];
    const { error } = await asc.main([path.relative(ROOT, KERNELS_SOURCE), ...COMMON, ...variant.flags, '-o', out], {
      stderr: { write: (s: string | Uint8Array) => (stderr.push(String(s)), true) } as never,
      readFile: (name: string, baseDir: string) => {
        const file = path.resolve(ROOT, baseDir, name);
        try {
          const text = fs.readFileSync(file, 'utf8');
          return file === KERNELS_SOURCE && variant.source ? variant.source(text) : text;
        } catch {
          return null;
        }
      },
      writeFile: (name: string, contents: Uint8Array | string, baseDir: string) => {
        const target = path.resolve(ROOT, baseDir, name);
        const tmp = `${target}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, contents);
        fs.renameSync(tmp, target);
      },
    });
    if (error) throw new Error(`asc failed for ${file}: ${error.message}\n${stderr.join('')}`);
    written.push(out);
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const i = process.argv.indexOf('--out');
  const outDir = i > 0 ? path.resolve(process.argv[i + 1]!) : KERNELS_DIR;
  fs.mkdirSync(outDir, { recursive: true });
  for (const f of await buildWasmKernels(outDir)) console.log(`wrote ${path.relative(process.cwd(), f)} (${fs.statSync(f).size} bytes)`);
}
