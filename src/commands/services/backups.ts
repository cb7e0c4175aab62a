import { ConflictError, UserError } from '../../core/errors.js';
import { lineLog } from '../../core/log.js';
import { format } from '../../core/output.js';
import {
  backupService,
  backupToBucket,
  checkPassphrase,
  createService,
  destroyService,
  findBackup,
  maskedAuth,
  parseBackupAuth,
  parseBackupSchedule,
  parseBucket,
  parseServiceName,
  readBackupSettings,
  requireService,
  restoreFromBucket,
  serviceBackups,
  serviceNameMissing,
  updateBackupSettings,
  type ServiceKind,
} from '../../services/index.js';
import type { BackupJson } from '../../model/api.js';
import { intFlag } from '../args.js';
import { confirmDestruction } from '../confirm.js';
import { query, type Command, type CommandArgs, type CommandContext } from '../types.js';

const log = lineLog();
/** What a command that changes only settings returns. */
const done = Promise.resolve();

/** The service the first argument names, which must exist. */
const onlyService = (ctx: CommandContext, kind: ServiceKind, args: CommandArgs) =>
  requireService(ctx.platform, kind, args.named.service);

/** Local dumps and every bucket attempt (failed ones with their reason), newest first. */
function backupRows(ctx: CommandContext, kind: ServiceKind, args: CommandArgs): BackupJson[] {
  return serviceBackups(ctx.platform, kind, onlyService(ctx, kind, args));
}

export function renderBackupJson(row: BackupJson): string {
  if (row.status === 'failed')
    return `${row.created_at}  ${'FAILED'.padStart(12)}  ${row.where === 's3' ? 's3://' : ''}${row.dir}  ${row.id}  ${row.error ?? ''}`;
  if (row.where === 'local') return `${row.created_at}  ${String(row.bytes).padStart(12)}  ${row.dir}/${row.file}`;
  return `${row.created_at}  ${String(row.bytes).padStart(12)}  s3://${row.dir}/${row.file}  ${row.id}  sha256:${row.sha256 ?? ''}`;
}

/** backup-auth's words (`<access-key> <secret> [region] [signature-version] [endpoint-url]`), checked. */
export const authFromArgs = (named: Record<string, string | undefined>) =>
  parseBackupAuth({
    accessKeyId: named['access-key'],
    secret: named.secret,
    region: named.region,
    signatureVersion: named['signature-version'],
    endpoint: named['endpoint-url'],
  });

