import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import tar from 'tar-stream';
import { S3_KEY, startS3 } from '../support/s3.js';
import { eventually, SlipwayUnderTest, type RunResult } from '../support/slipway.js';

/**
 * The drill of Slipway's own state: one instance with an app (config, a domain, a linked
 * Postgres with a row) is backed up, locally and into a real S3 server (s3rver) encrypted;
 * a second instance on an empty data dir restores it and serves the app again, at the same
 * release, with the row (from the service's own backup).
 */
const redisUrl = inject('redisUrl');
const source = new SlipwayUnderTest(redisUrl);
const fresh = new SlipwayUnderTest(redisUrl);
let s3: Awaited<ReturnType<typeof startS3>>;
const BUCKET = 'host-backups';
const APP = 'shop';
const DOMAIN = 'shop.example.test';
const PASSPHRASE = 'correct horse battery';
let localArchive = '';
let s3Archive = '';

const must = async (result: Promise<RunResult>) => {
  const done = await result;
  expect(done.code, done.output).toBe(0);
  return done;
};
const auth = (on: SlipwayUnderTest) => on.cli(['state:backup-auth', S3_KEY, S3_KEY, 'us-east-1', 's3v4', s3.endpoint]);

/** The names in an unencrypted state archive. */
async function entries(file: string): Promise<string[]> {
  const names: string[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    names.push(header.name);
    stream.on('end', next);
    stream.resume();
  });
  await pipeline(fs.createReadStream(file), extract);
  return names;
}

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  await source.start();
  await must(source.push(await source.appRepo('db-app', APP)));
  await must(source.ssh(['postgres:create', 'notes']));
  await must(source.ssh(['postgres:link', 'notes', APP]));
  await must(source.ssh(['config:set', APP, 'GREETING=from-the-old-host']));
  await must(source.ssh(['domains:add', APP, DOMAIN]));
  expect((await source.get(DOMAIN, '/write/kept-row')).body).toBe('written\n');
  await must(source.ssh(['postgres:backup-auth', 'notes', S3_KEY, S3_KEY, 'us-east-1', 's3v4', s3.endpoint]));
  await must(source.ssh(['postgres:backup', 'notes', BUCKET]));
}, 600_000);
afterAll(async () => {
  await source.destroy();
  await fresh.destroy();
  await s3.stop();
});

describe('state:backup', () => {
  test('--local writes one archive on the host, listed by state:backups; unencrypted, it carries no service credentials', async () => {
    const dir = path.join(source.dir, 'state-archives');
    const made = await must(source.cli(['state:backup', '--local', dir]));
    localArchive = /Stored (\S+) \(/.exec(made.stdout)![1]!;
    expect(path.dirname(localArchive)).toBe(dir);
    expect(fs.readdirSync(dir)).toEqual([path.basename(localArchive)]);
    const names = await entries(localArchive);
    expect(names.slice(0, 2)).toEqual(['slipway-state.json', 'slipway.db']);
    expect(names).toContain(`data/repos/${APP}.git/HEAD`);
    expect(names).toContain('data/ssh/host_ed25519');
    expect(names).toContain('data/service-backups/postgres.notes/attempts.json');
    expect(names).not.toContain('data/service-backups/postgres.notes/settings.json');
    const listed = await source.cli(['state:backups']);
    expect(listed.stdout).toContain(localArchive);

    const overSsh = await source.ssh(['state:backup', '--local', '/tmp']);
    expect(overSsh.code).not.toBe(0);
    expect(overSsh.stderr).toContain('is a path on the host');
  });

  test('into a bucket with a passphrase: verified, with its manifest, and not readable without the passphrase', async () => {
    await must(auth(source));
    await must(source.cli(['state:backup-set-encryption', PASSPHRASE]));
    const made = await must(source.cli(['state:backup', BUCKET]));
    expect(made.stdout).toMatch(/Stored s3:\/\/host-backups\/slipway-state\/\S+\.tar\.enc \(\d+ bytes, encrypted\)/);
    s3Archive = /Stored (s3:\/\/\S+) \(/.exec(made.stdout)![1]!;
    const key = s3Archive.slice(`s3://${BUCKET}/`.length);
    expect(await s3.keys(BUCKET)).toContain(`${key}.json`);
    const stored = await s3.object(BUCKET, key);
    expect(stored.subarray(0, 17).toString()).toBe('SLIPWAY-BACKUP-1\n');
    expect(stored.includes('from-the-old-host')).toBe(false);
    expect((await source.cli(['state:backups', '--format', 'json'])).stdout).toContain(key);
  });
});

describe('state:restore', () => {
  test('refuses a Slipway that has apps, and changes nothing', async () => {
    const refused = await source.cli(['state:restore', localArchive]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /^ ! {5}state:restore needs an empty Slipway: this one has 1 app\(s\) and 1 service\(s\)/m,
    );
    expect((await source.get(DOMAIN, '/read')).body).toBe('kept-row\n');
  });

  test('on a new host: a missing archive and a wrong passphrase fail clearly and leave it empty', async () => {
    await fresh.start();
    const missing = await fresh.cli(['state:restore', path.join(fresh.dir, 'nope.tar')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`No archive at ${path.join(fresh.dir, 'nope.tar')}`);

    await must(auth(fresh));
    const noPassphrase = await fresh.cli(['state:restore', s3Archive]);
    expect(noPassphrase.stderr).toContain(
      'The archive is encrypted: give its passphrase with state:backup-set-encryption',
    );
    await must(fresh.cli(['state:backup-set-encryption', 'wrong horse battery']));
    const wrong = await fresh.cli(['state:restore', s3Archive]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(
      /^ ! {5}Cannot decrypt the archive: the passphrase is not the one it was encrypted with/m,
    );
    expect((await fresh.ssh(['apps:list'])).stdout).not.toContain(APP);
  });

  test('brings the app back at its release, config and domain, with the service restored from its own backup', async () => {
    const current = (releases: { version: number; current: boolean }[]) => releases.find((r) => r.current)?.version;
    const released = current(await source.sshJson(['releases', '--format', 'json', APP]));
    expect(released).toBeGreaterThan(1);
    const version = `v${released}`;
    await must(fresh.cli(['state:backup-set-encryption', PASSPHRASE]));
    const restored = await fresh.cli(['state:restore', s3Archive]);
    expect(restored.code, restored.output).toBe(0);
    expect(restored.stdout).toContain('Restoring postgres notes from its backup');
    expect(restored.stdout).toContain(`Bringing ${APP} back at ${version}`);
    expect(restored.stdout).toContain('its image is not on this host');

    expect(
      (
        await eventually(
          () => fresh.get(DOMAIN, '/read'),
          (r) => r.status === 200,
        )
      ).body,
    ).toBe('kept-row\n');
    expect((await fresh.get(DOMAIN, '/env/GREETING')).body).toBe('from-the-old-host');
    expect((await fresh.get(DOMAIN, '/env/SLIPWAY_RELEASE')).body).toBe(version);
    expect(current(await fresh.sshJson(['releases', '--format', 'json', APP]))).toBe(released);
    // The admin key this host was set up with still works, and the old host's is there too.
    expect((await fresh.ssh(['ssh-keys:list'])).code).toBe(0);
    expect((await fresh.ssh(['apps:list'], { key: source.admin })).stdout).toContain(APP);

    const again = await fresh.cli(['state:restore', localArchive]);
    expect(again.stderr).toContain('state:restore needs an empty Slipway');
  }, 400_000);
});
