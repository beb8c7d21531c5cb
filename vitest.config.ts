import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Test files run in parallel, one per core: one wasm thread each keeps them from competing.
    env: { EMOC_WASM_THREADS: '1' },
  },
});
