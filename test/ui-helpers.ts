// Shared by the dashboard tests: recorded event streams and fake terminal streams.

import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../runtime/events.ts';

export function loadEvents(name: string): RunEvent[] {
  const text = readFileSync(join(import.meta.dirname, 'fixtures', 'events', name), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as RunEvent);
}

export const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

export function frameLines(frame: string | undefined): string[] {
  return stripAnsi(frame ?? '').split('\n');
}

/** A terminal-sized stdout that records what ink writes. */
export class FakeStdout extends EventEmitter {
  isTTY = true;
  writes: string[] = [];
  constructor(
    public columns = 80,
    public rows = 24,
  ) {
    super();
  }
  write = (data: string) => {
    this.writes.push(data);
    return true;
  };
}

/** A raw-mode-capable stdin the test can type into (the shape ink reads: 'readable' + read()). */
export class FakeStdin extends EventEmitter {
  isTTY = true;
  private pending: string[] = [];
  type(data: string) {
    this.pending.push(data);
    this.emit('readable');
  }
  read = () => this.pending.shift() ?? null;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}
