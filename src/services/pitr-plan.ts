import { UserError } from '../core/errors.js';
import type { ServiceCommand } from './kinds.js';

/**
 * Pure: point-in-time recovery's decisions. What the archive holds (as `slipway-pitr list`
 * tells it), the recovery window it gives, the base backup a fork starts from, which backups
 * retention removes, the time a user names, and the commands run in the container.
 */

/** A complete base backup in the archive volume. */
export interface BaseBackup {
  id: string;
  /** The first WAL file replay from this backup needs. */
  startWal: string;
  startedAt: number;
  /** Once pg_basebackup had returned: a restore of it is consistent at any time from then on. */
  finishedAt: number;
}

export interface ArchiveListing {
  /** Oldest first. */
  backups: BaseBackup[];
  /** When the newest WAL file was archived, if any was. */
  newestWalAt?: number;
  bytes: number;
}

/** The earliest and latest times a fork can hold the data of. */
export interface RecoveryWindow {
  earliest: number;
  latest: number;
}

const BASE_BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;
const WAL_FILE = /^[0-9A-F]{24}$/;
const DAY_MS = 86_400_000;

/** Where the start script finds the archive a fork restores from. */
export const RESTORE_PATH = '/var/lib/postgresql/restore-from';
const PITR = '/usr/local/bin/slipway-pitr';

/** What Slipway runs in a Postgres service's container for its archive (templates/services/postgres-pitr). */
export const pitrCommands = {
  baseBackup: (id: string): ServiceCommand => ({ user: 'postgres', cmd: [PITR, 'base-backup', validId(id)] }),
  seal: (): ServiceCommand => ({ user: 'postgres', cmd: [PITR, 'seal'] }),
  list: (): ServiceCommand => ({ user: 'postgres', cmd: [PITR, 'list'] }),
  prune: (keepFromWal: string, ids: string[]): ServiceCommand => {
    if (!WAL_FILE.test(keepFromWal)) throw new Error(`not a WAL file name: ${keepFromWal}`);
    return { user: 'postgres', cmd: [PITR, 'prune', keepFromWal, ...ids.map(validId)] };
  },
  walList: (): ServiceCommand => ({ user: 'postgres', cmd: [PITR, 'wal-list'] }),
  send: (file: ArchiveFile): ServiceCommand => ({ user: 'postgres', cmd: [PITR, 'send', archivePath(file)] }),
  receive: (file: ArchiveFile): ServiceCommand => ({ user: 'postgres', cmd: [PITR, 'receive', archivePath(file)] }),
  unstage: (): ServiceCommand => ({ user: 'postgres', cmd: [PITR, 'unstage'] }),
};

/** Where restore() finds what a fork from S3 staged in the source's archive volume. */
export const STAGING_DIR = 'staging';

/** A WAL file's name as Postgres archives it: a segment, a timeline's history, or a backup label. */
const ARCHIVED_WAL = /^[0-9A-F]{24}$|^[0-9A-F]{8}\.history$|^[0-9A-F]{24}\.[0-9A-F]{8}\.backup$/;
/** What a base backup holds that a restore reads (pg_basebackup -Ft -z -X stream). */
export const BASE_BACKUP_FILES = ['base.tar.gz', 'pg_wal.tar.gz'] as const;

/** One file of the archive: a WAL file, or a file of a base backup. */
export type ArchiveFile = { wal: string } | { base: string; file: (typeof BASE_BACKUP_FILES)[number] };

/** The file's path in the archive (and in S3 under the service's prefix), checked. */
export function archivePath(file: ArchiveFile): string {
  if ('wal' in file) {
    if (!ARCHIVED_WAL.test(file.wal)) throw new Error(`not an archived WAL file name: ${file.wal}`);
    return `wal/${file.wal}`;
  }
  if (!BASE_BACKUP_FILES.includes(file.file)) throw new Error(`not a base backup file: ${file.file}`);
  return `base/${validId(file.base)}/${file.file}`;
}

/** An archived WAL file: its name and when it was archived. */
export interface ArchivedWal {
  name: string;
  archivedAt: number;
}

