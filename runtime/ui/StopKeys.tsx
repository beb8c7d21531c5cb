// `q` or Ctrl-C asks the run to stop. Only listens where stdin can be put in raw mode (a terminal);
// elsewhere ink would throw, and Ctrl-C arrives as SIGINT instead (see mount.tsx).

import { useInput, useStdin } from 'ink';

export function StopKeys({ onStop }: { onStop: () => void }) {
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      if (input === 'q' || input === 'Q' || (key.ctrl && input === 'c')) onStop();
    },
    { isActive: isRawModeSupported === true },
  );
  return null;
}
