import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { backupSettingsIn, type BackupAttempt } from '../../src/services/backup-settings.js';

/** A process of this host that is not running: no pid has a start time of 1 tick and pid 4194304 is beyond Linux's limit. */
export const GONE = `${os.hostname()}/4194304/1`;

/** A backup attempt of Postgres service `db`, running unless `change` says otherwise. */
export const backupAttempt = (id: string, change: Partial<BackupAttempt>): BackupAttempt => ({
  id,
  startedAt: 1,
  finishedAt: 1,
  status: 'running',
  bucket: 'b',
  key: `postgres/db/${id}.dump`,
  encrypted: false,
  ...change,
});

/** Makes backup settings (and attempts) stores in temp dirs, each removed after its test. Call at a file's top level. */
export function tempBackupSettings(): () => ReturnType<typeof backupSettingsIn> {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
  return () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-backups-'));
    dirs.push(dir);
    return backupSettingsIn(dir);
  };
}