/** `<ns>:backup`, `<ns>:backups` and Dokku's backup-* commands for off-site backups, named in `ns` (the kind's namespace or an alias). */
export function backupCommands(kind: ServiceKind, ns: string): Command[] {
  const k = kind.kind;
  const missing = { service: serviceNameMissing(kind) };
  const base = { missing, access: 'admin' as const };
  return [
    {
      ...base,
      name: `${ns}:backup`,
      summary:
        'Back the service up now: into the bucket (with backup-auth set), else into a local backup directory keeping the newest N (--keep, default 7)',
      args: ['<service>', '<bucket>'],
      valueFlags: ['keep'],
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        if (!readBackupSettings(ctx.platform, kind, service.name).auth) {
          const keep = intFlag(args, 'keep', 7, 1, 1000);
          const { file, removed } = await backupService(ctx.platform, kind, service, args.named.bucket, keep);
          ctx.out.out(format.step(`Backup of ${service.name} written to ${file}`));
          for (const old of removed) ctx.out.out(format.detail(`Removed old backup ${old}`));
          return;
        }
        const bucket = parseBucket(args.named.bucket);
        ctx.out.out(format.step(`Backing up ${service.name} to s3://${bucket}`));
        const backup = await backupToBucket(ctx.platform, kind, service, bucket, log);
        ctx.out.out(
          format.detail(
            `Stored s3://${bucket}/${backup.key ?? ''} (${backup.bytes ?? 0} bytes${backup.encrypted ? ', encrypted' : ''})`,
          ),
        );
        ctx.out.out(format.detail(`sha256:${backup.sha256 ?? ''}`));
        ctx.out.out(format.step(`Backup ${backup.id} complete`));
      },
    },
    query({
      ...base,
      name: `${ns}:backups`,
      summary:
        'List the service’s backups, newest first: local dumps, and backups to buckets with where, size, checksum, or why one failed',
      args: ['<service>'],
      valueFlags: ['format'],
      read: (ctx, args) => backupRows(ctx, kind, args),
      render: { text: (rows, out) => rows.forEach((row) => out.out(renderBackupJson(row))) },
    }),
    {
      ...base,
      name: `${ns}:backup-auth`,
      summary: 'Set the S3 credentials the service’s backups use (endpoint-url for MinIO, R2, B2 …)',
      args: ['<service>', '<access-key>', '<secret>', '[region]', '[signature-version]', '[endpoint-url]'],
      run(ctx, args) {
        const auth = authFromArgs(args.named);
        const service = onlyService(ctx, kind, args);
        updateBackupSettings(ctx.platform, kind, service.name, { auth });
        ctx.out.out(format.step(`Backup credentials set for ${service.name}`));
        for (const [label, value] of Object.entries(maskedAuth(auth)))
          ctx.out.out(format.detail(`${`${label}:`.padEnd(20)}${value}`));
        return done;
      },
    },
    {
      ...base,
      name: `${ns}:backup-deauth`,
      summary: 'Remove the service’s S3 credentials (its schedule stops working until new ones are set)',
      args: ['<service>'],
      run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        updateBackupSettings(ctx.platform, kind, service.name, { auth: undefined });
        ctx.out.out(format.step(`Backup credentials removed for ${service.name}`));
        return done;
      },
    },
    {
      ...base,
      name: `${ns}:backup-schedule`,
      summary: 'Back the service up into the bucket on a cron schedule (five fields, in the host’s time zone)',
      args: ['<service>', '<schedule>', '<bucket>'],
      run(ctx, args) {
        const schedule = { cron: parseBackupSchedule(args.named.schedule), bucket: parseBucket(args.named.bucket) };
        const service = onlyService(ctx, kind, args);
        if (!readBackupSettings(ctx.platform, kind, service.name).auth)
          throw new UserError(`Set backup credentials first: ${ns}:backup-auth ${service.name} …`);
        updateBackupSettings(ctx.platform, kind, service.name, { schedule });
        ctx.out.out(format.step(`Scheduled backups of ${service.name} to s3://${schedule.bucket}: ${schedule.cron}`));
        return done;
      },
    },
    {
      ...base,
      name: `${ns}:backup-schedule-cat`,
      summary: 'Show the service’s backup schedule, as a crontab line',
      args: ['<service>'],
      run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        const { schedule } = readBackupSettings(ctx.platform, kind, service.name);
        if (!schedule) throw new UserError(`No backup schedule for ${service.name}`);
        ctx.out.out(`${schedule.cron} ${ns}:backup ${service.name} ${schedule.bucket}`);
        return done;
      },
    },
    {
      ...base,
      name: `${ns}:backup-unschedule`,
      summary: 'Stop the service’s scheduled backups',
      args: ['<service>'],
      run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        updateBackupSettings(ctx.platform, kind, service.name, { schedule: undefined });
        ctx.out.out(format.step(`Backups of ${service.name} unscheduled`));
        return done;
      },
    },
    {
      ...base,
      name: `${ns}:backup-set-encryption`,
      summary: 'Encrypt the service’s next backups with a passphrase (restores need it too)',
      args: ['<service>', '<passphrase>'],
      run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        const passphrase = checkPassphrase(args.named.passphrase ?? '');
        updateBackupSettings(ctx.platform, kind, service.name, { passphrase });
        ctx.out.out(format.step(`Backups of ${service.name} will be encrypted`));
        return done;
      },
    },
    {
      ...base,
      name: `${ns}:backup-unset-encryption`,
      summary: 'Stop encrypting the service’s backups (and forget the passphrase)',
      args: ['<service>'],
      run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        updateBackupSettings(ctx.platform, kind, service.name, { passphrase: undefined });
        ctx.out.out(format.step(`Backups of ${service.name} will not be encrypted`));
        return done;
      },
    },
    {
      ...base,
      name: `${ns}:backup-restore`,
      summary:
        'Restore a backup (an ID from backups) into the service, after confirming (or --force); --to restores it into a new service',
      args: ['<service>', '<backup-id>'],
      valueFlags: ['to'],
      booleanFlags: ['force'],
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        const backup = findBackup(ctx.platform, kind, service, args.named['backup-id']);
        const to = args.flags.to; // absent unless given
        if (to === true) throw new UserError('Give --to the name of the new service');
        let into = service;
        if (to === undefined) {
          await confirmDestruction(ctx, `the data of ${kind.title} service`, service.name, Boolean(args.flags.force));
        } else {
          const name = parseServiceName(kind, to);
          if (ctx.platform.state.services.get(k, name))
            throw new ConflictError(`${kind.title} service ${name} already exists (--to makes a new one)`);
          ctx.out.out(format.step(`Starting ${kind.title} service ${name}`));
          await createService(ctx.platform, kind, name, (line) => ctx.out.out(format.detail(line)));
          into = requireService(ctx.platform, kind, name);
        }
        ctx.out.out(format.step(`Restoring ${backup.id} into ${into.name}`));
        await restoreFromBucket(ctx.platform, kind, service, backup.id, into).catch(async (error: unknown) => {
          if (into !== service) await destroyService(ctx.platform, kind, into); // a new service holds nothing else
          throw error;
        });
        ctx.out.out(format.step(`Backup restored into ${into.name}`));
      },
    },
  ];
}
