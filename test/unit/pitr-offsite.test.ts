import { describe, expect, test } from 'vitest';
import {
  archivePath,
  filesToShip,
  parseWalList,
  pitrCommands,
  restoreEnv,
  shippingPlan,
  walBefore,
  walNeededFrom,
  type BaseBackup,
} from '../../src/services/pitr-plan.js';

/** The pure part of shipping a Postgres archive to S3 and restoring a fork from it. */
const base: BaseBackup = {
  id: '20261201T030000Z-abcdef',
  startWal: '000000010000000000000004',
  startedAt: 1,
  finishedAt: 2,
};

describe('the archive in S3', () => {
  test('what ships: WAL files S3 lacks, in the order Postgres wrote them, then base backups it lacks', () => {
    const plan = shippingPlan(
      {
        wal: ['000000010000000000000003', '000000010000000000000001', '000000010000000000000002'],
        backups: ['20261201T030000Z-abcdef', '20261202T030000Z-abcdef'],
      },
      { wal: new Set(['000000010000000000000001']), backups: new Set(['20261201T030000Z-abcdef']) },
    );
    expect(plan).toEqual({
      wal: ['000000010000000000000002', '000000010000000000000003'],
      backups: ['20261202T030000Z-abcdef'],
    });
  });

  test('what waits to ship counts each file of a base backup S3 lacks, not only WAL: its WAL alone serves no fork', () => {
    const wal = ['000000010000000000000001', '000000010000000000000002'];
    const shipped = (backups: string[]) =>
      filesToShip(shippingPlan({ wal, backups: [base.id] }, { wal: new Set(wal), backups: new Set(backups) }));
    expect(shipped([])).toBe(2); // base.tar.gz and pg_wal.tar.gz
    expect(shipped([base.id])).toBe(0);
    expect(filesToShip(shippingPlan({ wal, backups: [] }, { wal: new Set(wal.slice(1)), backups: new Set() }))).toBe(1);
  });

  test('wal-list: names and archive times, oldest name first; lines it does not know are left out', () => {
    expect(
      parseWalList(
        [
          '000000010000000000000002 1765000001.5',
          '00000002.history 1765000003.0',
          '.000000010000000000000009.123 1765000004.0',
          '000000010000000000000001 1765000000.25',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      { name: '000000010000000000000001', archivedAt: 1765000000250 },
      { name: '000000010000000000000002', archivedAt: 1765000001500 },
      { name: '00000002.history', archivedAt: 1765000003000 },
    ]);
  });

  test('retention and restore read segments by position, across timelines, and keep history files', () => {
    expect(walBefore('000000010000000000000003', base.startWal)).toBe(true);
    expect(walBefore('000000020000000000000003', base.startWal)).toBe(true);
    expect(walBefore('000000010000000000000004', base.startWal)).toBe(false);
    expect(walBefore('00000002.history', base.startWal)).toBe(false);
    expect(
      walNeededFrom(
        ['000000010000000000000003', '000000010000000000000004', '000000020000000000000005', '00000002.history'],
        base,
      ),
    ).toEqual(['000000010000000000000004', '000000020000000000000005', '00000002.history']);
  });

  test('only archive files are sent or received: no other path reaches the container', () => {
    expect(archivePath({ wal: '000000010000000000000004' })).toBe('wal/000000010000000000000004');
    expect(archivePath({ base: base.id, file: 'pg_wal.tar.gz' })).toBe(`base/${base.id}/pg_wal.tar.gz`);
    expect(pitrCommands.receive({ wal: '00000002.history' }).cmd).toEqual([
      '/usr/local/bin/slipway-pitr',
      'receive',
      'wal/00000002.history',
    ]);
    for (const bad of ['../etc/passwd', 'wal/../x', '000000010000000000000004/..', ''])
      expect(() => archivePath({ wal: bad })).toThrow(/not an archived WAL file name/);
    expect(() => archivePath({ base: '../x', file: 'base.tar.gz' })).toThrow(/not a base backup ID/);
  });

  test('a fork from S3 restores from what was staged', () => {
    expect(restoreEnv(base, 'ledger', undefined, true)).toEqual({
      SLIPWAY_RESTORE_BASE: base.id,
      SLIPWAY_RESTORE_DATABASE: 'ledger',
      SLIPWAY_RESTORE_DIR: 'staging',
    });
    expect(restoreEnv(base, 'ledger')).not.toHaveProperty('SLIPWAY_RESTORE_DIR');
  });
});
