import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { S3_KEY, startS3 } from '../support/s3.js';
import { sshEachOrThrow } from '../support/pushes.js';
import { postgresOf } from '../support/postgres.js';
import { SlipwayUnderTest } from '../support/slipway.js';

/**
 * Off-site backups of real Postgres and Redis services into a real S3 server (s3rver on
 * loopback, which an admin may name as the endpoint), restored by the same commands.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
let s3: Awaited<ReturnType<typeof startS3>>;
const BUCKET = 'team-backups';

/** A word with spaces, quoted for the server's POSIX-style splitting of the SSH command line. */
const quote = (word: string) => `'${word}'`;

const { sql, rows } = postgresOf(slipway);

interface Row {
  id: string;
  where: string;
  dir: string;
  file: string;
  bytes: number;
  sha256: string | null;
  status: string;
  error: string | null;
}
const backups = async (kind: string, service: string): Promise<Row[]> =>
  JSON.parse((await slipway.ssh([`${kind}:backups`, service, '--format', 'json'])).stdout) as Row[];
const auth = (kind: string, service: string, endpoint: string, key = S3_KEY) =>
  slipway.ssh([`${kind}:backup-auth`, service, key, key, 'us-east-1', 's3v4', endpoint]);

/** Takes a backup and returns its ID. */
async function backUp(kind: string, service: string): Promise<string> {
  const result = await slipway.ssh([`${kind}:backup`, service, BUCKET]);
  expect(result.code, result.output).toBe(0);
  return /Backup (\S+) complete/.exec(result.stdout)![1]!;
}

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  await slipway.start();
  await sshEachOrThrow(slipway, [
    ['postgres:create', 'pgb'],
    ['redis:create', 'rb'],
  ]);
  await sql('pgb', "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('alpha'), ('beta');");
}, 300_000);
afterAll(async () => {
  await slipway.destroy();
  await s3.stop();
});

