// Where the queue lives: a redis:// or rediss:// URL from --queue or EMOC_QUEUE. The password may sit in
// the URL or in EMOC_QUEUE_PASSWORD; it is passed to the client as an option and never printed: every
// message shows `redacted(url)`, and a CLI that was given the URL on its command line rewrites its process
// title so `ps` shows the redacted form.

import type { ConnectionOptions } from 'bullmq';
import { UserError } from '../../src/errors.ts';

/** The BullMQ queue every emoc point job goes to; the sweep is a field of each job. */
export const QUEUE_NAME = 'emoc-points';

const HINT = 'pass --queue redis://[user:pass@]host:port[/db] (or rediss:// for TLS), or set EMOC_QUEUE';

/** The queue URL from the flag, else EMOC_QUEUE; a UserError when neither is given or it is malformed. */
export function queueUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = flag ?? env.EMOC_QUEUE;
  if (!url) throw new UserError('no queue given', HINT, 2);
  parse(url);
  return url;
}

function parse(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`not a queue URL: ${redacted(url)}`, HINT, 2);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new UserError(`unsupported queue URL scheme ${u.protocol} in ${redacted(url)}`, HINT, 2);
  if (u.pathname.length > 1 && !/^\/\d+$/.test(u.pathname))
    throw new UserError(`the database in ${redacted(url)} must be a number, e.g. /0`, HINT, 2);
  return u;
}

/** The URL with its password (if any) replaced by ***, for messages and logs. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    // Not a URL: hide anything between "://" and "@", the usual place of credentials.
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** ioredis options for BullMQ: retries forever (maxRetriesPerRequest null) so a Redis restart is ridden out. */
export function connectionOptions(url: string, env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const u = parse(url);
  const password = u.password ? decodeURIComponent(u.password) : env.EMOC_QUEUE_PASSWORD;
  return {
    host: u.hostname || 'localhost',
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: password || undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    // Reconnect every half second at most: a restarted Redis is picked up quickly.
    retryStrategy: (times: number) => Math.min(100 * times, 500),
  };
}

/** Hides a password given on the command line from `ps` (Node rewrites argv's memory for the title). */
export function hideArgvPassword(): void {
  if (!process.argv.some((a) => /rediss?:\/\/[^/@]*:[^/@]+@/.test(a))) return;
  process.title = ['emoc', ...process.argv.slice(2).map((a) => (/^rediss?:/.test(a) ? redacted(a) : a))].join(' ');
}
