import { errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { everyUntilAborted } from '../core/process.js';
import { nextRun } from '../model/cron.js';
import type { Platform } from '../platform.js';
import { scheduledServices } from './backup-settings.js';
import { allServiceKinds } from './names.js';
import { backupToBucket } from './offsite-backups.js';

/** Schedules fire on whole minutes; a look every 15 s starts a backup within 15 s of its time. */
const TICK_MS = 15_000;

/** Whether the schedule has a time in (`since`, `now`]: it is due on this tick. Pure. */
export function dueBetween(cron: string, since: Date, now: Date): boolean {
  return nextRun(cron, since).getTime() <= now.getTime();
}

export interface ScheduledBackup {
  key: string;
  cron: string;
  run: () => Promise<unknown>;
}

/**
 * One look at the schedules: starts those due since the last look, and returns the time of
 * this one. Schedules are read again on every look from the service's backup settings, so a
 * change (or a daemon restart) shows up at once; backups that fell due while the daemon was
 * down are not made up (as cron).
 */
export function runDueBackups(
  schedules: ScheduledBackup[],
  since: Date,
  now: Date,
  onError: (key: string, error: unknown) => void,
): Date {
  for (const schedule of schedules) {
    if (dueBetween(schedule.cron, since, now)) schedule.run().catch((error: unknown) => onError(schedule.key, error));
  }
  return now;
}

/**
 * In the daemon: each service's backup schedule, run into its bucket, and the `others`
 * (Slipway's own state's, from src/state-backup) on the same clock.
 */
export function keepBackupSchedules(
  platform: Platform,
  log: Log,
  signal: AbortSignal,
  others: () => ScheduledBackup[] = () => [],
): void {
  let since = new Date();
  const tick = () => {
    let schedules: ScheduledBackup[];
    try {
      schedules = scheduledServices(platform, allServiceKinds).map(({ kind, name, cron, bucket }) => ({
        key: `${kind.kind} ${name}`,
        cron,
        run: async () => {
          const service = platform.state.services.get(kind.kind, name);
          if (service) await backupToBucket(platform, kind, service, bucket, log);
        },
      }));
      schedules.push(...others());
    } catch (error) {
      log(`backup schedules cannot be read: ${errorMessage(error)}`, { level: 'warn' });
      return;
    }
    // backupToBucket records and logs its own failures; this catches only what it could not.
    since = runDueBackups(schedules, since, new Date(), (key, error) =>
      log(`scheduled backup of ${key}: ${errorMessage(error)}`, { level: 'debug' }),
    );
  };
  everyUntilAborted(TICK_MS, signal, tick);
}