describe('postgres backups to S3', () => {
  test('bad credentials and an unreachable endpoint fail clearly, are listed as failed, and leave nothing that looks complete', async () => {
    expect((await auth('postgres', 'pgb', s3.endpoint, 'WRONGKEY')).code).toBe(0);
    const refused = await slipway.ssh(['postgres:backup', 'pgb', BUCKET]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^ ! {5}Backup of pgb to team-backups failed: /m);

    expect((await auth('postgres', 'pgb', 'http://127.0.0.1:1')).code).toBe(0);
    const unreachable = await slipway.ssh(['postgres:backup', 'pgb', BUCKET]);
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toContain('ECONNREFUSED');

    const listed = await backups('postgres', 'pgb');
    expect(listed.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(listed.every((r) => r.error && r.bytes === 0)).toBe(true);
    expect((await slipway.ssh(['postgres:backups', 'pgb'])).stdout).toContain('FAILED');
    expect(await s3.keys(BUCKET)).toEqual([]);
    expect(slipway.log).toContain('backup of postgres pgb to s3://team-backups failed');
  });

  test('backup-auth keeps the secret to itself', async () => {
    const set = await slipway.ssh([
      'postgres:backup-auth',
      'pgb',
      'AKIAEXAMPLEKEY',
      'very-secret-value',
      'eu-west-1',
      's3v4',
      s3.endpoint,
    ]);
    expect(set.code, set.output).toBe(0);
    expect(set.output).not.toContain('very-secret-value');
    expect(set.output).not.toContain('AKIAEXAMPLEKEY');
    expect(set.stdout).toContain('AKIA**********');
    expect(slipway.log).not.toContain('very-secret-value');
  });

  test('a backup is streamed to the bucket with its manifest, listed with size and checksum, and restores after a destructive change', async () => {
    expect((await auth('postgres', 'pgb', s3.endpoint)).code).toBe(0);
    const id = await backUp('postgres', 'pgb');
    const good = (await backups('postgres', 'pgb')).find((r) => r.id === id)!;
    expect(good).toMatchObject({ where: 's3', dir: BUCKET, status: 'ok', error: null });
    expect(await s3.keys(BUCKET)).toEqual([good.file, `${good.file}.json`]);
    const stored = await s3.object(BUCKET, good.file);
    expect(stored.subarray(0, 5).toString()).toBe('PGDMP');
    expect(stored.length).toBe(good.bytes);
    expect(createHash('sha256').update(stored).digest('hex')).toBe(good.sha256);
    expect(JSON.parse((await s3.object(BUCKET, `${good.file}.json`)).toString())).toMatchObject({
      id,
      bytes: good.bytes,
      sha256: good.sha256,
      encryption: null,
    });

    await sql('pgb', "DELETE FROM notes; INSERT INTO notes VALUES ('after');");
    const unconfirmed = await slipway.ssh(['postgres:backup-restore', 'pgb', id], { input: 'nope\n' });
    expect(unconfirmed.code).not.toBe(0);
    expect(unconfirmed.stderr).toContain('Confirmation did not match pgb');
    expect(await rows('pgb')).toContain('rows:after');

    const restored = await slipway.ssh(['postgres:backup-restore', 'pgb', id], { input: 'pgb\n' });
    expect(restored.code, restored.output).toBe(0);
    expect(await rows('pgb')).toContain('rows:alpha,beta');
  });

  test('--to restores into a new service, leaving the source alone', async () => {
    const latest = (await backups('postgres', 'pgb')).find((r) => r.status === 'ok')!;
    const restored = await slipway.ssh(['postgres:backup-restore', 'pgb', latest.id, '--to', 'pgb-copy']);
    expect(restored.code, restored.output).toBe(0);
    expect(await rows('pgb-copy')).toContain('rows:alpha,beta');
    const again = await slipway.ssh(['postgres:backup-restore', 'pgb', latest.id, '--to', 'pgb-copy']);
    expect(again.stderr).toContain('Postgres service pgb-copy already exists');
    expect(
      (await slipway.ssh(['postgres:backup-restore', 'pgb', '20200101T000000Z-abcdef', '--force'])).stderr,
    ).toContain('No backup 20200101T000000Z-abcdef of pgb');
  });

  test('with a passphrase the object is not plaintext; the right one restores, a wrong or missing one is refused before the data is touched', async () => {
    await sql('pgb', "INSERT INTO notes VALUES ('secret-marker-row');");
    expect((await slipway.ssh(['postgres:backup-set-encryption', 'pgb', quote('correct horse battery')])).code).toBe(0);
    const id = await backUp('postgres', 'pgb');
    const row = (await backups('postgres', 'pgb')).find((r) => r.id === id)!;
    expect(row.file).toMatch(/\.dump\.enc$/);
    const stored = await s3.object(BUCKET, row.file);
    expect(stored.subarray(0, 17).toString()).toBe('SLIPWAY-BACKUP-1\n');
    expect(stored.includes('secret-marker-row')).toBe(false);
    expect(stored.includes('PGDMP')).toBe(false);

    await sql('pgb', "DELETE FROM notes WHERE body = 'alpha';");
    expect((await slipway.ssh(['postgres:backup-set-encryption', 'pgb', quote('wrong horse battery')])).code).toBe(0);
    const wrong = await slipway.ssh(['postgres:backup-restore', 'pgb', id, '--force']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(
      /^ ! {5}Cannot decrypt backup \S+: the passphrase is not the one it was encrypted with/m,
    );
    expect((await slipway.ssh(['postgres:backup-unset-encryption', 'pgb'])).code).toBe(0);
    const missing = await slipway.ssh(['postgres:backup-restore', 'pgb', id, '--force']);
    expect(missing.stderr).toMatch(
      /^ ! {5}Backup \S+ is encrypted: give its passphrase with postgres:backup-set-encryption pgb/m,
    );
    expect(await rows('pgb')).toContain('rows:beta,secret-marker-row');

    expect((await slipway.ssh(['postgres:backup-set-encryption', 'pgb', quote('correct horse battery')])).code).toBe(0);
    const restored = await slipway.ssh(['postgres:backup-restore', 'pgb', id, '--force']);
    expect(restored.code, restored.output).toBe(0);
    expect(await rows('pgb')).toContain('rows:alpha,beta,secret-marker-row');
  });

  test('a schedule is kept across a daemon restart and shown as a crontab line; bad schedules and buckets are refused', async () => {
    expect((await slipway.ssh(['postgres:backup-schedule', 'pgb', quote('0 3 * * *'), BUCKET])).code).toBe(0);
    await slipway.stopDaemon();
    await slipway.startDaemon();
    const cat = await slipway.ssh(['postgres:backup-schedule-cat', 'pgb']);
    expect(cat.stdout.trim()).toBe(`0 3 * * * postgres:backup pgb ${BUCKET}`);
    for (const [words, message] of [
      [['postgres:backup-schedule', 'pgb', quote('* * * * * *'), BUCKET], 'Invalid schedule'],
      [['postgres:backup-schedule', 'pgb', quote('0 3 * * *'), 'Bad_Bucket'], 'Invalid bucket name'],
      [['postgres:backup', 'pgb', '../x'], 'Invalid bucket name'],
    ] as const) {
      const refused = await slipway.ssh([...words]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(message);
    }
    expect(cat.stdout.trim()).toBe((await slipway.ssh(['postgres:backup-schedule-cat', 'pgb'])).stdout.trim());
    expect((await slipway.ssh(['postgres:backup-unschedule', 'pgb'])).code).toBe(0);
    expect((await slipway.ssh(['postgres:backup-schedule-cat', 'pgb'])).stderr).toContain('No backup schedule for pgb');
  });
});

describe('redis backups to S3', () => {
  test('a backup restores the keys', async () => {
    const redis = (input: string) => slipway.ssh(['redis:connect', 'rb'], { input });
    expect((await redis('SET kept-key kept-value\n')).code).toBe(0);
    expect((await auth('redis', 'rb', s3.endpoint)).code).toBe(0);
    const id = await backUp('redis', 'rb');
    expect((await redis('DEL kept-key\n')).code).toBe(0);
    const restored = await slipway.ssh(['redis:backup-restore', 'rb', id, '--force']);
    expect(restored.code, restored.output).toBe(0);
    expect((await redis('GET kept-key\n')).stdout).toContain('kept-value');
  });
});
