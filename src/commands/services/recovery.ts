import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import {
  forkService,
  parseRecoveryTime,
  requireService,
  serviceNameMissing,
  setRetention,
  windowText,
  type RecoveryStatus,
  type ServiceKind,
} from '../../services/index.js';
import { valueFlag } from '../args.js';
import { action, type Command } from '../types.js';

/** Retention in days: at least one, at most ten years. */
const MAX_RETENTION_DAYS = 3650;

/** The lines `<kind>:info` adds for point-in-time recovery. */
export function recoveryLines(status: RecoveryStatus): [label: string, value: string][] {
  const window = !status.running
    ? '(the service is not running)'
    : status.problem
      ? `(unknown: ${status.problem}; a restart of the service sets its archive up)`
      : status.window
        ? windowText(status.window, status.running)
        : 'none yet (no base backup)';
  const lines: [string, string][] = [
    ['Recovery window', window],
    ['Retention', `${status.retentionDays} days`],
  ];
  if (status.listing)
    lines.push([
      'Archive',
      `${status.listing.backups.length} base backup${status.listing.backups.length === 1 ? '' : 's'} and WAL, ${(status.listing.bytes / 1024 / 1024).toFixed(1)} MB`,
    ]);
  if (status.offsite) lines.push(['Off-site archive', offsiteText(status.offsite)]);
  return lines;
}

function offsiteText(offsite: NonNullable<RecoveryStatus['offsite']>): string {
  const where = `s3://${offsite.bucket}`;
  if (offsite.problem) return `${where} (cannot be read: ${offsite.problem})`;
  const backups = `${offsite.backups ?? 0} base backup${offsite.backups === 1 ? '' : 's'}`;
  const wal = offsite.newestWal
    ? `WAL to ${offsite.newestWal}${offsite.newestWalAt ? ` (${new Date(offsite.newestWalAt).toISOString()})` : ''}`
    : 'no WAL yet';
  return `${where}: ${backups}, ${wal}, ${offsite.waiting ?? 0} file(s) waiting to ship`;
}

/** `<kind>:fork` and `<kind>:backup-set-retention`, for kinds that archive (Postgres). */
export function recoveryCommands(kind: ServiceKind): Command[] {
  if (!kind.archivePath) return [];
  const k = kind.kind;
  const missing = { service: serviceNameMissing(kind) };
  return [
    action({
      name: `${k}:fork`,
      summary:
        'Make a new service holding the data as it was at a moment of the recovery window (--at "2026-12-06 10:42:00+00"; default now)',
      args: ['<service>', '<new-service>'],
      missing: { ...missing, 'new-service': 'Please specify a name for the new service' },
      access: 'admin',
      valueFlags: ['at'],
      async run(ctx, args) {
        const given = valueFlag(args, 'at');
        const at = given === undefined ? undefined : parseRecoveryTime(given);
        const source = requireService(ctx.platform, kind, args.named.service);
        const name = args.named['new-service'];
        ctx.out.out(format.step(`Forking ${source.name} into ${name}${at ? ` as of ${at.toISOString()}` : ''}`));
        await forkService(ctx.platform, kind, source, name, at, (line) => ctx.out.out(format.detail(line)));
        ctx.out.out(format.section(`${kind.title} container created: ${name}`));
      },
    }),
    action({
      name: `${k}:backup-set-retention`,
      summary: 'How many days back point-in-time recovery reaches (default 7); older base backups and WAL go',
      args: ['<service>', '<days>'],
      missing: { ...missing, days: 'Please specify a number of days' },
      access: 'admin',
      async run(ctx, args) {
        const service = requireService(ctx.platform, kind, args.named.service);
        const days = /^\d{1,4}$/.test(args.named.days) ? Number(args.named.days) : NaN;
        if (!(days >= 1 && days <= MAX_RETENTION_DAYS))
          throw new UserError(`Give the retention as whole days from 1 to ${MAX_RETENTION_DAYS}`);
        const removed = await setRetention(ctx.platform, kind, service, days);
        ctx.out.out(format.step(`Point-in-time recovery of ${service.name} reaches back ${days} days`));
        for (const id of removed) ctx.out.out(format.detail(`Removed base backup ${id}`));
      },
    }),
  ];
}
