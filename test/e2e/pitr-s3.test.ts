import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { S3_KEY, startS3 } from '../support/s3.js';
import { sshEachOrThrow } from '../support/pushes.js';
import { postgresOf } from '../support/postgres.js';
import { SlipwayUnderTest } from '../support/slipway.js';

/**
 * Point-in-time recovery from S3: a Postgres service with backup credentials and a schedule
 * has its WAL archive and base backups shipped to the schedule's bucket (a real s3rver on
 * loopback), encrypted with its passphrase; once its local archive is lost, forks are
 * restored from the bucket.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
let s3: Awaited<ReturnType<typeof startS3>>;
const BUCKET = 'pitr-archive';
const PREFIX = 'postgres/ledger/archive/';

const quote = (word: string) => `'${word}'`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const { sql, rows, rowsAroundAMoment } = postgresOf(slipway);

/** A 16 MB WAL file is encrypted, uploaded and read back: on a loaded 2-core machine a look takes minutes. */
const SHIPPING_MS = 240_000;
const SLOW_TEST_MS = SHIPPING_MS + 120_000;

/** Waits until `postgres:info` shows the off-site archive holding WAL up to `wal` and nothing left to ship. */
async function shippedTo(wal: string): Promise<string> {
  const deadline = Date.now() + SHIPPING_MS;
  for (;;) {
    const info = (await slipway.ssh(['postgres:info', 'ledger'])).stdout;
    const line = /Off-site archive:\s+(.*)/.exec(info)?.[1] ?? '';
    const shipped = /WAL to ([0-9A-F]{24})/.exec(line)?.[1];
    if (shipped !== undefined && shipped >= wal && line.includes(' 0 file(s) waiting')) return line;
    if (Date.now() > deadline) {
      const shipping = slipway.log.split('\n').filter((l) => l.includes('archive of postgres ledger'));
      throw new Error(`the archive did not ship to ${wal}: ${info}\nthe daemon said:\n${shipping.join('\n')}`);
    }
    await pause(1000);
  }
}

/** The moment between row A and row B. */
let between: string;

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  await slipway.start();
  await sshEachOrThrow(slipway, [
    ['postgres:create', 'ledger'],
    ['postgres:backup-auth', 'ledger', S3_KEY, S3_KEY, 'us-east-1', 's3v4', s3.endpoint],
    ['postgres:backup-set-encryption', 'ledger', 'correct-horse-battery'],
    ['postgres:backup-schedule', 'ledger', quote('0 3 * * *'), BUCKET],
  ]);
  between = await rowsAroundAMoment('ledger');
}, 300_000);
afterAll(async () => {
  await slipway.destroy();
  await s3.stop();
});

describe('postgres point-in-time recovery from S3', () => {
  test(
    'the daemon ships WAL and base backups to the schedule’s bucket, each published only with its manifest',
    async () => {
      const switched = await sql('ledger', 'SELECT pg_walfile_name(pg_switch_wal());');
      const wal = /[0-9A-F]{24}/.exec(switched)![0];
      expect(await shippedTo(wal)).toMatch(/^s3:\/\/pitr-archive: 1 base backup, WAL to /);
      const keys = await s3.keys(BUCKET);
      const base = keys.find((key) => /base\/\d{8}T\d{6}Z-[0-9a-f]{6}\.json$/.test(key));
      expect(base, keys.join('\n')).toBeDefined();
      const id = base!.slice(`${PREFIX}base/`.length, -'.json'.length);
      expect(keys).toEqual(
        expect.arrayContaining([
          `${PREFIX}base/${id}/base.tar.gz`,
          `${PREFIX}base/${id}/base.tar.gz.json`,
          `${PREFIX}wal/${wal}`,
          `${PREFIX}wal/${wal}.json`,
        ]),
      );
      // every shipped file has its manifest, and is encrypted (the bucket's owner reads none of it)
      const files = keys.filter((key) => !key.endsWith('.json'));
      for (const key of files) expect(keys).toContain(`${key}.json`);
      expect((await s3.object(BUCKET, `${PREFIX}wal/${wal}`)).subarray(0, 17).toString()).toBe('SLIPWAY-BACKUP-1\n');
    },
    SLOW_TEST_MS,
  );

  test(
    'a base backup S3 lacks is counted as waiting to ship (its WAL alone serves no fork), until it is shipped again',
    async () => {
      const marker = (await s3.keys(BUCKET)).find((key) => /base\/\d{8}T\d{6}Z-[0-9a-f]{6}\.json$/.test(key))!;
      // The daemon ships it again on its next look (every 15 s): the marker goes again if it did before info read S3.
      let waiting: string | undefined;
      for (let attempt = 1; waiting === undefined && attempt <= 5; attempt++) {
        await s3.remove(BUCKET, marker);
        const info = (await slipway.ssh(['postgres:info', 'ledger'])).stdout;
        const line = /Off-site archive:\s+(.*)/.exec(info)?.[1] ?? '';
        if (line.includes(': 1 base backup,')) continue;
        expect(line).toMatch(/^s3:\/\/pitr-archive: 0 base backups, WAL to \S+ \(.*\), \d+ file\(s\) waiting to ship$/);
        waiting = /(\d+) file\(s\) waiting/.exec(line)![1];
      }
      // its two files (base.tar.gz, pg_wal.tar.gz), and any WAL archived since
      expect(Number(waiting)).toBeGreaterThanOrEqual(2);
      const switched = await sql('ledger', 'SELECT pg_walfile_name(pg_switch_wal());');
      expect(await shippedTo(/[0-9A-F]{24}/.exec(switched)![0])).toMatch(/^s3:\/\/pitr-archive: 1 base backup, /);
      expect(await s3.keys(BUCKET)).toContain(marker);
    },
    SLOW_TEST_MS,
  );

  test(
    'with its local archive lost, a fork --at a moment is restored from S3: row A, not row B',
    async () => {
      const container = `${slipway.instance}.postgres.ledger`;
      await promisify(execFile)('docker', [
        'exec',
        container,
        'sh',
        '-c',
        'rm -rf /var/lib/postgresql/archive/base/* /var/lib/postgresql/archive/wal/*',
      ]);
      const info = await slipway.ssh(['postgres:info', 'ledger']);
      expect(info.stdout).toMatch(/Recovery window:\s+none yet/);

      const forked = await slipway.ssh(['postgres:fork', 'ledger', 'ledger-then', '--at', quote(between)]);
      expect(forked.code, forked.output).toBe(0);
      expect(forked.stdout).toMatch(
        /The local archive lacks it: reading base backup \S+ and its WAL from s3:\/\/pitr-archive/,
      );
      expect(await rows('ledger-then')).toContain('rows:row-a\n');

      const latest = await slipway.ssh(['postgres:fork', 'ledger', 'ledger-latest']);
      expect(latest.code, latest.output).toBe(0);
      expect(await rows('ledger-latest')).toContain('rows:row-a,row-b');
    },
    SLOW_TEST_MS,
  );

  test('a time beyond what S3 holds is refused with the window and creates nothing', async () => {
    const refused = await slipway.ssh([
      'postgres:fork',
      'ledger',
      'ledger-bad',
      '--at',
      quote('2020-01-01 00:00:00+00'),
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^ ! {5}2020-01-01T00:00:00.000Z is before the recovery window of ledger/m);
    expect((await slipway.ssh(['postgres:info', 'ledger-bad'])).code).not.toBe(0);
  });
});
