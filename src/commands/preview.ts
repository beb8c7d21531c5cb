// emoc preview FILE[#point]: a contact sheet PNG of augmented training views, to see what the augment
// section does before training (runtime/preview.ts draws them exactly as training does).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { selectPoints } from '../select.ts';
import { positiveInt } from './run.ts';

/** More tiles than this make a sheet too large to look at (and slow to draw). */
const MAX_TILES = 256;

interface PreviewFlags {
  out?: string;
  n: number;
  cache: string;
}

export function registerPreview(program: Command): void {
  program
    .command('preview')
    .description('write a contact sheet PNG of augmented training images (what the augment section does)')
    .argument('<file>', '.emo spec; FILE#point picks one experiment or sweep point')
    .option('--out <file.png>', 'where the PNG goes (default: EXPERIMENT-augment.png in the current folder)')
    .option('--n <count>', `images in the sheet (1..${MAX_TILES})`, positiveInt, 32)
    .option('--cache <dir>', 'decoded data cache folder', '.emoc/cache')
    .addHelpText(
      'after',
      '\nThe images are the first training views of epoch 1 in batch order, drawn from the run seed exactly as\n' +
        '`emoc run` draws them, over at most N images of each class; the class name is under each image.',
    )
    .action(async (file: string, flags: PreviewFlags) => {
      if (flags.n > MAX_TILES) throw new UserError(`--n ${flags.n} is more than ${MAX_TILES} images`, `use --n ${MAX_TILES} or fewer`, 2);
      if (!fs.existsSync(file.replace(/#.*$/, '')))
        throw new UserError(`${file.replace(/#.*$/, '')}: no such spec file`, 'pass the path of a .emo file', 1);
      const { compileOrExit } = await import('../compile-or-exit.ts');
      const experiments = selectPoints(compileOrExit(file).experiments, file);
      if (experiments.length > 1) {
        const names = experiments.map((e) => e.sweep?.point ?? e.name);
        throw new UserError(
          `${file} has ${experiments.length} experiments; preview shows one`,
          `pick one: emoc preview ${file}#${names[0]} (choices: ${names.join(', ')})`,
          2,
        );
      }
      const ir = experiments[0];
      const out = flags.out ?? `${ir.name.replace(/[^\w.-]+/g, '_')}-augment.png`;
      if (path.extname(out).toLowerCase() !== '.png')
        throw new UserError(`--out ${out}: the contact sheet is a PNG`, 'give a file name ending in .png', 2);
      const dir = path.dirname(path.resolve(out));
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
        throw new UserError(`--out ${out}: folder ${dir} does not exist`, 'create the folder first, or write the PNG elsewhere', 1);
      const { previewSpec } = await import('../../runtime/preview.ts');
      const sheet = await previewSpec(ir, out, { n: flags.n, cacheDir: flags.cache, limitPerClass: flags.n });
      process.stdout.write(`wrote ${out}: ${sheet.count} augmented training images of ${ir.name}, ${sheet.width}x${sheet.height}\n`);
    });
}
