// NO_COLOR reaches the frames: chalk (under ink) ignores NO_COLOR, so the dashboard drops colours
// itself. Colour is forced on for this file (separate process under vitest's forks pool) so the
// difference is visible; ink is imported only after that.

import { describe, expect, it } from 'vitest';
import { loadEvents } from './ui-helpers.ts';

process.env.FORCE_COLOR = '1';
const { render } = await import('ink-testing-library');
const { Dashboard } = await import('../runtime/ui/Dashboard.tsx');
const { replay } = await import('../runtime/ui/state.ts');
const { colorEnabled } = await import('../runtime/ui/theme.ts');

const COLOR = /\u001b\[3\dm/; // a foreground colour escape
const state = replay(loadEvents('run-finished.jsonl'));

describe('NO_COLOR in rendered frames', () => {
  it('has colour by default', () => {
    const { lastFrame, unmount } = render(<Dashboard state={state} width={80} height={24} color={colorEnabled({})} />);
    expect(lastFrame()).toMatch(COLOR);
    unmount();
  });

  it('has no colour under NO_COLOR (bold may stay)', () => {
    const { lastFrame, unmount } = render(<Dashboard state={state} width={80} height={24} color={colorEnabled({ NO_COLOR: '1' })} />);
    expect(lastFrame()).not.toMatch(COLOR);
    expect(lastFrame()).toContain('■ finished');
    unmount();
  });
});
