import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { errorMessage, UserError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { PROCESS_OWNER } from '../core/owner.js';
import { parseDestinationUrl, RefusedDestination } from '../core/public-destination.js';
import { scheduleProblem } from '../model/cron.js';
import type { Platform } from '../platform.js';
import type { ServiceRecord } from '../state/index.js';
import { decryptStream, HEADER_BYTES, openHeader } from './backup-crypto.js';
import {
  backupAttempts,
  INTERRUPTED,
  readBackupSettings,
  recordBackupAttempt,
  serviceBackupSettings,
  type BackupAttempt,
  type BackupAuth,
  type BackupSettingsStore,
} from './backup-settings.js';
import {
  abortUpload,
  bucketClient,
  type BucketClient,
  deleteObject,
  downloadStream,
  measuring,
  readAll,
  storeVerified,
  type Stored,
  uploadLeftBy,
} from './bucket.js';
import { execInService, runInService } from './containers.js';
import type { ServiceKind } from './kinds.js';

/**
 * Backups of a service into an S3 bucket (Dokku's postgres:backup with backup-auth set).
 * A backup is published in three steps, so none looks complete unless it is: the dump is
 * streamed into `<kind>/<service>/<id>.dump` (multipart), read back and compared (size and
 * SHA-256) with what was sent, and only then is the manifest `<id>.dump.json` written next
 * to it. Every attempt, failed ones with their reason, is recorded for `<kind>:backups`.
 */

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9-]{1,40}$/;
const KEY_TEXT = /^[\x21-\x7e]{1,256}$/;
const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;
/** The format encrypted backups are in (backup-crypto.ts; the README tells how to open it by hand). */
export const ENCRYPTION_FORMAT = 'slipway-backup-1 (scrypt, AES-256-GCM)';

