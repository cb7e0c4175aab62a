import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { Platform } from '../platform.js';
import type { ServiceRecord } from '../state/index.js';
import { runInService } from './containers.js';
import type { ServiceKind } from './kinds.js';

/** A backup directory's name: one level under the backup root, never a path. */
export const BACKUP_DIR = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface BackupFile {
  /** The backup directory under Slipway's backup root it is in. */
  dir: string;
  file: string;
  bytes: number;
  createdAt: number;
}

/** Every complete backup of a service, in every backup directory, newest first. */
export function listBackups(platform: Platform, kind: ServiceKind, service: ServiceRecord): BackupFile[] {
  const root = path.join(platform.settings.dataDir, 'backups');
  const prefix = `${kind.kind}-${service.name}-`;
  const dirs = fs.existsSync(root)
    ? fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && BACKUP_DIR.test(d.name))
    : [];
  return dirs
    .flatMap((dir) =>
      fs
        .readdirSync(path.join(root, dir.name))
        .filter((f) => f.startsWith(prefix) && f.endsWith('.dump'))
        .map((file) => {
          const stat = fs.statSync(path.join(root, dir.name, file));
          return { dir: dir.name, file, bytes: stat.size, createdAt: stat.mtimeMs };
        }),
    )
    .sort((a, b) => b.createdAt - a.createdAt);
}

/** A listed backup's path, for reading it back (a download). */
export function backupPath(platform: Platform, backup: Pick<BackupFile, 'dir' | 'file'>): string {
  return path.join(platform.settings.dataDir, 'backups', backup.dir, backup.file);
}

/**
 * Writes a dump of the service into a directory under Slipway's backup root (callers name
 * the directory, never a host path), then keeps only the newest `keep` dumps of the service
 * there. Returns the new file's path.
 */
export async function backupService(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  dir: string | undefined,
  keep: number,
): Promise<{ file: string; removed: string[] }> {
  if (!kind.exportCmd) throw new UserError(`${kind.title} services have no backup`);
  if (!dir || !BACKUP_DIR.test(dir) || dir.includes('..')) {
    throw new UserError(
      "Name a backup directory: letters, digits, dots, hyphens (it lives under Slipway's backup root)",
    );
  }
  const target = path.join(platform.settings.dataDir, 'backups', dir);
  fs.mkdirSync(target, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(target, `${kind.kind}-${service.name}-${stamp}.dump`);
  const partial = `${file}.partial`;
  const out = fs.createWriteStream(partial, { mode: 0o600 });
  const { code, errors } = await runInService(platform, kind, service, kind.exportCmd(service), out);
  await new Promise((resolve) => out.end(resolve));
  if (code !== 0) {
    fs.rmSync(partial, { force: true });
    throw new UserError(`Backup failed: ${errors}`);
  }
  fs.renameSync(partial, file); // a backup exists only once it is complete
  const prefix = `${kind.kind}-${service.name}-`;
  const dumps = fs
    .readdirSync(target)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.dump'))
    .sort();
  const removed = dumps.slice(0, Math.max(0, dumps.length - keep));
  for (const old of removed) fs.rmSync(path.join(target, old));
  return { file, removed };
}
