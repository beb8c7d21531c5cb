// emoc predict RUN IMAGE...: classify images with a finished run's model.

import type { Command } from 'commander';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description("classify images with a finished run's model")
    .argument('<run>', 'run folder, e.g. runs/s1/20261128-101500-ab12')
    .argument('<images...>', 'image files (JPEG, PNG)')
    .option('--json', 'print one JSON object per image')
    .option('--backend <name>', 'tfjs backend (auto, wasm, cpu, ...)', 'auto')
    .option('--cache <dir>', 'feature cache folder (backbone runs)', '.emoc/cache')
    .action(async (run: string, images: string[], opts: { json?: boolean; backend: string; cache: string }) => {
      const { predict } = await import('../../runtime/predict.ts');
      // A run folder that cannot be used throws a typed error; the CLI prints it as one line with a hint.
      const results = await predict(run, images, { backend: opts.backend as never, cacheDir: opts.cache });
      for (const r of results) {
        if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (r.error) process.stderr.write(`emoc: ${r.image}: cannot read: ${r.error}\n`);
        else {
          const top = Object.entries(r.probabilities)
            .sort((a, b) => b[1] - a[1])
            .slice(0, 3);
          process.stdout.write(`${r.image}: ${r.label} (${top.map(([c, p]) => `${c} ${(100 * p).toFixed(1)}%`).join(', ')})\n`);
        }
      }
      // The images that could be read are still classified; the unreadable ones make the exit code 1.
      if (results.some((r) => r.error)) {
        if (!opts.json) process.stderr.write('  hint: pass image files (JPEG or PNG) that exist\n');
        process.exitCode = 1;
      }
    });
}
