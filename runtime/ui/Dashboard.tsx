// The ink view: a pure function of DashboardState and the terminal's size.

import { Box, Text, useStdout } from 'ink';
import type { DashboardState } from './state.ts';
import { layout } from './layout.ts';
import type { Line } from './line.ts';
import { TONE_COLORS, colorEnabled } from './theme.ts';

export interface DashboardProps {
  state: DashboardState;
  /** Override the terminal size (tests; otherwise stdout's columns and rows, 80x24 when unknown). */
  width?: number;
  height?: number;
  /** Override the NO_COLOR decision. */
  color?: boolean;
}

export function Dashboard({ state, width, height, color }: DashboardProps) {
  const { stdout } = useStdout();
  const useColor = color ?? colorEnabled();
  const lines = layout(state, {
    width: width ?? stdout?.columns ?? 80,
    height: height ?? stdout?.rows ?? 24,
    color: useColor,
  });
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <LineView key={i} line={line} color={useColor} />
      ))}
    </Box>
  );
}

function LineView({ line, color }: { line: Line; color: boolean }) {
  if (line.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {line.map((s, i) => (
        <Text key={i} color={color && s.tone ? TONE_COLORS[s.tone] : undefined} bold={s.bold}>
          {s.text}
        </Text>
      ))}
    </Text>
  );
}
