#!/usr/bin/env node
// Entry point: registers tsx so the TypeScript sources run as they are (no build step to forget).
// The project's tsconfig is named explicitly: run from another folder, tsx would not find it and the
// dashboard's JSX would compile with the wrong runtime.
import { fileURLToPath } from 'node:url';
process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('../tsconfig.json', import.meta.url));
const { register } = await import('tsx/esm/api');
register();
await import('../src/cli.ts');
