import { describe, expect, test } from 'vitest';
import {
  archivePath,
  filesToShip,
  offsiteBaseBackups,
  orphanedBaseKeys,
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

  test('a base backup in S3 without its marker (a shipment cut short) is incomplete: shipped again while the archive holds it, deleted once it does not, never a fork start', () => {
    const prefix = 'postgres/ledger/archive/';
    const cut = '20261202T030000Z-123456';
    const files = (id: string) =>
      ['base.tar.gz', 'base.tar.gz.json', 'pg_wal.tar.gz', 'pg_wal.tar.gz.json'].map((f) => `${prefix}base/${id}/${f}`);
    const keys = [
      ...files(base.id),
      `${prefix}base/${base.id}.json`,
      `${prefix}base/${cut}/base.tar.gz`,
      `${prefix}base/${cut}/base.tar.gz.json`,
      `${prefix}wal/000000010000000000000004`,
      `${prefix}wal/000000010000000000000004.json`,
    ];
    const { complete, incomplete } = offsiteBaseBackups(keys, prefix);
    expect(complete).toEqual([base.id]); // what readOffsite lists, so what a fork and the recovery window see
    expect([...incomplete.keys()]).toEqual([cut]);

    // the archive still holds it: nothing is deleted, and it ships again (over what is there)
    expect(orphanedBaseKeys(incomplete, [base.id, cut])).toEqual([]);
    expect(shippingPlan({ wal: [], backups: [base.id, cut] }, { wal: new Set(), backups: new Set(complete) })).toEqual({
      wal: [],
      backups: [cut],
    });
    // the archive lost it: its files go, each manifest before its file; complete ones stay
    expect(orphanedBaseKeys(incomplete, [base.id])).toEqual([
      `${prefix}base/${cut}/base.tar.gz.json`,
      `${prefix}base/${cut}/base.tar.gz`,
    ]);
    expect(orphanedBaseKeys(offsiteBaseBackups(keys.slice(0, 5), prefix).incomplete, [])).toEqual([]);
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
