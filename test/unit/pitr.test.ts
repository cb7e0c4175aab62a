import { describe, expect, test } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { serviceContainer } from '../../src/runtime/local/specs.js';
import type { ServiceSpec } from '../../src/runtime/services.js';
import {
  baseBackupDue,
  parseArchiveListing,
  parseRecoveryTime,
  pitrCommands,
  planFork,
  recoveryTargetText,
  recoveryWindow,
  restoreEnv,
  retentionPlan,
  type BaseBackup,
} from '../../src/services/pitr-plan.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

/** A base backup that ended `at`, taking a minute. */
const backup = (n: number, at: number): BaseBackup => ({
  id: `2026120${n}T030000Z-00000${n}`,
  startWal: `00000001000000000000000${n}`,
  startedAt: at - 60_000,
  finishedAt: at,
});
const listing = (backups: BaseBackup[], newestWalAt?: number) => ({ backups, newestWalAt, bytes: 0 });

describe('the time a fork is at', () => {
  test('a date, a time and a zone, in the forms people write', () => {
    const at = Date.UTC(2026, 11, 6, 10, 42, 0);
    for (const text of [
      '2026-12-06 10:42:00+00',
      '2026-12-06T10:42:00Z',
      '2026-12-06 10:42 UTC',
      '2026-12-06 11:42:00+01:00',
      '2026-12-06 05:12:00-0530',
      ' 2026-12-06 10:42:00.000+00 ',
    ])
      expect(parseRecoveryTime(text).getTime(), text).toBe(at);
    expect(parseRecoveryTime('2026-12-06 10:42:00.123456+00').getTime()).toBe(at + 123);
  });

  test('without a zone, or not a moment that exists, it is refused with an example', () => {
    for (const text of [
      '2026-12-06 10:42:00',
      'yesterday',
      '2026-02-30 10:00:00Z',
      '2026-12-06 24:00:00Z',
      '2026-12-06 10:61:00Z',
      '2026-12-06 10:42:00+16',
      '2026-12-06 10:42:00+00; DROP TABLE x',
      '',
    ]) {
      expect(() => parseRecoveryTime(text), text).toThrow(UserError);
      expect(() => parseRecoveryTime(text), text).toThrow(
        /give a date, a time and its zone, e\.g\. "2026-12-06 10:42:00\+00"/,
      );
    }
  });

  test('a long input is refused in linear time', () => {
    expect(() => parseRecoveryTime(`2026-12-06 10:42:00${' '.repeat(100_000)}x`)).toThrow(UserError);
  });

  test('is given to Postgres in UTC', () => {
    expect(recoveryTargetText(new Date(Date.UTC(2026, 11, 6, 10, 42, 0, 5)))).toBe('2026-12-06 10:42:00.005+00');
  });
});

describe('the archive listing', () => {
  test('base backups, oldest first, the newest WAL and the size', () => {
    const text = [
      'base 20261202T030000Z-000002 000000010000000000000007 1764644340000 1764644400000',
      'base 20261201T030000Z-000001 000000010000000000000002 1764558000000 1764558060000',
      'wal 1764644999.1234567890',
      'bytes 123456',
      '',
    ].join('\n');
    expect(parseArchiveListing(text)).toEqual({
      backups: [
        {
          id: '20261201T030000Z-000001',
          startWal: '000000010000000000000002',
          startedAt: 1764558000000,
          finishedAt: 1764558060000,
        },
        {
          id: '20261202T030000Z-000002',
          startWal: '000000010000000000000007',
          startedAt: 1764644340000,
          finishedAt: 1764644400000,
        },
      ],
      newestWalAt: 1764644999123,
      bytes: 123456,
    });
    expect(parseArchiveListing('wal none\nbytes 0\n')).toEqual({ backups: [], bytes: 0 });
  });

  test('a line it does not know is an error, not a silent gap in the window', () => {
    expect(() => parseArchiveListing('base ../x 0000 1 2\n')).toThrow(/unexpected line/);
    expect(() => parseArchiveListing('something else\n')).toThrow(/unexpected line/);
  });
});

describe('the recovery window', () => {
  const backups = [backup(1, T0), backup(2, T0 + DAY)];

  test('from the end of the oldest base backup to now while the service runs', () => {
    expect(recoveryWindow(listing(backups, T0 + DAY + HOUR), T0 + 2 * DAY, true)).toEqual({
      earliest: T0,
      latest: T0 + 2 * DAY,
    });
  });

  test('to the newest archived WAL when it is stopped; none without a base backup', () => {
    expect(recoveryWindow(listing(backups, T0 + DAY + HOUR), T0 + 2 * DAY, false)).toEqual({
      earliest: T0,
      latest: T0 + DAY + HOUR,
    });
    expect(recoveryWindow(listing([], T0), T0 + DAY, true)).toBeUndefined();
  });
});

