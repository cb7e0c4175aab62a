import { Writable } from 'node:stream';
import { UserError } from '../core/errors.js';
import type { Platform } from '../platform.js';
import type { ServiceRecord } from '../state/index.js';
import { readBackupSettings } from './backup-settings.js';
import { runInService } from './containers.js';
import type { ServiceCommand, ServiceKind } from './kinds.js';
import { newBackupId } from './offsite-backups.js';
import { parseArchiveListing, pitrCommands, retentionPlan, type ArchiveListing } from './pitr-plan.js';

/**
 * A Postgres service's archive volume, reached through its running container: base backups
 * into it, what it holds, and retention. One change at a time per service, across processes
 * (the daily base backup, a restart's, a fork reading it, a retention change).
 */

/** Days of recovery kept when the service has no retention of its own. */
export const DEFAULT_RETENTION_DAYS = 7;
const ARCHIVE_LOCK_WAIT_MS = 10 * 60_000;

export const withArchiveLock = <T>(platform: Platform, kind: ServiceKind, name: string, fn: () => Promise<T>) =>
  platform.locks.withLock(`archive:${kind.kind}.${name}`, ARCHIVE_LOCK_WAIT_MS, fn);

export const retentionDays = (platform: Platform, kind: ServiceKind, name: string) =>
  readBackupSettings(platform, kind, name).retentionDays ?? DEFAULT_RETENTION_DAYS;

/** Runs one of the archive's commands in the service; its output, or a UserError with what it said. */
export async function runArchiveCommand(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  command: ServiceCommand,
  what: string,
): Promise<string> {
  const chunks: Buffer[] = [];
  const stdout = new Writable({ write: (chunk: Buffer, _e, done) => (chunks.push(chunk), done()) });
  const { code, errors } = await runInService(platform, kind, service, command, stdout);
  if (code !== 0) throw new UserError(`${what} of ${service.name} failed: ${errors || `exit code ${code}`}`);
  return Buffer.concat(chunks).toString();
}

export async function readArchive(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
): Promise<ArchiveListing> {
  return parseArchiveListing(
    await runArchiveCommand(platform, kind, service, pitrCommands.list(), 'Reading the archive'),
  );
}

/** Removes what the service's retention no longer needs; returns the base backups removed. */
export async function pruneArchive(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  now = Date.now(),
): Promise<string[]> {
  const listing = await readArchive(platform, kind, service);
  const plan = retentionPlan(listing.backups, retentionDays(platform, kind, service.name), now);
  if (plan.keepFromWal === undefined) return [];
  await runArchiveCommand(
    platform,
    kind,
    service,
    pitrCommands.prune(plan.keepFromWal, plan.remove),
    'Pruning the archive',
  );
  return plan.remove;
}

/** A base backup of the running service into its archive, then retention; returns its ID. */
export function takeBaseBackup(platform: Platform, kind: ServiceKind, service: ServiceRecord): Promise<string> {
  return withArchiveLock(platform, kind, service.name, async () => {
    const id = newBackupId(Date.now());
    await runArchiveCommand(platform, kind, service, pitrCommands.baseBackup(id), 'The base backup');
    await pruneArchive(platform, kind, service);
    return id;
  });
}