/** `slipway-pitr wal-list`'s output, oldest name first; names it does not know are left out. */
export function parseWalList(text: string): ArchivedWal[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([name, seconds]) => name !== undefined && ARCHIVED_WAL.test(name) && Number(seconds) > 0)
    .map(([name = '', seconds]) => ({ name, archivedAt: Math.floor(Number(seconds) * 1000) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Whether a WAL file is one pg_archivecleanup removes before `keepFromWal`: an older segment of any timeline. */
export const walBefore = (name: string, keepFromWal: string) =>
  WAL_FILE.test(name) && name.slice(8) < keepFromWal.slice(8);

/**
 * The WAL a restore from `base` reads: the segments from its first on, of any timeline,
 * and every history and backup label file (small; recovery asks for them).
 */
export const walNeededFrom = (names: string[], base: BaseBackup) =>
  names.filter((name) => !WAL_FILE.test(name) || !walBefore(name, base.startWal));

/**
 * What is in the archive and not yet in S3: WAL files in the order Postgres wrote them, then
 * base backups (a base backup is of use only with the WAL after it).
 */
export function shippingPlan(
  local: { wal: string[]; backups: string[] },
  shipped: { wal: Set<string>; backups: Set<string> },
): { wal: string[]; backups: string[] } {
  return {
    wal: local.wal.filter((name) => !shipped.wal.has(name)).sort(),
    backups: local.backups.filter((id) => !shipped.backups.has(id)),
  };
}

/**
 * How many files S3 still lacks of what the archive holds: each WAL file and each file of each
 * base backup. A base backup counts until it is published: its WAL alone cannot be restored,
 * so "0 waiting" must mean S3 can serve a fork, not that the WAL is there.
 */
export const filesToShip = (plan: { wal: string[]; backups: string[] }) =>
  plan.wal.length + plan.backups.length * BASE_BACKUP_FILES.length;

const MARKER_KEY = /^base\/(\d{8}T\d{6}Z-[0-9a-f]{6})\.json$/;
const BASE_FILE_KEY = /^base\/(\d{8}T\d{6}Z-[0-9a-f]{6})\//;

/**
 * The base backups S3 holds, from the keys under a service's prefix: the complete ones (their
 * marker `base/<id>.json`, written after every file, is there), oldest ID first, and the
 * files (and their manifests) of the others, which a shipment cut short left: the local
 * archive lost the backup mid-ship, or the daemon stopped. Only complete ones serve a fork.
 */
export function offsiteBaseBackups(
  keys: string[],
  prefix: string,
): { complete: string[]; incomplete: Map<string, string[]> } {
  const relative = keys.filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length));
  const complete = relative.flatMap((key) => MARKER_KEY.exec(key)?.[1] ?? []).sort();
  const marked = new Set(complete);
  const incomplete = new Map<string, string[]>();
  for (const key of relative) {
    const id = BASE_FILE_KEY.exec(key)?.[1];
    if (id === undefined || marked.has(id)) continue;
    incomplete.set(id, [...(incomplete.get(id) ?? []), `${prefix}${key}`]);
  }
  return { complete, incomplete };
}

/**
 * What S3 keeps of incomplete base backups that the local archive no longer holds, to delete
 * (one it still holds ships again, over them): nothing could ever complete them. Each
 * manifest before its file, so that no file reads as verified once its bytes are gone.
 */
export function orphanedBaseKeys(incomplete: Map<string, string[]>, localIds: string[]): string[] {
  const local = new Set(localIds);
  return [...incomplete]
    .filter(([id]) => !local.has(id))
    .flatMap(([, keys]) => [...keys].sort((a, b) => Number(b.endsWith('.json')) - Number(a.endsWith('.json'))));
}

function validId(id: string): string {
  if (!BASE_BACKUP_ID.test(id)) throw new Error(`not a base backup ID: ${id}`);
  return id;
}

/** What the start script reads to restore a fork (templates/services/postgres-start). */
export function restoreEnv(
  base: BaseBackup,
  sourceDatabase: string,
  targetTime?: string,
  staged = false,
): Record<string, string> {
  return {
    SLIPWAY_RESTORE_BASE: validId(base.id),
    SLIPWAY_RESTORE_DATABASE: sourceDatabase,
    ...(targetTime === undefined ? {} : { SLIPWAY_RESTORE_TARGET_TIME: targetTime }),
    ...(staged ? { SLIPWAY_RESTORE_DIR: STAGING_DIR } : {}),
  };
}

/** `slipway-pitr list`'s output; a line it does not know is an error (the script and this go together). */
export function parseArchiveListing(text: string): ArchiveListing {
  const listing: ArchiveListing = { backups: [], bytes: 0 };
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const words = line.trim().split(/\s+/);
    const [what, ...rest] = words;
    if (what === 'base' && rest.length === 4) {
      const [id = '', startWal = '', started, finished] = rest;
      const startedAt = Number(started);
      const finishedAt = Number(finished);
      if (BASE_BACKUP_ID.test(id) && WAL_FILE.test(startWal) && startedAt > 0 && finishedAt >= startedAt) {
        listing.backups.push({ id, startWal, startedAt, finishedAt });
        continue;
      }
    } else if (what === 'wal' && rest.length === 1) {
      if (rest[0] === 'none') continue;
      const seconds = Number(rest[0]);
      if (seconds > 0) {
        listing.newestWalAt = Math.floor(seconds * 1000);
        continue;
      }
    } else if (what === 'bytes' && rest.length === 1 && /^\d+$/.test(rest[0]!)) {
      listing.bytes = Number(rest[0]);
      continue;
    }
    throw new Error(`unexpected line in the archive listing: ${JSON.stringify(line.slice(0, 120))}`);
  }
  listing.backups.sort((a, b) => a.finishedAt - b.finishedAt);
  return listing;
}