describe('planning a fork', () => {
  const backups = [backup(1, T0), backup(2, T0 + DAY)];
  const now = T0 + 2 * DAY;
  const window = recoveryWindow(listing(backups), now, true);
  const plan = (at?: number) =>
    planFork('ledger', listing(backups), window, at === undefined ? undefined : new Date(at), true);

  test('starts from the newest base backup consistent by then, and replays to that moment', () => {
    expect(plan(T0 + HOUR)).toEqual({ base: backups[0], targetTime: '2026-12-01 04:00:00.000+00' });
    expect(plan(T0 + DAY)).toEqual({ base: backups[1], targetTime: '2026-12-02 03:00:00.000+00' });
    expect(plan(T0 + DAY - 1).base).toBe(backups[0]);
  });

  test('without a time: the newest base backup and all the WAL', () => {
    expect(plan()).toEqual({ base: backups[1] });
  });

  test('a time outside the window is refused with the window', () => {
    expect(() => plan(T0 - 1)).toThrow(
      '2026-12-01T02:59:59.999Z is before the recovery window of ledger (2026-12-01T03:00:00.000Z .. now)',
    );
    expect(() => plan(now + 1)).toThrow('2026-12-03T03:00:00.001Z is after the recovery window of ledger');
    expect(() => planFork('ledger', listing([]), undefined, undefined, true)).toThrow('ledger has no base backup yet');
  });
});

describe('retention', () => {
  const daily = [1, 2, 3, 4, 5].map((n) => backup(n, T0 + (n - 1) * DAY));

  test('keeps what reaches back the days, and the backup before them; the WAL before that goes', () => {
    // two days back from now is T0 + 2.5 days: the backup that ended at T0 + 2 days is needed for it
    expect(retentionPlan(daily, 2, T0 + 4.5 * DAY)).toEqual({
      remove: [daily[0]!.id, daily[1]!.id],
      keepFromWal: daily[2]!.startWal,
    });
  });

  test('always keeps the newest, and removes nothing while everything is within the days', () => {
    expect(retentionPlan(daily, 1, T0 + 30 * DAY)).toEqual({
      remove: daily.slice(0, 4).map((b) => b.id),
      keepFromWal: daily[4]!.startWal,
    });
    expect(retentionPlan(daily, 7, T0 + 5 * DAY)).toEqual({ remove: [], keepFromWal: daily[0]!.startWal });
    expect(retentionPlan([], 7, T0)).toEqual({ remove: [] });
  });

  test('a base backup is due a day after the newest began, or at once without one', () => {
    expect(baseBackupDue([], DAY, T0)).toBe(true);
    expect(baseBackupDue(daily, DAY, daily[4]!.startedAt + DAY - 1)).toBe(false);
    expect(baseBackupDue(daily, DAY, daily[4]!.startedAt + DAY)).toBe(true);
  });
});

describe('what runs in the container', () => {
  test('the archive commands, as argument arrays with checked words', () => {
    expect(pitrCommands.baseBackup('20261206T104200Z-abcdef')).toEqual({
      user: 'postgres',
      cmd: ['/usr/local/bin/slipway-pitr', 'base-backup', '20261206T104200Z-abcdef'],
    });
    expect(pitrCommands.prune('000000010000000000000003', ['20261206T104200Z-abcdef']).cmd).toEqual([
      '/usr/local/bin/slipway-pitr',
      'prune',
      '000000010000000000000003',
      '20261206T104200Z-abcdef',
    ]);
    expect(() => pitrCommands.baseBackup('../../data')).toThrow();
    expect(() => pitrCommands.prune('*', [])).toThrow();
  });

  test('a fork restores from the source database, to the moment when there is one', () => {
    const base = backup(1, T0);
    expect(restoreEnv(base, 'ledger', '2026-12-01 04:00:00.000+00')).toEqual({
      SLIPWAY_RESTORE_BASE: base.id,
      SLIPWAY_RESTORE_DATABASE: 'ledger',
      SLIPWAY_RESTORE_TARGET_TIME: '2026-12-01 04:00:00.000+00',
    });
    expect(restoreEnv(base, 'ledger')).not.toHaveProperty('SLIPWAY_RESTORE_TARGET_TIME');
  });

  test("the container mounts its archive volume, and a fork's first start the source's archive read-only", () => {
    const target = { instance: 'slipway', pidsLimit: 4096 };
    const spec: ServiceSpec = {
      kind: 'postgres',
      name: 'copy',
      title: 'Postgres',
      image: 'slipway/stack:bookworm-postgres',
      env: {},
      dataPath: '/var/lib/postgresql/data',
      archivePath: '/var/lib/postgresql/archive',
      port: 5432,
      exposedPort: null,
      host: 'postgres-copy',
      appNetworks: [],
    };
    expect(serviceContainer(target, spec).binds).toEqual([
      'slipway-postgres-copy:/var/lib/postgresql/data',
      'slipway-postgres-copy.archive:/var/lib/postgresql/archive',
    ]);
    const restoring = { ...spec, restoreFrom: { name: 'ledger', path: '/var/lib/postgresql/restore-from' } };
    expect(serviceContainer(target, restoring).binds).toEqual([
      'slipway-postgres-copy:/var/lib/postgresql/data',
      'slipway-postgres-copy.archive:/var/lib/postgresql/archive',
      'slipway-postgres-ledger.archive:/var/lib/postgresql/restore-from:ro',
    ]);
  });
});
