import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { S3_KEY, startS3 } from '../support/s3.js';
import { backupRows, killDaemonDuringUpload, must } from '../support/drills.js';
import { eventually, run, SlipwayUnderTest } from '../support/slipway.js';

/**
 * Backup drills: the daemon killed (SIGKILL) in the middle of a backup's upload leaves no
 * object that looks complete, the restarted daemon aborts that upload, and the next backup
 * works; the scheduled state backup runs in
 * the daemon's clock; and `scripts/restore-state` (what `scripts/setup --restore` runs)
 * brings a state backup back on a fresh instance.
 */
const redisUrl = inject('redisUrl');
const slipway = new SlipwayUnderTest(redisUrl);
const fresh = new SlipwayUnderTest(redisUrl);
let s3: Awaited<ReturnType<typeof startS3>>;
const BUCKET = 'drills';
const PASSPHRASE = 'drill-passphrase';

const sql = (service: string, statement: string) =>
  must(slipway.ssh(['postgres:connect', service], { input: `${statement}\n` }));

const rows = (command: string[]) => backupRows(slipway, command);

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  await slipway.start();
  await must(slipway.ssh(['postgres:create', 'big']));
  await must(slipway.ssh(['postgres:backup-auth', 'big', S3_KEY, S3_KEY, 'us-east-1', 's3v4', s3.endpoint]));
  // about 100 MB of hex: a dump of several upload parts, which takes a while to send
  await sql(
    'big',
    `CREATE TABLE blobs (body text); INSERT INTO blobs SELECT (SELECT string_agg(md5(random()::text || g || i), '') FROM generate_series(1, 32) i) FROM generate_series(1, 100000) g;`,
  );
}, 600_000);
afterAll(async () => {
  await slipway.destroy();
  await fresh.destroy();
  await s3.stop();
});

describe('a daemon killed during a backup', () => {
  test('leaves no object that looks complete; restarted, it aborts the upload with no backup run; backups reports it interrupted; the next backup works', async () => {
    await killDaemonDuringUpload(slipway, s3, BUCKET, ['postgres:backup', 'big', BUCKET]);

    const [failed] = await rows(['postgres:backups', 'big']);
    expect(failed).toMatchObject({ where: 's3', status: 'failed' });
    expect(failed!.error).toMatch(/^interrupted: Slipway stopped during the backup/);
    const restore = await slipway.ssh(['postgres:backup-restore', 'big', failed!.id, '--force']);
    expect(restore.code).not.toBe(0);
    expect(restore.stderr).toContain(`No backup ${failed!.id} of big`);

    const next = await must(slipway.ssh(['postgres:backup', 'big', BUCKET]));
    const id = /Backup (\S+) complete/.exec(next.stdout)![1]!;
    const listed = await rows(['postgres:backups', 'big']);
    expect(listed.map((r) => [r.id, r.status])).toEqual([
      [id, 'ok'],
      [failed!.id, 'failed'],
    ]);
    expect(await s3.keys(BUCKET)).toEqual([`postgres/big/${id}.dump`, `postgres/big/${id}.dump.json`]);
    expect(s3.uploadsInFlight(BUCKET)).toEqual([]);
  });
});

describe('Slipway’s own state', () => {
  test('a state backup schedule runs in the daemon and stores a verified backup', async () => {
    await must(slipway.cli(['state:backup-auth', S3_KEY, S3_KEY, 'us-east-1', 's3v4', s3.endpoint]));
    await must(slipway.cli(['state:backup-schedule', '* * * * *', BUCKET]));
    // the schedule fires on the next whole minute; the daemon looks every 15 s
    const [stored] = await eventually(
      () => rows(['state:backups']),
      (listed) => listed.length > 0,
      100_000,
    );
    await must(slipway.cli(['state:backup-unschedule']));
    expect(stored).toMatchObject({ where: 's3', status: 'ok' });
    expect(await s3.keys(BUCKET)).toEqual(expect.arrayContaining([stored!.file, `${stored!.file}.json`]));
  });

  test('scripts/restore-state (the end of setup --restore) brings an encrypted local state backup back on a fresh instance', async () => {
    await must(slipway.ssh(['postgres:destroy', 'big', '--force']));
    await must(slipway.ssh(['postgres:create', 'kept']));
    await must(slipway.cli(['state:backup-set-encryption', PASSPHRASE]));
    const dir = path.join(slipway.dir, 'state-archives');
    const made = await must(slipway.cli(['state:backup', '--local', dir]));
    const archive = /Stored (\S+) \(/.exec(made.stdout)![1]!;
    expect(fs.readFileSync(archive).subarray(0, 17).toString()).toBe('SLIPWAY-BACKUP-1\n');

    await fresh.start();
    const script = path.resolve(import.meta.dirname, '../../scripts/restore-state');
    // the settings file names the system's Slipway: this run reaches only the fresh instance
    const env = { ...fresh.env, SLIPWAY_SETTINGS_FILE: '/dev/null' };
    const locked = await run(script, [archive], { env });
    expect(locked.code).not.toBe(0);
    expect(locked.stderr).toContain('is encrypted: give its passphrase');

    const restored = await run(script, [archive], { env: { ...env, SLIPWAY_RESTORE_PASSPHRASE: PASSPHRASE } });
    expect(restored.code, restored.output).toBe(0);
    expect(restored.stdout).toContain(`-----> Restoring Slipway's state from ${archive}`);
    const services = JSON.parse((await must(fresh.ssh(['postgres:list', '--format', 'json']))).stdout) as {
      name: string;
    }[];
    expect(services.map((s) => s.name)).toEqual(['kept']);
  });
});
