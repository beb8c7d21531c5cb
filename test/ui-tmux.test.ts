// The dashboard for real: `emoc run` in a tmux terminal draws it, and `q` stops the run cleanly with a
// checkpoint and exit code 130. (CI installs tmux in .ci/run.)

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';

const session = `emoc-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session);

async function waitFor(test: (text: string) => boolean, ms: number): Promise<string> {
  const until = Date.now() + ms;
  let text = '';
  while (Date.now() < until) {
    text = screen();
    if (test(text)) return text;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out; the screen was:\n${text}`);
}

afterAll(() => {
  try {
    tmux('kill-session', '-t', session);
  } catch {
    /* already gone */
  }
});

it('shows the dashboard in a terminal and q ends the run with a checkpoint', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emoc-tmux-'));
  fs.writeFileSync(
    path.join(dir, 'tiny.emo'),
    `experiment tiny {
  data { source builtin:faces; images 70; input 32x32x3 }
  model {
    default activation relu
    conv 8 k3 s2 | bn | maxpool 2
    flatten
    fc 7 | softmax
  }
  train { epochs 500; batch 8 }
}
`,
  );
  const bin = path.resolve('bin/emoc.js');
  // ink draws only a final frame when CI is set, so the terminal run unsets it like a user's shell.
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '100',
    '-y',
    '30',
    `cd ${dir} && env -u CI node ${bin} run tiny.emo --runs runs; echo EXIT=$?; sleep 60`,
  );
  const live = await waitFor((t) => /epoch \d+\/500/.test(t) && t.includes('img/s'), 60_000);
  expect(live).toContain('emoc tiny');
  expect(live).toContain('q or Ctrl-C');
  tmux('send-keys', '-t', session, 'q');
  const end = await waitFor((t) => t.includes('EXIT='), 30_000);
  expect(end).toContain('EXIT=130');
  expect(end).toContain('interrupted');
  const runs = fs.readdirSync(path.join(dir, 'runs', 'tiny'));
  expect(runs).toHaveLength(1);
  const runDir = path.join(dir, 'runs', 'tiny', runs[0]);
  expect(fs.existsSync(path.join(runDir, 'checkpoint', 'state.json'))).toBe(true);
  expect(JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')).status).toBe('interrupted');
}, 120_000);
