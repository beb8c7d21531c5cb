// Builds runtime/backend/wasm/kernels.wasm (imports a plain memory: the single-threaded tfjs wasm
// build) and kernels-shared.wasm (imports a shared memory: the threaded build) from
// runtime/backend/wasm/assembly/kernels.ts with AssemblyScript (a devDependency; users get the
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
const VARIANTS: Record<string, string[]> = {
  'kernels.wasm': [],
  // 65536 pages (4 GiB) is the largest maximum, so any shared memory the backend made can be imported.
  'kernels-shared.wasm': ['--enable', 'threads', '--sharedMemory', '--maximumMemory', '65536'],
};

/** Compiles both variants into `outDir`; returns the files written. */
export async function buildWasmKernels(outDir = KERNELS_DIR): Promise<string[]> {
  const asc = await import('assemblyscript/asc');
  const written: string[] = [];
  for (const [file, extra] of Object.entries(VARIANTS)) {
    const out = path.join(outDir, file);
    const stderr: string[] = [];
    const { error } = await asc.main([path.relative(ROOT, KERNELS_SOURCE), ...COMMON, ...extra, '-o', out], {
      stderr: { write: (s: string | Uint8Array) => (stderr.push(String(s)), true) } as never,
      readFile: (name: string, baseDir: string) => {
        try {
          return fs.readFileSync(path.resolve(ROOT, baseDir, name), 'utf8');
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
