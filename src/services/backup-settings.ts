import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readIfExists } from '../core/files.js';
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
  status: z.enum(['ok', 'failed']),
  bucket: z.string(),
  key: z.string().optional(),
  bytes: z.number().optional(),
  sha256: z.string().optional(),
  encrypted: z.boolean(),
  error: z.string().optional(),
});
/** One backup attempt, good or failed (with why). */
export type BackupAttempt = z.infer<typeof attemptSchema>;

/** Attempts kept per service (older lines go). */
const KEPT_ATTEMPTS = 200;

const serviceDir = (platform: Platform, kind: ServiceKind, name: string) =>
  path.join(platform.settings.dataDir, 'service-backups', `${kind.kind}.${name}`);

function writePrivately(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text, { mode: 0o600 });
  fs.renameSync(temp, file);
}

export function readBackupSettings(platform: Platform, kind: ServiceKind, name: string): BackupSettings {
  const text = readIfExists(path.join(serviceDir(platform, kind, name), 'settings.json'));
  return text === undefined ? {} : settingsSchema.parse(JSON.parse(text));
}

/** Changes some settings (a key given as undefined is removed). */
export function updateBackupSettings(
  platform: Platform,
  kind: ServiceKind,
  name: string,
  change: Partial<BackupSettings>,
): void {
  const settings = { ...readBackupSettings(platform, kind, name), ...change };
  writePrivately(path.join(serviceDir(platform, kind, name), 'settings.json'), JSON.stringify(settings));
}

export function recordBackupAttempt(platform: Platform, kind: ServiceKind, name: string, attempt: BackupAttempt): void {
  const kept = [...backupAttempts(platform, kind, name).reverse(), attempt].slice(-KEPT_ATTEMPTS);
  writePrivately(path.join(serviceDir(platform, kind, name), 'attempts.json'), JSON.stringify(kept));
}

/** Newest first. */
export function backupAttempts(platform: Platform, kind: ServiceKind, name: string): BackupAttempt[] {
  const text = readIfExists(path.join(serviceDir(platform, kind, name), 'attempts.json'));
  return text === undefined ? [] : z.array(attemptSchema).parse(JSON.parse(text)).reverse();
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
