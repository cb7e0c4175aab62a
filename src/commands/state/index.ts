import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { lineLog } from '../../core/log.js';
import { format } from '../../core/output.js';
import { attemptRows, checkPassphrase, maskedAuth, parseBackupSchedule, parseBucket } from '../../services/index.js';
import {
  backupState,
  parseRestoreSource,
  restoreState,
  stateBackupSettings,
  type StateBackupTarget,
} from '../../state-backup/index.js';
import { authFromArgs, renderBackupJson } from '../services/backups.js';
import { query, type Command, type CommandContext, type Namespace } from '../types.js';

const log = lineLog();
const done = Promise.resolve();
const base = { access: 'admin' as const };

/** A path names one of the server's files: only `slipway` on the host may give one. */
function hostPath(ctx: CommandContext, given: string, what: string): string {
  if (!ctx.local) throw new UserError(`${what} is a path on the host: run this command there (slipway …)`);
  return path.resolve(ctx.cwd ?? process.cwd(), given);
}

function target(
  ctx: CommandContext,
  bucket: string | undefined,
  local: string | boolean | undefined,
): StateBackupTarget {
  if (local === true || local === false) throw new UserError('Give --local the directory to write the backup into');
  if (local !== undefined) {
    if (bucket !== undefined) throw new UserError('Give a bucket or --local <dir>, not both');
    return { dir: hostPath(ctx, local, 'The --local directory') };
  }
  return { bucket: parseBucket(bucket) };
}

/**
 * `state:*`: Slipway's own state backed up and restored, with the settings commands of a
 * service's off-site backups (`postgres:backup-auth` …) under the same names.
 */
const commands: Command[] = [
  {
    ...base,
    name: 'state:backup',
    summary:
      'Back up Slipway’s state (database, app repositories, certificates, SSH host key, keys, settings) into the bucket (with state:backup-auth set), or with --local into a directory on the host',
    args: ['[bucket]'],
    valueFlags: ['local'],
    async run(ctx, args) {
      const to = target(ctx, args.named.bucket, args.flags.local);
      const where = 'bucket' in to ? `s3://${to.bucket}` : to.dir;
      ctx.out.out(format.step(`Backing up Slipway’s state to ${where}`));
      const backup = await backupState(ctx.platform, to, log);
      const stored = backup.file ?? `s3://${'bucket' in to ? to.bucket : ''}/${backup.key ?? ''}`;
      ctx.out.out(
        format.detail(`Stored ${stored} (${backup.bytes ?? 0} bytes${backup.encrypted ? ', encrypted' : ''})`),
      );
      ctx.out.out(format.detail(`sha256:${backup.sha256 ?? ''}`));
      ctx.out.out(format.step(`Backup ${backup.id} complete`));
    },
  },
  query({
    ...base,
    name: 'state:backups',
    summary: 'List the backups of Slipway’s state, newest first: where, size, checksum, or why one failed',
    args: [],
    valueFlags: ['format'],
    read: (ctx) => attemptRows(stateBackupSettings(ctx.platform).attempts()),
    render: { text: (rows, out) => rows.forEach((row) => out.out(renderBackupJson(row))) },
  }),
  {
    ...base,
    name: 'state:backup-auth',
    summary: 'Set the S3 credentials the state’s backups use (endpoint-url for MinIO, R2, B2 …)',
    args: ['<access-key>', '<secret>', '[region]', '[signature-version]', '[endpoint-url]'],
    run(ctx, { named }) {
      const auth = authFromArgs(named);
      stateBackupSettings(ctx.platform).update({ auth });
      ctx.out.out(format.step('Backup credentials set for Slipway’s state'));
      for (const [label, value] of Object.entries(maskedAuth(auth)))
        ctx.out.out(format.detail(`${`${label}:`.padEnd(20)}${value}`));
      return done;
    },
  },
  {
    ...base,
    name: 'state:backup-deauth',
    summary: 'Remove the state’s S3 credentials (its schedule stops working until new ones are set)',
    args: [],
    run(ctx) {
      stateBackupSettings(ctx.platform).update({ auth: undefined });
      ctx.out.out(format.step('Backup credentials removed for Slipway’s state'));
      return done;
    },
  },
  {
    ...base,
    name: 'state:backup-schedule',
    summary: 'Back the state up into the bucket on a cron schedule (five fields, in the host’s time zone)',
    args: ['<schedule>', '<bucket>'],
    run(ctx, { named }) {
      const schedule = { cron: parseBackupSchedule(named.schedule), bucket: parseBucket(named.bucket) };
      const settings = stateBackupSettings(ctx.platform);
      if (!settings.read().auth) throw new UserError('Set backup credentials first: state:backup-auth …');
      settings.update({ schedule });
      ctx.out.out(format.step(`Scheduled backups of Slipway’s state to s3://${schedule.bucket}: ${schedule.cron}`));
      return done;
    },
  },
  {
    ...base,
    name: 'state:backup-schedule-cat',
    summary: 'Show the state’s backup schedule, as a crontab line',
    args: [],
    run(ctx) {
      const { schedule } = stateBackupSettings(ctx.platform).read();
      if (!schedule) throw new UserError('No backup schedule for Slipway’s state');
      ctx.out.out(`${schedule.cron} state:backup ${schedule.bucket}`);
      return done;
    },
  },
  {
    ...base,
    name: 'state:backup-unschedule',
    summary: 'Stop the state’s scheduled backups',
    args: [],
    run(ctx) {
      stateBackupSettings(ctx.platform).update({ schedule: undefined });
      ctx.out.out(format.step('Backups of Slipway’s state unscheduled'));
      return done;
    },
  },
  {
    ...base,
    name: 'state:backup-set-encryption',
    summary:
      'Encrypt the state’s next backups with a passphrase (restores need it too; only encrypted ones carry service backup credentials)',
    args: ['<passphrase>'],
    run(ctx, { named }) {
      const passphrase = checkPassphrase(named.passphrase ?? '');
      stateBackupSettings(ctx.platform).update({ passphrase });
      ctx.out.out(format.step('Backups of Slipway’s state will be encrypted'));
      return done;
    },
  },
  {
    ...base,
    name: 'state:backup-unset-encryption',
    summary: 'Stop encrypting the state’s backups (and forget the passphrase)',
    args: [],
    run(ctx) {
      stateBackupSettings(ctx.platform).update({ passphrase: undefined });
      ctx.out.out(format.step('Backups of Slipway’s state will not be encrypted'));
      return done;
    },
  },
  {
    ...base,
    name: 'state:restore',
    summary:
      'On a new, empty Slipway: restore a state backup (a file on the host, or s3://<bucket>/<key>), then bring every service back from its latest backup and every app back at its release',
    args: ['<archive>'],
    async run(ctx, { named }) {
      const source = parseRestoreSource(named.archive, ctx.cwd ?? process.cwd());
      if ('file' in source) hostPath(ctx, source.file, 'The archive');
      const problems = await restoreState(ctx.platform, source, {
        step: (line) => ctx.out.out(format.step(line)),
        detail: (line) => ctx.out.out(format.detail(line)),
        deployLine: (line) => ctx.out.out(line),
        signal: ctx.signal,
        requestedBy: ctx.caller.name,
        log,
      });
      if (problems.length > 0)
        throw new UserError(`The state is restored, but not all of it runs: ${problems.join('; ')}`);
      ctx.out.out(format.step('Slipway’s state is restored'));
    },
  },
];

export const stateNamespace: Namespace = { name: 'state', commands };
