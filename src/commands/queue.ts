// emoc queue status [SWEEP] / emoc queue cancel SWEEP: a queued sweep's points as BullMQ holds them.

import type { Command } from 'commander';
import { UserError } from '../errors.ts';

export function registerQueue(program: Command): void {
  const queue = program.command('queue').description('status and cancellation of sweeps submitted with emoc run --queue');
  queue
    .command('status')
    .description('points waiting, active (worker, epoch), finished and failed (reason)')
    .argument('[sweep]', 'sweep id printed by emoc run --queue --detach')
    .option('--queue <url>', 'redis://... (default EMOC_QUEUE)')
    .action(async (sweep: string | undefined, flags: { queue?: string }) => {
      const { queueUrl, hideArgvPassword } = await import('../../runtime/queue/connection.ts');
      hideArgvPassword();
      const { listPoints } = await import('../../runtime/queue/inspect.ts');
      const points = await listPoints(queueUrl(flags.queue), sweep);
      if (sweep && points.length === 0)
        throw new UserError(`no points of sweep ${sweep} on the queue`, 'emoc queue status lists every sweep');
      const count = (s: string) => points.filter((p) => p.state === s).length;
      const rows = points.map((p) => [
        p.sweep,
        p.point,
        p.state,
        p.worker ?? '-',
        p.epoch ?? '-',
        p.reason ?? (p.result?.summary.val ? `val acc ${(100 * p.result.summary.val.acc).toFixed(1)}%` : ''),
      ]);
      const head = ['sweep', 'point', 'state', 'worker', 'epoch', 'result'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (r: string[]) =>
        r
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd();
      process.stdout.write(`${[line(head), ...rows.map(line)].join('\n')}\n`);
      process.stdout.write(
        `waiting ${count('waiting') + count('delayed')}, active ${count('active')}, finished ${count('completed')}, failed ${count('failed')}\n`,
      );
    });
  queue
    .command('cancel')
    .description("remove the sweep's points that have not started (running points finish)")
    .argument('<sweep>', 'sweep id')
    .option('--queue <url>', 'redis://... (default EMOC_QUEUE)')
    .action(async (sweep: string, flags: { queue?: string }) => {
      const { queueUrl, hideArgvPassword } = await import('../../runtime/queue/connection.ts');
      hideArgvPassword();
      const { cancelSweep } = await import('../../runtime/queue/inspect.ts');
      const { removed, active } = await cancelSweep(queueUrl(flags.queue), sweep);
      process.stdout.write(
        `cancelled ${removed} waiting point${removed === 1 ? '' : 's'} of sweep ${sweep}${active ? `; ${active} running point${active === 1 ? '' : 's'} will finish` : ''}\n`,
      );
    });
}
