import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errorMessage, UserError } from '../core/errors.js';
import { PROCESS_OWNER } from '../core/owner.js';
import type { Log } from '../core/log.js';
import type { Platform } from '../platform.js';
import {
  backupRefused,
  backupSettingsIn,
  bucketClient,
  encryptStream,
  ENCRYPTION_FORMAT,
  forgetInterrupted,
  measuring,
  newBackupId,
  storeVerified,
  uploadLeftBy,
  type BackupAttempt,
  type ScheduledBackup,
} from '../services/index.js';
import { packState } from './archive.js';

/**
 * Backups of Slipway's own state (state:backup), made and kept as a service's are: the same
 * settings (credentials, passphrase, schedule) and record of attempts, in a directory of
 * their own; the same encryption; the same verify-then-publish upload.
 */
export const stateBackupSettings = (platform: Platform) =>
  backupSettingsIn(path.join(platform.settings.dataDir, 'state-backups'));

/** Where a backup goes: a bucket (with state:backup-auth set), or a directory on this host. */
export type StateBackupTarget = { bucket: string } | { dir: string };

/**
 * What the backup events call Slipway's own state, as the backup clock does. Only off-site
 * backups (to a bucket) are events: one into a directory is made at a terminal that sees it.
 */
const STATE_SERVICE = 'slipway state';

/** The state's backup settings and attempts, named as the backup events name it (for the daemon's start). */
export const stateBackupStore = (platform: Platform) => ({ name: STATE_SERVICE, store: stateBackupSettings(platform) });

/** Objects in a bucket: `slipway-state/<instance>/<id>.tar[.enc]`, so two hosts may share one. */
const objectKey = (platform: Platform, name: string) => `slipway-state/${platform.settings.instance}/${name}`;

/**
 * Writes what `produce` writes, encrypted when there is a passphrase, into `file` as a
 * bucket's objects are stored: written (to `<file>.partial`, flushed to disk), read back and
 * compared, then published under its name. Only a complete, verified file gets its name.
 */
async function writeFileVerified(
  file: string,
  produce: (sink: Writable) => Promise<void>,
  passphrase: string | undefined,
): Promise<{ bytes: number; sha256: string }> {
  const partial = `${file}.partial`;
  const source = new PassThrough();
  const sent = measuring();
  const stages: NodeJS.ReadWriteStream[] = passphrase === undefined ? [] : [await encryptStream(passphrase)];
  const written = pipeline([source, ...stages, sent, fs.createWriteStream(partial, { mode: 0o600, flush: true })]);
  try {
    const [produced, stored] = await Promise.allSettled([produce(source).finally(() => source.end()), written]);
    const failure = [produced, stored].find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
    const readBack = measuring();
    await pipeline(fs.createReadStream(partial), readBack, new PassThrough().resume());
    if (readBack.bytes() !== sent.bytes() || readBack.sha256() !== sent.sha256())
      throw new Error(`the written file differs from what was sent (${readBack.bytes()} of ${sent.bytes()} bytes)`);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
  fs.renameSync(partial, file);
  return { bytes: sent.bytes(), sha256: sent.sha256() };
}

/**
 * Takes a backup of Slipway's state now (one at a time, across processes). It is recorded as
 * running first, so one whose process dies in the middle reads as interrupted (never as a
 * backup), and the daemon's next start (or else the next backup) deletes what it left. A failure is recorded, logged and thrown
 * as a UserError with its reason.
 */
export async function backupState(platform: Platform, target: StateBackupTarget, log: Log): Promise<BackupAttempt> {
  const store = stateBackupSettings(platform);
  const settings = store.read();
  if ('bucket' in target && !settings.auth)
    throw backupRefused(
      platform,
      { service: STATE_SERVICE, bucket: target.bucket },
      'No backup credentials for Slipway’s state: set them with state:backup-auth',
    );
  const lock = await platform.locks.tryAcquire('backup:slipway-state');
  if (!lock) throw new UserError('A backup of Slipway’s state is running already');
  const startedAt = Date.now();
  const id = newBackupId(startedAt);
  const { passphrase } = settings;
  const encrypted = passphrase !== undefined;
  const name = `${id}.tar${encrypted ? '.enc' : ''}`;
  const createdAt = new Date(startedAt).toISOString();
  const produce = (sink: Writable) =>
    packState(platform, { id, createdAt, instance: platform.settings.instance, serviceCredentials: encrypted }, sink);
  const where = 'bucket' in target ? `s3://${target.bucket}` : target.dir;
  const base = { id, startedAt, encrypted, bucket: 'bucket' in target ? target.bucket : '' };
  // with the credentials of now: an interrupted backup's leftovers in a bucket wait for a backup to a bucket
  const client = settings.auth && bucketClient(settings.auth);
  try {
    await forgetInterrupted(store, client);
    const key = objectKey(platform, name);
    const place = 'bucket' in target ? { key } : { file: path.join(target.dir, `slipway-state-${name}`) };
    const running: BackupAttempt = {
      ...base,
      ...place,
      finishedAt: startedAt,
      status: 'running',
      owner: PROCESS_OWNER,
    };
    store.record(running);
    let done: Pick<BackupAttempt, 'key' | 'file' | 'bytes' | 'sha256'>;
    if ('bucket' in target) {
      const manifest = (stored: object) => ({
        kind: 'slipway-state',
        id,
        createdAt,
        ...stored,
        encryption: encrypted ? ENCRYPTION_FORMAT : null,
      });
      const uploadStarted = (uploadId: string) => store.record({ ...running, uploadId });
      const stored = await storeVerified(
        client!,
        { bucket: target.bucket, key },
        produce,
        passphrase,
        manifest,
        uploadStarted,
      );
      done = { key, ...stored };
    } else {
      const { file } = place as { file: string };
      fs.mkdirSync(target.dir, { recursive: true, mode: 0o700 });
      done = { file, ...(await writeFileVerified(file, produce, passphrase)) };
    }
    const attempt: BackupAttempt = { ...base, ...done, finishedAt: Date.now(), status: 'ok' };
    store.record(attempt);
    log(`backup of Slipway's state stored in ${where} (${attempt.bytes ?? 0} bytes)`);
    if ('bucket' in target)
      platform.events.publish('backup.succeeded', { service: STATE_SERVICE, bucket: target.bucket, file: done.key! });
    return attempt;
  } catch (error) {
    const reason = errorMessage(error);
    store.record({ ...base, finishedAt: Date.now(), status: 'failed', error: reason, ...uploadLeftBy(error) });
    log(`backup of Slipway's state to ${where} failed: ${reason}`, { level: 'warn' });
    if ('bucket' in target)
      platform.events.publish('backup.failed', { service: STATE_SERVICE, bucket: target.bucket, error: reason });
    throw new UserError(`Backup of Slipway’s state to ${where} failed: ${reason}`);
  } finally {
    client?.destroy();
    await lock.release();
  }
}

/** The state's backup schedule, for the daemon's backup clock. */
export function stateBackupSchedule(platform: Platform, log: Log): ScheduledBackup[] {
  const { schedule } = stateBackupSettings(platform).read();
  if (!schedule) return [];
  return [
    {
      key: STATE_SERVICE,
      cron: schedule.cron,
      run: () => backupState(platform, { bucket: schedule.bucket }, log),
    },
  ];
}
