import path from 'node:path';
import type { BackupJson, ServiceJson } from '../model/api.js';
import type { Platform } from '../platform.js';
import type { ServiceRecord } from '../state/index.js';
import type { ServiceKind } from './kinds.js';
import { listBackups } from './local-backups.js';
import { backupAttempts, type BackupAttempt } from './backup-settings.js';
import { serviceStatus } from './containers.js';

// Services as data, for `<kind>:list --format json`, `<kind>:backups` and the HTTP API.

/** A service as `<kind>:list --format json` and the API show it. */
export async function serviceJson(platform: Platform, kind: ServiceKind, name: string): Promise<ServiceJson> {
  return {
    name,
    status: await serviceStatus(platform, kind, name),
    links: platform.state.services.links(kind.kind, name).map((l) => l.app),
  };
}

/** A service's backups, local dumps and bucket attempts, newest first (`<kind>:backups`, the API). */
export function serviceBackups(platform: Platform, kind: ServiceKind, service: ServiceRecord): BackupJson[] {
  const local: BackupJson[] = listBackups(platform, kind, service).map((b) => ({
    id: `${b.dir}/${b.file}`,
    where: 'local',
    dir: b.dir,
    file: b.file,
    bytes: b.bytes,
    created_at: new Date(b.createdAt).toISOString(),
    sha256: null,
    status: 'ok',
    error: null,
  }));
  const remote = attemptRows(backupAttempts(platform, kind, service.name));
  return [...local, ...remote].sort((a, b) => b.created_at.localeCompare(a.created_at));
}

/**
 * Recorded attempts as `backups` lists them: in a bucket, or (state:backup --local) a file on
 * the host. One still running is left out: nothing of it is stored yet.
 */
export const attemptRows = (attempts: BackupAttempt[]): BackupJson[] =>
  attempts.flatMap((a) => (a.status === 'running' ? [] : [attemptRow({ ...a, status: a.status })]));

/** A failed attempt may name no file (nothing was kept of it): it went to the host when it had no bucket. */
function attemptRow(a: BackupAttempt & { status: 'ok' | 'failed' }): BackupJson {
  return {
    id: a.id,
    where: a.bucket === '' ? 'local' : 's3',
    dir: a.file === undefined ? a.bucket : path.dirname(a.file),
    file: a.file === undefined ? (a.key ?? '') : path.basename(a.file),
    bytes: a.bytes ?? 0,
    created_at: new Date(a.startedAt).toISOString(),
    sha256: a.sha256 ?? null,
    status: a.status,
    error: a.error ?? null,
  };
}
