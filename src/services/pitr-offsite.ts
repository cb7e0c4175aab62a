import { PassThrough, type Writable } from 'node:stream';
import { errorMessage, UserError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { everyUntilAborted } from '../core/process.js';
import type { Platform } from '../platform.js';
import type { ServiceRecord } from '../state/index.js';
import { readBackupSettings, type BackupAuth } from './backup-settings.js';
import {
  bucketClient,
  type BucketClient,
  deleteObject,
  downloadStream,
  listKeys,
  putSmallObject,
  readAll,
  storeVerified,
  type Stored,
} from './bucket.js';
import { execInService, runInService, serviceStatus } from './containers.js';
import type { ServiceKind } from './kinds.js';
import { ENCRYPTION_FORMAT, openStored, readManifest } from './offsite-backups.js';
import { readArchive, retentionDays, runArchiveCommand, withArchiveLock } from './pitr-archive.js';
import {
  archivePath,
  BASE_BACKUP_FILES,
  filesToShip,
  offsiteBaseBackups,
  orphanedBaseKeys,
  parseWalList,
  pitrCommands,
  retentionPlan,
  shippingPlan,
  walBefore,
  walNeededFrom,
  type ArchivedWal,
  type ArchiveFile,
  type ArchiveListing,
  type BaseBackup,
} from './pitr-plan.js';

/**
 * A Postgres service's archive, copied to S3 when it has backup credentials and a backup
 * schedule (its bucket is the service's backup target). Postgres's archive_command stays
 * local and fast; the daemon ships from the archive volume what S3 lacks, each file published
 * as backups are (streamed, read back and compared, then its manifest written), and applies
 * the service's retention there too. A fork reads it when the local archive lacks what it
 * needs (a new host, a lost volume). In the bucket, under `<kind>/<service>/archive/`:
 * `wal/<name>`, `base/<id>/<file>`, and `base/<id>.json`, written last, which lists a base
 * backup as complete.
 */

/** How often the daemon looks for archived files to ship: S3 is at most this much behind the archive. */
const SHIP_TICK_MS = 15_000;

export interface OffsiteTarget {
  auth: BackupAuth;
  bucket: string;
  passphrase?: string;
  prefix: string;
}

/** What S3 holds of a service's archive. */
export interface OffsiteListing extends ArchiveListing {
  wal: string[];
  /** The newest shipped WAL segment's name. */
  newestWal?: string;
  /** The keys of base backups without their marker, by ID: never listed in `backups`. */
  incomplete: Map<string, string[]>;
}

/** Where the service's archive goes off-site, if it does. */
export function offsiteTarget(platform: Platform, kind: ServiceKind, name: string): OffsiteTarget | undefined {
  const { auth, schedule, passphrase } = readBackupSettings(platform, kind, name);
  if (!kind.archivePath || !auth || !schedule) return undefined;
  return { auth, bucket: schedule.bucket, prefix: `${kind.kind}/${name}/archive/`, passphrase };
}

const baseMarker = (target: OffsiteTarget, id: string) => `${target.prefix}base/${id}.json`;
const objectKey = (target: OffsiteTarget, file: ArchiveFile) => `${target.prefix}${archivePath(file)}`;

const withClient = async <T>(target: OffsiteTarget, fn: (client: BucketClient) => Promise<T>): Promise<T> => {
  const client = bucketClient(target.auth);
  try {
    return await fn(client);
  } finally {
    client.destroy();
  }
};

/** The complete base backups and the WAL in S3 (only files whose manifest says they were verified). */
async function readOffsite(client: BucketClient, target: OffsiteTarget): Promise<OffsiteListing> {
  const keys = await listKeys(client, target.bucket, target.prefix);
  const wal = keys
    .filter((key) => key.startsWith(`${target.prefix}wal/`) && key.endsWith('.json'))
    .map((key) => key.slice(`${target.prefix}wal/`.length, -'.json'.length))
    .sort();
  const { complete, incomplete } = offsiteBaseBackups(keys, target.prefix);
  const backups = await Promise.all(
    complete.map(
      async (id) =>
        JSON.parse(
          (await readAll(await downloadStream(client, target.bucket, baseMarker(target, id)))).toString(),
        ) as BaseBackup,
    ),
  );
  backups.sort((a, b) => a.finishedAt - b.finishedAt);
  const newestWal = wal.filter((name) => /^[0-9A-F]{24}$/.test(name)).pop();
  const newestWalAt =
    newestWal === undefined
      ? undefined
      : ((await readManifest(client, target.bucket, objectKey(target, { wal: newestWal }))) as { archivedAt?: number })
          .archivedAt;
  return {
    backups,
    wal,
    bytes: 0,
    incomplete,
    ...(newestWal ? { newestWal } : {}),
    ...(newestWalAt ? { newestWalAt } : {}),
  };
}

/** What S3 lacks of the archive's WAL and base backups. */
const planShipping = (wal: ArchivedWal[], backups: BaseBackup[], remote: OffsiteListing) =>
  shippingPlan(
    { wal: wal.map((w) => w.name), backups: backups.map((b) => b.id) },
    { wal: new Set(remote.wal), backups: new Set(remote.backups.map((b) => b.id)) },
  );

/** One file of the archive into S3, verified, with what its manifest says of it. */
async function shipFile(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  client: BucketClient,
  target: OffsiteTarget,
  file: ArchiveFile,
  extra: object = {},
): Promise<void> {
  const send = async (sink: Writable) => {
    const { code, errors } = await runInService(platform, kind, service, pitrCommands.send(file), sink);
    if (code !== 0) throw new Error(`reading ${archivePath(file)} failed: ${errors || `exit code ${code}`}`);
  };
  const manifest = (stored: Stored) => ({
    service: service.name,
    kind: kind.kind,
    file: archivePath(file),
    ...stored,
    encryption: target.passphrase === undefined ? null : ENCRYPTION_FORMAT,
    ...extra,
  });
  await storeVerified(
    client,
    { bucket: target.bucket, key: objectKey(target, file) },
    send,
    target.passphrase,
    manifest,
  );
}

/** Unpublishes (manifest or marker first), then deletes. */
const deleteKeys = (client: BucketClient, bucket: string, keys: string[]) =>
  keys.reduce((done, key) => done.then(() => deleteObject(client, bucket, key)), Promise.resolve());

/** The service's retention, applied in S3: the same plan as on its archive volume. */
async function pruneOffsite(client: BucketClient, target: OffsiteTarget, listing: OffsiteListing, days: number) {
  const plan = retentionPlan(listing.backups, days, Date.now());
  if (plan.keepFromWal === undefined) return;
  for (const id of plan.remove) {
    const files = BASE_BACKUP_FILES.map((file) => objectKey(target, { base: id, file }));
    await deleteKeys(client, target.bucket, [baseMarker(target, id), ...files.flatMap((key) => [`${key}.json`, key])]);
  }
  for (const name of listing.wal.filter((wal) => walBefore(wal, plan.keepFromWal!))) {
    const key = objectKey(target, { wal: name });
    await deleteKeys(client, target.bucket, [`${key}.json`, key]);
  }
}

/** Ships what S3 lacks of the service's archive, then applies retention there; returns what was shipped. */
export function shipArchive(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  target: OffsiteTarget,
): Promise<{ wal: number; backups: number }> {
  return withArchiveLock(platform, kind, service.name, () =>
    withClient(target, async (client) => {
      const local = await readArchive(platform, kind, service);
      const wal = parseWalList(
        await runArchiveCommand(platform, kind, service, pitrCommands.walList(), 'Reading the archive'),
      );
      const remote = await readOffsite(client, target);
      // what a shipment cut short left of a base backup the archive has lost since
      await deleteKeys(
        client,
        target.bucket,
        orphanedBaseKeys(
          remote.incomplete,
          local.backups.map((b) => b.id),
        ),
      );
      const plan = planShipping(wal, local.backups, remote);
      const walToShip = new Set(plan.wal);
      for (const { name, archivedAt } of wal.filter((w) => walToShip.has(w.name)))
        await shipFile(platform, kind, service, client, target, { wal: name }, { archivedAt });
      for (const base of local.backups.filter((b) => plan.backups.includes(b.id))) {
        for (const file of BASE_BACKUP_FILES)
          await shipFile(platform, kind, service, client, target, { base: base.id, file });
        await putSmallObject(client, target.bucket, baseMarker(target, base.id), JSON.stringify(base));
      }
      const shipped = plan.backups.length + plan.wal.length > 0 ? await readOffsite(client, target) : remote;
      await pruneOffsite(client, target, shipped, retentionDays(platform, kind, service.name));
      return { wal: plan.wal.length, backups: plan.backups.length };
    }),
  );
}

/** What `<kind>:info` shows of the off-site archive. */
export interface OffsiteStatus {
  bucket: string;
  backups?: number;
  newestWal?: string;
  newestWalAt?: number;
  /** Files of the archive not yet in S3: WAL, and the files of base backups not yet published there. */
  waiting?: number;
  problem?: string;
}

/** `localBackups`: the base backups in the service's archive (what its status read already). */
export async function offsiteStatus(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  localBackups: BaseBackup[],
): Promise<OffsiteStatus | undefined> {
  const target = offsiteTarget(platform, kind, service.name);
  if (!target) return undefined;
  try {
    const remote = await withClient(target, (client) => readOffsite(client, target));
    const local = parseWalList(
      await runArchiveCommand(platform, kind, service, pitrCommands.walList(), 'Reading the archive'),
    );
    return {
      bucket: target.bucket,
      backups: remote.backups.length,
      ...(remote.newestWal ? { newestWal: remote.newestWal, newestWalAt: remote.newestWalAt } : {}),
      waiting: filesToShip(planShipping(local, localBackups, remote)),
    };
  } catch (error) {
    return { bucket: target.bucket, problem: errorMessage(error) };
  }
}

/** What S3 holds of the service's archive, for a fork the local archive cannot serve. */
export function readOffsiteArchive(target: OffsiteTarget): Promise<OffsiteListing> {
  return withClient(target, (client) => readOffsite(client, target));
}

/**
 * Copies from S3 into the source's archive volume (its staging directory, which the fork's
 * first start reads) the base backup and the WAL a restore from it reads, each checked
 * against its manifest and decrypted on the way.
 */
export async function stageFromOffsite(
  platform: Platform,
  kind: ServiceKind,
  source: ServiceRecord,
  target: OffsiteTarget,
  listing: OffsiteListing,
  base: BaseBackup,
): Promise<void> {
  const files: ArchiveFile[] = [
    ...BASE_BACKUP_FILES.map((file) => ({ base: base.id, file })),
    ...walNeededFrom(listing.wal, base).map((wal) => ({ wal })),
  ];
  await runArchiveCommand(platform, kind, source, pitrCommands.unstage(), 'Clearing the staging area');
  await withClient(target, async (client) => {
    for (const file of files) {
      const key = objectKey(target, file);
      const opened = await openStored(
        client,
        target.bucket,
        key,
        await readManifest(client, target.bucket, key),
        target.passphrase,
        {
          subject: `the archived ${archivePath(file)}`,
          passphraseHint: `${kind.kind}:backup-set-encryption ${source.name}`,
        },
      );
      const errors: string[] = [];
      const stderr = new PassThrough().on('data', (chunk: Buffer) => errors.push(chunk.toString()));
      const code = await execInService(platform, kind, source, pitrCommands.receive(file), {
        stdin: opened.plain,
        stdout: new PassThrough().resume(),
        stderr,
      });
      opened.check(`Reading s3://${target.bucket}/${key}`);
      if (code !== 0)
        throw new UserError(`Staging ${archivePath(file)} failed: ${errors.join('').trim() || `exit code ${code}`}`);
    }
  });
}

/** Removes what a fork from S3 staged. */
export const unstage = (platform: Platform, kind: ServiceKind, source: ServiceRecord) =>
  runArchiveCommand(platform, kind, source, pitrCommands.unstage(), 'Clearing the staging area');

/**
 * In the daemon: every SHIP_TICK_MS, ships the archive of each running service that has an
 * off-site target. A failure is logged when it first happens (and again when it changes),
 * not on every look, and the next look tries again.
 */
export function keepArchivesShipped(
  platform: Platform,
  kinds: readonly ServiceKind[],
  log: Log,
  signal: AbortSignal,
): void {
  let busy = false;
  const failing = new Map<string, string>();
  const tick = async () => {
    for (const kind of kinds.filter((k) => k.archivePath)) {
      for (const service of platform.state.services.list(kind.kind)) {
        if (signal.aborted) return;
        const target = offsiteTarget(platform, kind, service.name);
        const key = `${kind.kind} ${service.name}`;
        if (!target) continue;
        try {
          if ((await serviceStatus(platform, kind, service.name)) !== 'running') continue;
          const shipped = await shipArchive(platform, kind, service, target);
          if (failing.delete(key)) log(`archive of ${key} ships to s3://${target.bucket} again`);
          if (shipped.backups > 0)
            log(`archive of ${key}: ${shipped.backups} base backup(s) and ${shipped.wal} WAL file(s) shipped`);
        } catch (error) {
          const reason = errorMessage(error);
          if (failing.get(key) !== reason)
            log(`archive of ${key} cannot ship to s3://${target.bucket}: ${reason}`, { level: 'warn' });
          failing.set(key, reason);
        }
      }
    }
  };
  everyUntilAborted(SHIP_TICK_MS, signal, () => {
    if (busy) return;
    busy = true;
    void tick().finally(() => (busy = false));
  });
}
