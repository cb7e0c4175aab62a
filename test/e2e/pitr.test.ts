import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { postgresOf } from '../support/postgres.js';
import { sshOrThrow } from '../support/pushes.js';
import { SlipwayUnderTest } from '../support/slipway.js';

/**
 * Point-in-time recovery of a real Postgres service: its WAL archived as it is written, a
 * base backup from its creation, and forks restored to a moment (or the latest) of it.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));

/** A word with spaces, quoted for the server's POSIX-style splitting of the SSH command line. */
const quote = (word: string) => `'${word}'`;

const { sql, rows, rowsAroundAMoment } = postgresOf(slipway);
const services = async () =>
  (JSON.parse((await slipway.ssh(['postgres:list', '--format', 'json'])).stdout) as { name: string }[]).map(
    (s) => s.name,
  );

/** The moment between row A and row B, as a user would note it. */
let between: string;

beforeAll(async () => {
  await slipway.start();
  await sshOrThrow(slipway, ['postgres:create', 'ledger']);
  between = await rowsAroundAMoment('ledger');
}, 300_000);
afterAll(() => slipway.destroy());

describe('postgres point-in-time recovery', () => {
  test('a fork --at a moment holds the data as it was then: row A, not row B', async () => {
    const forked = await slipway.ssh(['postgres:fork', 'ledger', 'ledger-then', '--at', quote(between)]);
    expect(forked.code, forked.output).toBe(0);
    expect(forked.stdout).toContain('=====> Postgres container created: ledger-then');
    expect(await rows('ledger-then')).toContain('rows:row-a\n');
    expect(await rows('ledger')).toContain('rows:row-a,row-b');
  });

  test('a fork without --at holds everything written until then; it has its own password and archive', async () => {
    const forked = await slipway.ssh(['postgres:fork', 'ledger', 'ledger-now']);
    expect(forked.code, forked.output).toBe(0);
    expect(await rows('ledger-now')).toContain('rows:row-a,row-b');
    const dsn = async (name: string) => (await slipway.ssh(['postgres:info', name, '--dsn'])).stdout.trim();
    expect(await dsn('ledger-now')).toMatch(
      /^postgres:\/\/postgres:[0-9a-f]{48}@postgres-ledger-now:5432\/ledger-now$/,
    );
    expect((await dsn('ledger-now')).split('@')[0]).not.toBe((await dsn('ledger')).split('@')[0]);
    // the fork archives on its own: a fork of the fork holds what was written to it
    await sql('ledger-now', "INSERT INTO notes VALUES ('row-c');");
    const again = await slipway.ssh(['postgres:fork', 'ledger-now', 'ledger-again']);
    expect(again.code, again.output).toBe(0);
    expect(await rows('ledger-again')).toContain('rows:row-a,row-b,row-c');
  });

  test('info shows the recovery window and retention; retention can be set', async () => {
    const info = await slipway.ssh(['postgres:info', 'ledger']);
    expect(info.code, info.output).toBe(0);
    expect(info.stdout).toMatch(/Recovery window:\s+\d{4}-\d\d-\d\dT\S+Z \.\. now/);
    expect(info.stdout).toMatch(/Retention:\s+7 days/);
    const set = await slipway.ssh(['postgres:backup-set-retention', 'ledger', '14']);
    expect(set.code, set.output).toBe(0);
    expect((await slipway.ssh(['postgres:info', 'ledger'])).stdout).toMatch(/Retention:\s+14 days/);
    const refused = await slipway.ssh(['postgres:backup-set-retention', 'ledger', '0']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Give the retention as whole days from 1 to 3650');
  });

  test('a time outside the window, a bad time or a name taken fail clearly and create nothing', async () => {
    const before = await services();
    for (const [words, message] of [
      [
        ['--at', quote('2020-01-01 00:00:00+00')],
        /^ ! {5}2020-01-01T00:00:00.000Z is before the recovery window of ledger \(\S+ \.\. now\)/m,
      ],
      [
        ['--at', quote('2999-01-01 00:00:00+00')],
        /^ ! {5}2999-01-01T00:00:00.000Z is after the recovery window of ledger/m,
      ],
      [['--at', 'yesterday'], /^ ! {5}Invalid time "yesterday": give a date, a time and its zone/m],
      [['--at', quote('2026-12-06 10:42:00')], /^ ! {5}Invalid time "2026-12-06 10:42:00"/m],
    ] as const) {
      const refused = await slipway.ssh(['postgres:fork', 'ledger', 'ledger-bad', ...words]);
      expect(refused.code, refused.output).not.toBe(0);
      expect(refused.stderr).toMatch(message);
    }
    const taken = await slipway.ssh(['postgres:fork', 'ledger', 'ledger-then']);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toMatch(/^ ! {5}Postgres service ledger-then already exists/m);
    expect((await slipway.ssh(['postgres:fork', 'missing', 'ledger-bad'])).stderr).toContain(
      'Postgres service missing does not exist',
    );
    expect(await services()).toEqual(before);
    expect(await rows('ledger-then')).toContain('rows:row-a\n');
  });
});
