// Real parts for the queue tests: a redis-server on a free port in a temporary folder (append-only file
// on, so a restart keeps the queue), and real `bin/emoc.js worker` child processes.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const EMOC = path.join(ROOT, 'bin', 'emoc.js');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitForPort(port: number, up: boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (open === up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis port ${port} did not become ${up ? 'reachable' : 'free'}`);
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
}

/** A redis-server of our own: `requirepass` set when a password is given (to test that it never leaks). */
export async function startRedis(password?: string): Promise<RedisServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-redis-'));
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const server: RedisServer = {
    url: password ? `redis://:${password}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    port,
    dir,
    start: async () => {
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ];
      if (password) args.push('--requirepass', password);
      proc = spawn('redis-server', args, { stdio: 'ignore' });
      await waitForPort(port, true);
    },
    stop: async () => {
      if (!proc) return;
      const p = proc;
      proc = null;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
      await waitForPort(port, false);
    },
  };
  await server.start();
  return server;
}

export interface Child {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `node bin/emoc.js ARGS` as a child process, its stdout and stderr collected. */
export function emoc(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Child {
  const proc = spawn(process.execPath, [EMOC, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, EMOC_DIST: '0', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, output: () => out, exited };
}

/** Runs emoc to the end: exit status and output. */
export function emocSync(
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv },
): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [EMOC, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, EMOC_DIST: '0', ...opts.env },
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** Resolves once `f()` is true (checked every 100 ms); rejects after `ms` with `what`. */
export async function until(f: () => boolean, what: string, ms = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
