// Entry point for prettier itself: `npx prettier --plugin ./compiler/format/prettier-plugin.mjs --write specs/*.emo`.
// Prettier imports plugins with import(), which cannot load TypeScript; registering tsx first lets the
// plugin run from its .ts sources, as the rest of emoc does (no build step).
import { register } from 'tsx/esm/api';

register();
const plugin = await import('./plugin.ts');

export const { languages, parsers, printers, options, defaultOptions } = plugin;
export default { languages, parsers, printers, options, defaultOptions };