/** A backup's ID: when it began (to the second, UTC) and a random part, so two in one second differ. */
export const newBackupId = (at: number) =>
  `${new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;

/** An S3 bucket name, as S3 allows it (no IP-like names, no `..`). */
export function parseBucket(text: string | undefined): string {
  if (!text) throw new UserError('Please specify a bucket name');
  if (!BUCKET.test(text) || text.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(text)) {
    throw new UserError(
      `Invalid bucket name ${JSON.stringify(text.slice(0, 80))}: 3 to 63 lowercase letters, digits, dots and hyphens`,
    );
  }
  return text;
}

/** The cron schedule of backup-schedule: five fields, as app cron tasks. */
export function parseBackupSchedule(text: string | undefined): string {
  if (!text) throw new UserError('Please specify a schedule, e.g. "0 3 * * *"');
  const problem = scheduleProblem(text);
  if (problem) throw new UserError(`Invalid schedule ${JSON.stringify(text.slice(0, 80))}: ${problem}`);
  return text;
}

/**
 * backup-auth's arguments, checked. Only admins manage services, so the endpoint may be a
 * private address (a MinIO on the LAN, a local test server); its form is read as strictly as
 * the URLs tenants give (`git:sync`), so no two parsers read it differently.
 */
export function parseBackupAuth(args: {
  accessKeyId?: string;
  secret?: string;
  region?: string;
  signatureVersion?: string;
  endpoint?: string;
}): BackupAuth {
  const { accessKeyId, secret } = args;
  if (!accessKeyId || !secret) throw new UserError('Please specify an access key and a secret');
  if (!KEY_TEXT.test(accessKeyId) || !KEY_TEXT.test(secret))
    throw new UserError('The access key and the secret are printable characters without spaces (at most 256)');
  const region = args.region ?? 'us-east-1';
  if (!REGION.test(region)) throw new UserError(`Invalid region ${JSON.stringify(region.slice(0, 80))}`);
  const signatureVersion = args.signatureVersion ?? 's3v4';
  if (signatureVersion !== 's3v4') throw new UserError('Only signature version s3v4 is supported');
  let endpoint: string | undefined;
  if (args.endpoint !== undefined) {
    try {
      endpoint = parseDestinationUrl(args.endpoint, ['https', 'http']).url;
    } catch (error) {
      if (error instanceof RefusedDestination) throw new UserError(`Invalid endpoint URL: ${error.message}`);
      throw error;
    }
  }
  return { accessKeyId, secretAccessKey: secret, region, signatureVersion, ...(endpoint ? { endpoint } : {}) };
}

/** What backup-auth shows of the credentials: enough to recognise them, never the secret. */
export function maskedAuth(auth: BackupAuth): Record<string, string> {
  return {
    'Access key': `${auth.accessKeyId.slice(0, 4)}${'*'.repeat(Math.max(4, auth.accessKeyId.length - 4))}`,
    Secret: '(hidden)',
    Region: auth.region,
    'Signature version': auth.signatureVersion,
    Endpoint: auth.endpoint ?? '(AWS)',
  };
}

interface Manifest {
  service: string;
  kind: string;
  id: string;
  createdAt: string;
  bytes: number;
  sha256: string;
  encryption: string | null;
}

/** The newest good backup in a bucket, from the attempts (newest first) a store lists. */
export const latestInBucket = (attempts: BackupAttempt[]) =>
  attempts.find((a): a is BackupAttempt & { key: string } => a.status === 'ok' && a.key !== undefined);

const backupLockName = (kind: ServiceKind, name: string) => `backup:${kind.kind}.${name}`;

/** What forgetInterrupted did: the attempts it is done with, and those whose upload it had to leave, with why. */
export interface Forgotten {
  forgotten: BackupAttempt[];
  left: { attempt: BackupAttempt; reason: string }[];
}

/**
 * What interrupted backups (and failed ones whose upload could not be aborted then) may
 * have left is deleted: in a bucket the parts of their unfinished upload (aborted: S3 lists
 * no object for them, yet keeps and bills them), their manifest, then
 * their object (one completed just before the process died has no manifest, so nothing reads
 * it; this frees its space), and on this host their file and its partial. Where it was is then
 * forgotten, so that this is done once. Those in a bucket wait for a `client` to reach it, and
 * an upload the server could not be asked to abort waits for the next try (the daemon's start,
 * or the next backup). Run by every backup first, and by the daemon at its start.
 */
export async function forgetInterrupted(
  store: BackupSettingsStore,
  client: BucketClient | undefined,
): Promise<Forgotten> {
  const done: Forgotten = { forgotten: [], left: [] };
  for (const attempt of store.attempts()) {
    if (!leftSomething(attempt)) continue;
    const { key, file, uploadId } = attempt;
    if (key !== undefined) {
      if (!client) {
        if (uploadId !== undefined) done.left.push({ attempt, reason: 'no backup credentials are set' });
        continue;
      }
      if (uploadId !== undefined) {
        try {
          await abortUpload(client, attempt.bucket, key, uploadId);
        } catch (error) {
          done.left.push({ attempt, reason: errorMessage(error) });
          continue;
        }
      }
      for (const stored of [`${key}.json`, key])
        await deleteObject(client, attempt.bucket, stored).catch(() => undefined);
    } else if (file !== undefined) {
      for (const written of [`${file}.partial`, file]) fs.rmSync(written, { force: true });
    } else continue;
    store.record({ ...attempt, key: undefined, uploadId: undefined, file: undefined, owner: undefined });
    done.forgotten.push(attempt);
  }
  return done;
}

/** Interrupted (its process died), or failed with its upload not aborted (UploadLeftError). */
const leftSomething = (attempt: BackupAttempt) =>
  attempt.error === INTERRUPTED || (attempt.status === 'failed' && attempt.uploadId !== undefined);
const ended = (attempt: BackupAttempt) => (attempt.error === INTERRUPTED ? 'interrupted' : 'failed');

/**
 * At the daemon's start, in the background (nothing waits on a bucket): what the backups
 * running when their process died left is deleted (forgetInterrupted), so that the parts of
 * their unfinished uploads are not kept, and billed, until the next backup of the same
 * service, which may be a day away. `stores`: every service's (serviceBackupStores) and
 * Slipway's own state's, each reached with its credentials of now. A bucket that cannot be
 * reached leaves them for the next backup, said in the log. A backup started meanwhile does
 * the same first: aborting twice, or deleting what is gone, is harmless, and each attempt is
 * rewritten on its own (record reads the file afresh), so the two need no lock.
 */
export async function cleanUpInterruptedBackups(
  stores: { name: string; store: BackupSettingsStore }[],
  log: Log,
  clientFor: (auth: BackupAuth) => BucketClient = bucketClient,
): Promise<void> {
  await Promise.all(
    stores.map(async ({ name, store }) => {
      let client: BucketClient | undefined;
      try {
        const { auth } = store.read();
        client = auth && clientFor(auth);
        const { forgotten, left } = await forgetInterrupted(store, client);
        for (const attempt of forgotten) {
          const where = attempt.key === undefined ? attempt.file : `s3://${attempt.bucket}/${attempt.key}`;
          const aborted = attempt.uploadId === undefined ? '' : ', its unfinished upload aborted';
          log(`deleted what the ${ended(attempt)} backup ${attempt.id} of ${name} left in ${where}${aborted}`);
        }
        for (const { attempt, reason } of left) {
          log(
            `could not abort the unfinished upload of the ${ended(attempt)} backup ${attempt.id} of ${name} in s3://${attempt.bucket}: ${reason} (the next backup tries again)`,
            { level: 'warn' },
          );
        }
      } catch (error) {
        log(`could not clean up the interrupted backups of ${name}: ${errorMessage(error)}`, { level: 'warn' });
      } finally {
        client?.destroy();
      }
    }),
  );
}

