// emoc run SPEC --queue URL: the points are compiled here (a spec with errors never reaches the queue),
// enqueued one job each, then followed until every point ended (or, with --detach, left to the workers).

import type { ExperimentIR } from '../compiler/ir.ts';
import type { RunFlags } from './commands/run.ts';
import { UserError } from './errors.ts';

export async function runQueued(experiments: ExperimentIR[], specText: string, flags: RunFlags): Promise<number> {
  const { queueUrl, redacted, hideArgvPassword } = await import('../runtime/queue/connection.ts');
  hideArgvPassword();
  if (flags.resume)
    throw new UserError('--resume and --queue cannot be combined', 'a queued point resumes on its own when a worker picks it up again', 2);
  if (flags.limitPerClass)
    throw new UserError(
      '--limit-per-class is not carried to queue workers',
      'set the data size in the spec, or use --images for the built-in faces',
      2,
    );
  const url = queueUrl(flags.queue);
  const { buildPayloads, submitPoints, followPoints } = await import('../runtime/queue/submit.ts');
  const payloads = buildPayloads(experiments, specText);
  const { sweep, jobIds, existing } = await submitPoints(url, payloads);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (flags.detach) {
    process.stderr.write(
      `queued ${jobIds.length - existing} new point${jobIds.length - existing === 1 ? '' : 's'} of ${jobIds.length} on ${redacted(url)}\n`,
    );
    out(sweep);
    return 0;
  }
  out(`sweep ${sweep}: ${jobIds.length} point${jobIds.length === 1 ? '' : 's'} on ${redacted(url)} (${existing} already queued or done)`);
  const failed =
    process.stdout.isTTY && !flags.json && flags.dashboard
      ? await followOnDashboard(
          url,
          redacted(url),
          sweep,
          jobIds,
          payloads.map((p) => p.point),
        )
      : await followPoints(url, jobIds, out);
  out(failed ? `sweep ${sweep}: ${failed} point${failed === 1 ? '' : 's'} failed` : `sweep ${sweep}: every point finished`);
  return failed ? 1 : 0;
}

/** In a terminal: the dashboard's sweep table, fed by the follower's job events instead of plain lines. */
async function followOnDashboard(url: string, where: string, sweep: string, jobIds: string[], points: string[]): Promise<number> {
  const { followPoints } = await import('../runtime/queue/submit.ts');
  const { mountDashboard } = await import('../runtime/ui/mount.tsx');
  const { queueEventMapper } = await import('../runtime/ui/queue-events.ts');
  const mapper = queueEventMapper(
    sweep,
    where,
    jobIds.map((jobId, i) => ({ jobId, point: points[i] })),
  );
  // q / Ctrl-C stops following only: the points keep running on the workers.
  const ui = mountDashboard({
    onStop: () =>
      void ui.done().then(() => {
        process.stderr.write(`stopped following; the points keep running on the workers (emoc queue status ${sweep})\n`);
        process.exit(130);
      }),
  });
  ui.sink(mapper.start());
  try {
    const failed = await followPoints(
      url,
      jobIds,
      () => undefined,
      undefined,
      (e) => mapper.map(e).forEach(ui.sink),
    );
    ui.sink(mapper.end());
    return failed;
  } finally {
    await ui.done();
  }
}