/**
 * From the end of the oldest base backup to the latest archived WAL, or to `now` while the
 * service runs (a fork first archives what was written until then). None without a backup.
 */
export function recoveryWindow(listing: ArchiveListing, now: number, running: boolean): RecoveryWindow | undefined {
  const [oldest] = listing.backups;
  if (!oldest) return undefined;
  const newestBackup = listing.backups[listing.backups.length - 1]!;
  const latest = running ? now : Math.max(listing.newestWalAt ?? 0, newestBackup.finishedAt);
  return { earliest: oldest.finishedAt, latest };
}

/**
 * A user's time: `YYYY-MM-DD HH:MM[:SS[.ffffff]]` (or with a `T`) and its zone (`Z`, `UTC`,
 * `+HH`, `+HH:MM`, `+HHMM`), which is required: a time without one means different moments on
 * the laptop and the host.
 */
export function parseRecoveryTime(text: string): Date {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)? ?(Z|UTC|[+-]\d{2}(?::?\d{2})?)$/i.exec(
      text.trim(),
    );
  const invalid = () =>
    new UserError(
      `Invalid time ${JSON.stringify(text.slice(0, 80))}: give a date, a time and its zone, e.g. "2026-12-06 10:42:00+00"`,
    );
  if (!match) throw invalid();
  const [, year, month, day, hour, minute, second = '0', fraction = '', zone = ''] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = fields;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, Number(fraction.padEnd(3, '0').slice(0, 3)));
  const back = new Date(utc);
  // Date.UTC rolls 2026-02-30 over to March: such a date does not exist.
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw invalid();
  return new Date(utc - zoneOffsetMinutes(zone, invalid) * 60_000);
}

function zoneOffsetMinutes(zone: string, invalid: () => Error): number {
  if (/^(Z|UTC)$/i.test(zone)) return 0;
  const [, sign = '+', hours = '0', minutes = '0'] = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone) ?? [];
  if (Number(hours) > 15 || Number(minutes) > 59) throw invalid();
  return (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes));
}

/** A time as Postgres reads recovery_target_time, in UTC. */
export function recoveryTargetText(at: Date): string {
  return `${at.toISOString().replace('T', ' ').replace('Z', '')}+00`;
}

/** How a window reads in messages and in info. */
export const windowText = (window: RecoveryWindow, running: boolean) =>
  `${new Date(window.earliest).toISOString()} .. ${running ? 'now' : new Date(window.latest).toISOString()}`;

/**
 * The base backup a fork of `service` at `at` (or at the latest, without) starts from: the
 * newest one consistent by then. A time outside the window is refused with the window.
 */
export function planFork(
  service: string,
  listing: ArchiveListing,
  window: RecoveryWindow | undefined,
  at: Date | undefined,
  running: boolean,
): { base: BaseBackup; targetTime?: string } {
  const newest = listing.backups[listing.backups.length - 1];
  if (!window || !newest)
    throw new UserError(`${service} has no base backup yet (one is taken when it is created or restarted, then daily)`);
  if (at === undefined) return { base: newest };
  const when = at.toISOString();
  if (at.getTime() < window.earliest)
    throw new UserError(`${when} is before the recovery window of ${service} (${windowText(window, running)})`);
  if (at.getTime() > window.latest)
    throw new UserError(`${when} is after the recovery window of ${service} (${windowText(window, running)})`);
  const base = listing.backups.filter((b) => b.finishedAt <= at.getTime()).pop()!;
  return { base, targetTime: recoveryTargetText(at) };
}

/**
 * What retention removes: the base backups not needed to reach back `days` from `now`. Kept:
 * every backup that ended within those days, the newest one before them (a fork at the start
 * of the window starts from it) and always the newest. The WAL before the oldest kept
 * backup's first file goes too.
 */
export function retentionPlan(
  backups: BaseBackup[],
  days: number,
  now: number,
): { remove: string[]; keepFromWal?: string } {
  const cutoff = now - days * DAY_MS;
  const sorted = [...backups].sort((a, b) => a.finishedAt - b.finishedAt);
  const firstInside = sorted.findIndex((b) => b.finishedAt >= cutoff);
  const firstKept = firstInside === -1 ? sorted.length - 1 : Math.max(0, firstInside - 1);
  if (firstKept < 0) return { remove: [] };
  return { remove: sorted.slice(0, firstKept).map((b) => b.id), keepFromWal: sorted[firstKept]!.startWal };
}

/** Whether the newest base backup is older than `intervalMs` (or there is none): time for another. */
export function baseBackupDue(backups: BaseBackup[], intervalMs: number, now: number): boolean {
  const newest = backups.reduce((latest, b) => Math.max(latest, b.startedAt), 0);
  return now - newest >= intervalMs;
}