/**
 * Takes a backup of the service into the bucket now. One at a time per service, across
 * processes (a schedule firing while a person runs one finds it taken). A failure is
 * recorded, logged and thrown as a UserError with its reason.
 */
/**
 * A backup asked for (by hand, or by its schedule with nobody watching) that cannot even
 * start is a failed backup too: told as `backup.failed`, and returned to be thrown. One that
 * waits for another of the same service running is not: that one tells its own outcome.
 */
export function backupRefused(
  platform: Platform,
  target: { service: string; bucket: string },
  message: string,
): UserError {
  platform.events.publish('backup.failed', { ...target, error: message });
  return new UserError(message);
}

export async function backupToBucket(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  bucket: string,
  log: Log,
): Promise<BackupAttempt> {
  const { exportCmd } = kind;
  if (!exportCmd) throw new UserError(`${kind.title} services have no backup`);
  const settings = readBackupSettings(platform, kind, service.name);
  const { auth } = settings;
  const told = `${kind.kind} ${service.name}`;
  if (!auth)
    throw backupRefused(
      platform,
      { service: told, bucket },
      `No backup credentials for ${service.name}: set them with ${kind.kind}:backup-auth`,
    );
  const lock = await platform.locks.tryAcquire(backupLockName(kind, service.name));
  if (!lock) throw new UserError(`A backup of ${service.name} is running already`);
  const startedAt = Date.now();
  const id = newBackupId(startedAt);
  const encrypted = settings.passphrase !== undefined;
  const key = `${kind.kind}/${service.name}/${id}.dump${encrypted ? '.enc' : ''}`;
  const client = bucketClient(auth);
  try {
    await forgetInterrupted(serviceBackupSettings(platform, kind, service.name), client);
    const running: BackupAttempt = {
      id,
      startedAt,
      finishedAt: startedAt,
      status: 'running',
      owner: PROCESS_OWNER,
      bucket,
      key,
      encrypted,
    };
    recordBackupAttempt(platform, kind, service.name, running);
    const dump = async (sink: Writable) => {
      const result = await runInService(platform, kind, service, exportCmd(service), sink).catch((error: unknown) => {
        throw new Error(`the dump failed: ${errorMessage(error)}`);
      });
      if (result.code !== 0) throw new Error(`the dump failed: ${result.errors || `exit code ${result.code}`}`);
    };
    const manifest = (stored: Stored): Manifest => ({
      service: service.name,
      kind: kind.kind,
      id,
      createdAt: new Date(startedAt).toISOString(),
      ...stored,
      encryption: encrypted ? ENCRYPTION_FORMAT : null,
    });
    const stored = await storeVerified(client, { bucket, key }, dump, settings.passphrase, manifest, (uploadId) =>
      recordBackupAttempt(platform, kind, service.name, { ...running, uploadId }),
    );
    const attempt: BackupAttempt = {
      id,
      startedAt,
      finishedAt: Date.now(),
      status: 'ok',
      bucket,
      key,
      ...stored,
      encrypted,
    };
    recordBackupAttempt(platform, kind, service.name, attempt);
    log(`backup of ${kind.kind} ${service.name} stored as s3://${bucket}/${key} (${stored.bytes} bytes)`);
    platform.events.publish('backup.succeeded', { service: told, bucket, file: key });
    return attempt;
  } catch (error) {
    const reason = errorMessage(error);
    recordBackupAttempt(platform, kind, service.name, {
      id,
      startedAt,
      finishedAt: Date.now(),
      status: 'failed',
      bucket,
      encrypted,
      error: reason,
      ...uploadLeftBy(error),
    });
    log(`backup of ${kind.kind} ${service.name} to s3://${bucket} failed: ${reason}`, { level: 'warn' });
    platform.events.publish('backup.failed', { service: told, bucket, error: reason });
    throw new UserError(`Backup of ${service.name} to ${bucket} failed: ${reason}`);
  } finally {
    client.destroy();
    await lock.release();
  }
}

