// The compiled CLI (scripts/build.mjs -> dist/, what `npm install` makes) against the sources through tsx:
// same output, and bin/emoc.js notices a changed source and leaves the stale build alone. The build runs
// in a copy of the project in a temp folder, so the repository's own dist/ is never touched.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const COPIED = ['bin', 'scripts', 'grammar', 'compiler', 'runtime', 'src', 'package.json', 'tsconfig.json'];
let dir: string;

function emoc(args: string[], distMode: '0' | '1' | undefined) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  if (distMode) env.EMOC_DIST = distMode;
  else delete env.EMOC_DIST;
  const r = spawnSync(process.execPath, [path.join(dir, 'bin/emoc.js'), ...args], { cwd: dir, encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-build-'));
  for (const p of COPIED) fs.cpSync(path.join(ROOT, p), path.join(dir, p), { recursive: true });
  fs.mkdirSync(path.join(dir, 'specs'));
  fs.copyFileSync(path.join(ROOT, 'specs/s1.emo'), path.join(dir, 'specs/s1.emo'));
  // Syntax errors and an unknown layer: the parser's error recovery, which the build's grammar must keep.
  fs.writeFileSync(
    path.join(dir, 'specs/broken.emo'),
    'experiment x {\n  data { source builtin:faces\n  model { conv 8 k3 | bogus 3; fc }\n  train { epochs }\n}\n',
  );
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const r = spawnSync(process.execPath, [path.join(dir, 'scripts/build.mjs')], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the built CLI (dist/)', () => {
  it('holds compiled JavaScript, the wasm kernels and worker scripts where the code looks for them, and the IR validator', () => {
    for (const f of [
      'emoc.cjs',
      'ir-validator.cjs',
      'runtime/ui/mount.js',
      'runtime/backend/wasm/kernels.wasm',
      'runtime/backend/wasm/kernel-worker.mjs',
      'runtime/data/prefetch-worker.js',
    ]) {
      expect(fs.existsSync(path.join(dir, 'dist', f)), f).toBe(true);
    }
    expect(fs.readdirSync(path.join(dir, 'dist'), { recursive: true }).filter((f) => /\.tsx?$/.test(String(f)))).toEqual([]);
  });

  it.each([
    [['--version']],
    [['check', 'specs/s1.emo', 'specs/broken.emo', 'specs/missing.emo']],
    [['compile', 'specs/s1.emo']],
    // The runtime (one file per module in dist/) throws a typed error that the front end (the bundle) must
    // recognise as the user's mistake (exit 1), not as a bug (70): both use one instance of its class.
    [['report', 'no-such-run']],
  ])('%j prints the same as the sources', (args) => {
    const built = emoc(args, '1');
    const sources = emoc(args, '0');
    expect(built.err).not.toContain('EMOC_DIST=1');
    expect(built).toEqual(sources);
  });

  it('runs the same from a V8 code cache, and a corrupted cache is ignored and made again', () => {
    const cacheDir = path.join(dir, '.emoc/cache/code');
    fs.rmSync(cacheDir, { recursive: true, force: true });
    const args = ['check', 'specs/s1.emo', 'specs/broken.emo'];
    const first = emoc(args, '1');
    expect(first.code).toBe(1);
    const made = fs.readdirSync(cacheDir).filter((f) => f.endsWith('-check.v8'));
    expect(made).toHaveLength(1);
    const file = path.join(cacheDir, made[0]!);
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBeGreaterThan(1000);
    expect(emoc(args, '1')).toEqual(first);
    // Same length, other bytes: V8 rejects the data (its checksum), the run compiles afresh and rewrites it.
    fs.writeFileSync(file, Buffer.alloc(bytes.length, 7));
    expect(emoc(args, '1')).toEqual(first);
    expect(fs.readFileSync(file).equals(Buffer.alloc(bytes.length, 7))).toBe(false);
    // A cache that cannot be written changes nothing either.
    fs.rmSync(cacheDir, { recursive: true, force: true });
    fs.writeFileSync(cacheDir, 'a file where the folder would go');
    expect(emoc(args, '1')).toEqual(first);
    fs.rmSync(cacheDir);
  });

  // compile validates the IR: with the generated validator, not by compiling the schema with ajv.
  it.each([[['--version']], [['--help']], [['check', 'specs/s1.emo']], [['compile', 'specs/s1.emo']]])(
    '%j loads none of the heavy libraries (TensorFlow.js, ink, vega, sharp, prettier, playwright, ajv)',
    (args) => {
      // A module-resolution hook records every ES module the process loads, a wrapped Module._load every
      // require() (the front end is CommonJS).
      const log = path.join(dir, `loaded-${args.join('-').replace(/[^\w-]/g, '_')}.txt`);
      fs.writeFileSync(
        path.join(dir, 'hooks.mjs'),
        `import fs from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); fs.appendFileSync(process.env.LOADED_LOG, r.url + '\\n'); return r; }\n`,
      );
      fs.writeFileSync(
        path.join(dir, 'record.mjs'),
        [
          `import fs from 'node:fs';`,
          `import Module, { register } from 'node:module';`,
          `register('./hooks.mjs', import.meta.url);`,
          `const load = Module._load;`,
          `Module._load = function (request, parent, isMain) {`,
          `  const r = load.call(this, request, parent, isMain);`,
          `  if (!request.startsWith('node:')) fs.appendFileSync(process.env.LOADED_LOG, Module._resolveFilename(request, parent, isMain) + '\\n');`,
          `  return r;`,
          `};`,
          ``,
        ].join('\n'),
      );
      const r = spawnSync(process.execPath, ['--import', path.join(dir, 'record.mjs'), path.join(dir, 'bin/emoc.js'), ...args], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, EMOC_DIST: '1', LOADED_LOG: log },
      });
      expect(r.status).toBe(0);
      const loaded = fs.readFileSync(log, 'utf8').split('\n');
      // The build ran (its loader), not the sources through tsx.
      expect(loaded.some((u) => u.includes('/scripts/code-cache.cjs'))).toBe(true);
      expect(loaded.filter((u) => u.includes('/src/cli.ts') || u.includes('/node_modules/tsx/'))).toEqual([]);
      const heavy = /\/node_modules\/(@tensorflow\/|ink\/|react\/|vega|sharp\/|prettier\/|playwright|ajv\/)/;
      expect(loaded.filter((u) => heavy.test(u))).toEqual([]);
    },
  );

  it('validates the IR with the generated validator: a schema violation is caught as from the sources', async () => {
    const { validateIR } = (await import(path.join(dir, 'dist/compiler/schema.js'))) as typeof import('../compiler/schema.ts');
    const fromSources = await import('../compiler/schema.ts');
    const ir = JSON.parse(emoc(['compile', 'specs/s1.emo'], '1').out);
    expect(validateIR(ir)).toBeNull();
    const broken = { ...ir, layers: [{ kind: 'conv', filters: 0 }] };
    expect(validateIR(broken)).toMatch(/^ir\/layers\/0/);
    expect(validateIR(broken)).toBe(fromSources.validateIR(broken));
  });

  it('is used only while it matches the sources: an edit falls back to the sources, a touch without a change does not', () => {
    expect(spawnSync(process.execPath, [path.join(dir, 'scripts/build.mjs'), '--check']).status).toBe(0);
    const cli = path.join(dir, 'src/cli.ts');
    const text = fs.readFileSync(cli, 'utf8');
    fs.utimesSync(cli, new Date(), new Date(Date.now() + 5000));
    expect(emoc(['--version'], '1')).toMatchObject({ code: 0, out: '0.1.0\n' });

    fs.writeFileSync(cli, `${text}\nprocess.stderr.write('edited\\n');\n`);
    const stale = emoc(['--version'], '1');
    expect(stale.code).toBe(2);
    expect(stale.err).toContain('src/cli.ts changed');
    expect(emoc(['--version'], undefined)).toMatchObject({ code: 0, out: '0.1.0\n', err: 'edited\n' });
    expect(spawnSync(process.execPath, [path.join(dir, 'scripts/build.mjs'), '--check']).status).toBe(1);
  });
});
