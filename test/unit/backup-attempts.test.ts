import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { PROCESS_OWNER } from '../../src/core/owner.js';
import { backupSettingsIn, INTERRUPTED, type BackupAttempt } from '../../src/services/backup-settings.js';

/** The record of backup attempts: a backup cut short by its process dying reads as interrupted. */
const dirs: string[] = [];
const store = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-attempts-'));
  dirs.push(dir);
  return backupSettingsIn(dir);
};
afterEach(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

const attempt = (id: string, change: Partial<BackupAttempt>): BackupAttempt => ({
  id,
  startedAt: 1,
  finishedAt: 1,
  status: 'running',
  bucket: 'b',
  key: `postgres/db/${id}.dump`,
  encrypted: false,
  ...change,
});
/** A process of this host that is not running: no pid has a start time of 1 tick and pid 4194304 is beyond Linux's limit. */
const GONE = `${os.hostname()}/4194304/1`;

describe('backup attempts', () => {
  test('a running attempt whose process is gone reads as failed: interrupted; one whose process runs stays running', () => {
    const attempts = store();
    attempts.record(attempt('a', { owner: GONE }));
    attempts.record(attempt('b', { owner: PROCESS_OWNER }));
    expect(attempts.attempts().map((a) => [a.id, a.status, a.error])).toEqual([
      ['b', 'running', undefined],
      ['a', 'failed', INTERRUPTED],
    ]);
  });

  test('the end of an attempt replaces its running record in its place', () => {
    const attempts = store();
    attempts.record(attempt('a', { owner: PROCESS_OWNER }));
    attempts.record(attempt('b', { status: 'failed', error: 'bucket unreachable' }));
    attempts.record(attempt('a', { status: 'ok', bytes: 10 }));
    expect(attempts.attempts().map((a) => [a.id, a.status])).toEqual([
      ['b', 'failed'],
      ['a', 'ok'],
    ]);
  });
});
