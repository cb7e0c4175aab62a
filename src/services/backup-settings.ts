import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readIfExists, writeAtomically } from '../core/files.js';
import { ownerIsGone } from '../core/owner.js';
import type { Platform } from '../platform.js';
import type { ServiceKind } from './kinds.js';

/**
 * A service's backup settings (credentials, passphrase, schedule, retention) and the record of
 * its backups. They live in a directory of their own under the data dir, readable by root
 * only, as Slipway's other secrets: the state database is copied around more freely (and its
 * backups must not carry the keys that open the backups).
 */
const authSchema = z.object({
  accessKeyId: z.string(),
  secretAccessKey: z.string(),
  region: z.string(),
  signatureVersion: z.string(),
  endpoint: z.string().optional(),
});
const settingsSchema = z.object({
  auth: authSchema.optional(),
  passphrase: z.string().optional(),
  schedule: z.object({ cron: z.string(), bucket: z.string() }).optional(),
  /** How many days back point-in-time recovery reaches (Postgres). */
  retentionDays: z.number().int().positive().optional(),
});
export type BackupAuth = z.infer<typeof authSchema>;
export type BackupSettings = z.infer<typeof settingsSchema>;

const attemptSchema = z.object({
  id: z.string(),
  startedAt: z.number(),
  finishedAt: z.number(),
  /** `running` is recorded when a backup starts, and replaced when it ends. */
  status: z.enum(['ok', 'failed', 'running']),
  /** The process running it (core/owner.ts): one that is gone was killed in the middle. */
  owner: z.string().optional(),
  bucket: z.string(),
  key: z.string().optional(),
  /**
   * The multipart upload of `key` while it runs: one interrupted is aborted (its parts deleted)
   * when the daemon starts again, or else by the next backup.
   */
  uploadId: z.string().optional(),
  /** A backup written to a host directory instead of a bucket (state:backup --local). */
  file: z.string().optional(),
  bytes: z.number().optional(),
  sha256: z.string().optional(),
  encrypted: z.boolean(),
  error: z.string().optional(),
});
/** One backup attempt, good or failed (with why). */
export type BackupAttempt = z.infer<typeof attemptSchema>;

/** Why an attempt whose process died in the middle failed. */
export const INTERRUPTED =
  'interrupted: Slipway stopped during the backup (nothing of it is published; the next backup starts afresh)';

/** A running attempt whose process is gone was interrupted (a daemon killed, a host rebooted). */
const settled = (attempt: BackupAttempt): BackupAttempt =>
  attempt.status === 'running' && ownerIsGone(attempt.owner ?? '')
    ? { ...attempt, status: 'failed', error: INTERRUPTED }
    : attempt;

/** Attempts kept per service (older lines go). */
const KEPT_ATTEMPTS = 200;

/** Under the data dir: each service's backup settings, in a directory of its own. */
export const SERVICE_BACKUPS_DIR = 'service-backups';

const serviceDir = (platform: Platform, kind: ServiceKind, name: string) =>
  path.join(platform.settings.dataDir, SERVICE_BACKUPS_DIR, `${kind.kind}.${name}`);

/** Durably, as every config file: a power loss must not lose the passphrase that opens the backups. */
function writePrivately(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeAtomically(file, text, 0o600);
}

/**
 * Backup settings and attempts kept in one directory: a service's, or Slipway's own state's
 * (src/state-backup), which back up the same way.
 */
export function backupSettingsIn(dir: string) {
  const read = (): BackupSettings => {
    const text = readIfExists(path.join(dir, 'settings.json'));
    return text === undefined ? {} : settingsSchema.parse(JSON.parse(text));
  };
  /** Newest first; one that was running when its process died reads as failed (interrupted). */
  const attempts = (): BackupAttempt[] => {
    const text = readIfExists(path.join(dir, 'attempts.json'));
    return text === undefined ? [] : z.array(attemptSchema).parse(JSON.parse(text)).reverse().map(settled);
  };
  return {
    read,
    attempts,
    /** Changes some settings (a key given as undefined is removed). */
    update(change: Partial<BackupSettings>): void {
      writePrivately(path.join(dir, 'settings.json'), JSON.stringify({ ...read(), ...change }));
    },
    /** Adds the attempt, or replaces the one of the same ID in its place (a running one that ended). */
    record(attempt: BackupAttempt): void {
      const oldestFirst = attempts().reverse();
      const at = oldestFirst.findIndex((a) => a.id === attempt.id);
      if (at === -1) oldestFirst.push(attempt);
      else oldestFirst[at] = attempt;
      const kept = oldestFirst.slice(-KEPT_ATTEMPTS);
      writePrivately(path.join(dir, 'attempts.json'), JSON.stringify(kept));
    },
  };
}
export type BackupSettingsStore = ReturnType<typeof backupSettingsIn>;

/** A service's backup settings and attempts. */
export const serviceBackupSettings = (platform: Platform, kind: ServiceKind, name: string) =>
  backupSettingsIn(serviceDir(platform, kind, name));

/**
 * Every service's backup settings and attempts, named as the backup events name the service
 * (`postgres big`): a destroyed service's too, whose directory stays (with what its
 * interrupted backups may have left in a bucket).
 */
export function serviceBackupStores(platform: Platform): { name: string; store: BackupSettingsStore }[] {
  const root = path.join(platform.settings.dataDir, SERVICE_BACKUPS_DIR);
  const dirs = fs.existsSync(root) ? fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()) : [];
  // `<kind>.<name>`: a kind's name has no dot
  return dirs.map((d) => ({ name: d.name.replace('.', ' '), store: backupSettingsIn(path.join(root, d.name)) }));
}

export function readBackupSettings(platform: Platform, kind: ServiceKind, name: string): BackupSettings {
  return serviceBackupSettings(platform, kind, name).read();
}

/** Changes some settings (a key given as undefined is removed). */
export function updateBackupSettings(
  platform: Platform,
  kind: ServiceKind,
  name: string,
  change: Partial<BackupSettings>,
): void {
  serviceBackupSettings(platform, kind, name).update(change);
}

export function recordBackupAttempt(platform: Platform, kind: ServiceKind, name: string, attempt: BackupAttempt): void {
  serviceBackupSettings(platform, kind, name).record(attempt);
}

/** Newest first. */
export function backupAttempts(platform: Platform, kind: ServiceKind, name: string): BackupAttempt[] {
  return serviceBackupSettings(platform, kind, name).attempts();
}

/** With the service: its keys open nothing of anyone else's. */
export function forgetBackupSettings(platform: Platform, kind: ServiceKind, name: string): void {
  fs.rmSync(serviceDir(platform, kind, name), { recursive: true, force: true });
}

/** Every service that has a backup schedule. */
export function scheduledServices(
  platform: Platform,
  kinds: readonly ServiceKind[],
): { kind: ServiceKind; name: string; cron: string; bucket: string }[] {
  return kinds.flatMap((kind) =>
    platform.state.services.list(kind.kind).flatMap((service) => {
      const { schedule } = readBackupSettings(platform, kind, service.name);
      return schedule ? [{ kind, name: service.name, ...schedule }] : [];
    }),
  );
}
