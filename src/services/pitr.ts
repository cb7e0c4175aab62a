import { ConflictError, errorMessage, UserError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { everyUntilAborted } from '../core/process.js';
import type { Platform } from '../platform.js';
import type { ServiceRecord } from '../state/index.js';
import { updateBackupSettings } from './backup-settings.js';
import { serviceStatus } from './containers.js';
import type { ServiceKind } from './kinds.js';
import { createService } from './lifecycle.js';
import { parseServiceName } from './names.js';
import {
  offsiteStatus,
  offsiteTarget,
  keepArchivesShipped,
  readOffsiteArchive,
  stageFromOffsite,
  unstage,
  type OffsiteListing,
  type OffsiteStatus,
  type OffsiteTarget,
} from './pitr-offsite.js';
import {
  pruneArchive,
  readArchive,
  retentionDays,
  runArchiveCommand,
  takeBaseBackup,
  withArchiveLock,
} from './pitr-archive.js';
import {
  baseBackupDue,
  pitrCommands,
  planFork,
  recoveryWindow,
  restoreEnv,
  RESTORE_PATH,
  type ArchiveListing,
  type RecoveryWindow,
} from './pitr-plan.js';

/**
 * Point-in-time recovery of Postgres services: every service archives its WAL and takes a
 * base backup at creation (or its first restart under this Slipway) and then daily, on its
 * archive volume; a fork is a new service restored from them to a moment in the window.
 */

/** A base backup a day: replay from it to any time of the day stays short. */
const BASE_BACKUP_INTERVAL_MS = 24 * 60 * 60_000;
/** How often the daemon looks whether a service's base backup is due. */
const BASE_BACKUP_TICK_MS = 10 * 60_000;

export interface RecoveryStatus {
  running: boolean;
  retentionDays: number;
  listing?: ArchiveListing;
  window?: RecoveryWindow;
  /** Why the archive could not be read. */
  problem?: string;
  /** Its copy in S3, when the service has one. */
  offsite?: OffsiteStatus;
}

/** What `<kind>:info` shows: the window (while the service runs, whose container reads the archive) and retention. */
export async function recoveryStatus(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
): Promise<RecoveryStatus> {
  const days = retentionDays(platform, kind, service.name);
  const running = (await serviceStatus(platform, kind, service.name)) === 'running';
  if (!running) return { running, retentionDays: days };
  try {
    const listing = await readArchive(platform, kind, service);
    const offsite = await offsiteStatus(platform, kind, service, listing.backups);
    return {
      running,
      retentionDays: days,
      listing,
      window: recoveryWindow(listing, Date.now(), running),
      ...(offsite ? { offsite } : {}),
    };
  } catch (error) {
    // e.g. a container made by an older Slipway, which has no archive until it is restarted
    return { running, retentionDays: days, problem: errorMessage(error) };
  }
}

/**
 * Makes `newName` a new service holding the data of `source` as it was at `at` (or now):
 * what was written until now is archived first, then the newest base backup consistent by
 * then is restored and the WAL replayed up to that moment. The source's archive stays locked
 * meanwhile, so retention removes nothing the fork reads. Bad input creates nothing.
 */
export async function forkService(
  platform: Platform,
  kind: ServiceKind,
  source: ServiceRecord,
  newName: string | undefined,
  at: Date | undefined,
  onLine: (line: string) => void,
): Promise<void> {
  const name = parseServiceName(kind, newName);
  if (platform.state.services.get(kind.kind, name))
    throw new ConflictError(`${kind.title} service ${name} already exists`);
  if (!kind.archivePath) throw new UserError(`${kind.title} services have no point-in-time recovery`);
  if ((await serviceStatus(platform, kind, source.name)) !== 'running')
    throw new UserError(`${kind.title} service ${source.name} is not running: start it to read its archive`);
  await withArchiveLock(platform, kind, source.name, async () => {
    const now = Date.now();
    await runArchiveCommand(platform, kind, source, pitrCommands.seal(), 'Archiving the latest WAL');
    const listing = await readArchive(platform, kind, source);
    const local = () => planFork(source.name, listing, recoveryWindow(listing, now, true), at, true);
    const target = offsiteTarget(platform, kind, source.name);
    const plan = target ? await planOrOffsite(local, source.name, at, target) : local();
    const { offsite } = plan as { offsite?: OffsiteSource };
    if (offsite) {
      onLine(
        `The local archive lacks it: reading base backup ${plan.base.id} and its WAL from s3://${offsite.target.bucket}`,
      );
      await stageFromOffsite(platform, kind, source, offsite.target, offsite.listing, plan.base);
    }
    onLine(`Restoring base backup ${plan.base.id} of ${source.name}${at ? ` up to ${at.toISOString()}` : ''}`);
    try {
      await createService(platform, kind, name, onLine, {
        from: source.name,
        path: RESTORE_PATH,
        env: restoreEnv(plan.base, source.name, plan.targetTime, offsite !== undefined),
      });
    } finally {
      if (offsite) await unstage(platform, kind, source);
    }
  });
}

/** Where a fork the local archive cannot serve reads from. */
interface OffsiteSource {
  target: OffsiteTarget;
  listing: OffsiteListing;
}

/**
 * The local archive's plan for a fork; when it cannot serve it (no base backup there that
 * early, e.g. on a new host), the plan from what S3 holds, whose window ends at its newest WAL.
 */
async function planOrOffsite(
  local: () => ReturnType<typeof planFork>,
  service: string,
  at: Date | undefined,
  target: OffsiteTarget,
): Promise<ReturnType<typeof planFork> & { offsite?: OffsiteSource }> {
  try {
    return local();
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const listing = await readOffsiteArchive(target);
    const window = recoveryWindow(listing, Date.now(), false);
    if (!window) throw error;
    // A time outside S3's window too is refused with that window (the local one may be empty).
    return { ...planFork(service, listing, window, at, false), offsite: { target, listing } };
  }
}

/** Sets how many days back recovery reaches, and applies it now when the service runs. */
export async function setRetention(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  days: number,
): Promise<string[]> {
  updateBackupSettings(platform, kind, service.name, { retentionDays: days });
  if ((await serviceStatus(platform, kind, service.name)) !== 'running') return [];
  return withArchiveLock(platform, kind, service.name, () => pruneArchive(platform, kind, service));
}

/**
 * In the daemon: a base backup of every running service with an archive whose newest is a
 * day old, and the archives shipped to S3 where the service has a target there.
 */
export function keepBaseBackups(
  platform: Platform,
  kinds: readonly ServiceKind[],
  log: Log,
  signal: AbortSignal,
): void {
  let busy = false;
  // Told once when a service's base backups start failing (one is tried every tick), again after one succeeded.
  const failing = new Set<string>();
  const tick = async () => {
    for (const kind of kinds.filter((k) => k.archivePath)) {
      for (const service of platform.state.services.list(kind.kind)) {
        if (signal.aborted) return;
        const told = `${kind.kind} ${service.name}`;
        try {
          if ((await serviceStatus(platform, kind, service.name)) !== 'running') continue;
          const { backups } = await readArchive(platform, kind, service);
          if (!baseBackupDue(backups, BASE_BACKUP_INTERVAL_MS, Date.now())) continue;
          const id = await takeBaseBackup(platform, kind, service);
          failing.delete(told);
          log(`base backup ${id} of ${kind.kind} ${service.name} taken`);
        } catch (error) {
          log(`base backup of ${told} failed: ${errorMessage(error)}`, { level: 'warn' });
          // Kept in the local archive: no bucket.
          if (!failing.has(told))
            platform.events.publish('backup.failed', { service: told, bucket: '', error: errorMessage(error) });
          failing.add(told);
        }
      }
    }
  };
  keepArchivesShipped(platform, kinds, log, signal);
  everyUntilAborted(BASE_BACKUP_TICK_MS, signal, () => {
    if (busy) return; // a look takes as long as the backups it starts
    busy = true;
    void tick().finally(() => (busy = false));
  });
}
