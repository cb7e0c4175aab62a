import { describe, expect, test } from 'vitest';
import { PROCESS_OWNER } from '../../src/core/owner.js';
import { INTERRUPTED } from '../../src/services/backup-settings.js';
import { backupAttempt, GONE, tempBackupSettings } from '../support/backup-attempts.js';

/** The record of backup attempts: a backup cut short by its process dying reads as interrupted. */
const store = tempBackupSettings();

describe('backup attempts', () => {
  test('a running attempt whose process is gone reads as failed: interrupted; one whose process runs stays running', () => {
    const attempts = store();
    attempts.record(backupAttempt('a', { owner: GONE }));
    attempts.record(backupAttempt('b', { owner: PROCESS_OWNER }));
    expect(attempts.attempts().map((a) => [a.id, a.status, a.error])).toEqual([
      ['b', 'running', undefined],
      ['a', 'failed', INTERRUPTED],
    ]);
  });

  test('the end of an attempt replaces its running record in its place', () => {
    const attempts = store();
    attempts.record(backupAttempt('a', { owner: PROCESS_OWNER }));
    attempts.record(backupAttempt('b', { status: 'failed', error: 'bucket unreachable' }));
    attempts.record(backupAttempt('a', { status: 'ok', bytes: 10 }));
    expect(attempts.attempts().map((a) => [a.id, a.status])).toEqual([
      ['b', 'failed'],
      ['a', 'ok'],
    ]);
  });
});