/** A good backup of the service by its ID, as `<kind>:backups` lists it. */
export function findBackup(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  id: string | undefined,
): BackupAttempt & { key: string } {
  if (!id) throw new UserError(`Please specify a backup ID (${kind.kind}:backups ${service.name} lists them)`);
  if (!BACKUP_ID.test(id))
    throw new UserError(
      `Invalid backup ID ${JSON.stringify(id.slice(0, 80))} (${kind.kind}:backups ${service.name} lists them)`,
    );
  const found = backupAttempts(platform, kind, service.name).find((a) => a.id === id && a.status === 'ok');
  if (!found?.key)
    throw new UserError(`No backup ${id} of ${service.name} (${kind.kind}:backups ${service.name} lists them)`);
  return { ...found, key: found.key };
}

const capitalized = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/** What is known of a stored object from its manifest (`<key>.json`, written once it was verified). */
export interface StoredManifest extends Stored {
  encryption: string | null;
}

export async function readManifest(client: BucketClient, bucket: string, key: string): Promise<StoredManifest> {
  return JSON.parse((await readAll(await downloadStream(client, bucket, `${key}.json`))).toString()) as StoredManifest;
}

/**
 * A stored object's plain bytes as a stream: an encrypted one's passphrase is checked on its
 * header before any byte flows, and it is decrypted on the way. A read or decryption failure
 * ends the stream there (the reader stops, never waits); `check`, once the reader is done,
 * throws a UserError when anything failed or what was read differs from the manifest.
 */
export async function openStored(
  client: BucketClient,
  bucket: string,
  key: string,
  manifest: StoredManifest,
  passphrase: string | undefined,
  names: { subject: string; passphraseHint: string },
): Promise<{ plain: Readable; check: (doing: string) => void }> {
  const stages: NodeJS.ReadWriteStream[] = [];
  if (manifest.encryption) {
    if (passphrase === undefined)
      throw new UserError(
        `${capitalized(names.subject)} is encrypted: give its passphrase with ${names.passphraseHint}`,
      );
    const header = await readAll(await downloadStream(client, bucket, key, { first: 0, last: HEADER_BYTES - 1 }));
    const opened = await openHeader(header, passphrase);
    if ('problem' in opened) throw new UserError(`Cannot decrypt ${names.subject}: ${opened.problem}`);
    stages.push(decryptStream(opened.key));
  }
  const received = measuring();
  const source = (await downloadStream(client, bucket, key)).pipe(received);
  const decrypted = stages.reduce<NodeJS.ReadableStream>((stream, stage) => stream.pipe(stage), source) as Readable;
  const plain = new PassThrough();
  const failures: Error[] = [];
  for (const stream of [source, decrypted]) stream.on('error', (error) => (failures.push(error), plain.end()));
  decrypted.pipe(plain);
  const check = (doing: string) => {
    if (failures.length > 0) throw new UserError(`${doing} failed: ${failures[0]!.message}`);
    if (received.bytes() !== manifest.bytes || received.sha256() !== manifest.sha256)
      throw new UserError(`${doing} read an object that differs from its manifest: ${names.subject} is damaged`);
  };
  return { plain, check };
}

/**
 * Restores a backup of `from` into `into` (the same service, or a new one): the object's
 * size and checksum are compared with its manifest as it streams, and an encrypted one's
 * passphrase is checked on its header before anything reaches the service.
 */
export async function restoreFromBucket(
  platform: Platform,
  kind: ServiceKind,
  from: ServiceRecord,
  backupId: string | undefined,
  into: ServiceRecord,
): Promise<void> {
  const { importCmd } = kind;
  if (!importCmd) throw new UserError(`${kind.title} services have no restore`);
  const backup = findBackup(platform, kind, from, backupId);
  const settings = readBackupSettings(platform, kind, from.name);
  if (!settings.auth)
    throw new UserError(`No backup credentials for ${from.name}: set them with ${kind.kind}:backup-auth`);
  const client = bucketClient(settings.auth);
  try {
    const manifest = await readManifest(client, backup.bucket, backup.key);
    const opened = await openStored(client, backup.bucket, backup.key, manifest, settings.passphrase, {
      subject: `backup ${backup.id}`,
      passphraseHint: `${kind.kind}:backup-set-encryption ${from.name}`,
    });
    const errors: string[] = [];
    const stderr = new PassThrough().on('data', (chunk: Buffer) => errors.push(chunk.toString()));
    const code = await execInService(platform, kind, into, importCmd(into), {
      stdin: opened.plain,
      stdout: new PassThrough().resume(),
      stderr,
    });
    opened.check(`Restore of ${backup.id}`);
    if (code !== 0)
      throw new UserError(`Restore of ${backup.id} failed: ${errors.join('').trim() || `exit code ${code}`}`);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`Restore of ${backup.id} failed: ${errorMessage(error)}`);
  } finally {
    client.destroy();
  }
}
