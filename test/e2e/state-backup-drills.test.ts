import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { S3_KEY, startS3 } from '../support/s3.js';
import { backupRows, killDaemonDuringUpload, must } from '../support/drills.js';
import { eventually, SlipwayUnderTest } from '../support/slipway.js';

/**
 * A drill for Slipway's own state backups, as backup-drills.test.ts is for a service's: the
 * daemon killed (SIGKILL) in the middle of `state:backup`'s upload leaves no object that looks
 * complete, the restarted daemon deletes what it left in the bucket (the parts of its
 * unfinished multipart upload included) with no backup run, `state:backups` reports that
 * backup interrupted (never as a backup), and the next state backup works.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
let s3: Awaited<ReturnType<typeof startS3>>;
const BUCKET = 'state-drills';

const rows = () => backupRows(slipway, ['state:backups']);

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  await slipway.start();
  await must(slipway.cli(['state:backup-auth', S3_KEY, S3_KEY, 'us-east-1', 's3v4', s3.endpoint]));
  // 96 MB that does not compress, in the repositories a state archive carries: an upload of
  // several parts, which takes a while to send
  const bulk = path.join(slipway.dir, 'data', 'repos', 'bulk.git');
  fs.mkdirSync(bulk, { recursive: true });
  fs.writeFileSync(path.join(bulk, 'bulk'), randomBytes(96 * 1024 * 1024));
}, 300_000);
afterAll(async () => {
  await slipway.destroy();
  await s3.stop();
});

test('the daemon killed during state:backup: nothing looks complete; restarted, it aborts the upload and deletes what the backup left; the backup reads as interrupted, the next one works', async () => {
  // what an upload that completed just before the kill would have left: an object without its manifest
  let leftover = '';
  await killDaemonDuringUpload(slipway, s3, BUCKET, ['state:backup', BUCKET], async (key) => {
    leftover = key;
    await s3.put(BUCKET, key, 'the first bytes of an archive');
  });
  expect(leftover).toMatch(new RegExp(`^slipway-state/${slipway.instance}/\\d{8}T\\d{6}Z-[0-9a-f]{6}\\.tar$`));
  const cleaned = await eventually(
    () => s3.keys(BUCKET),
    (keys) => keys.length === 0,
    30_000,
  );
  expect(cleaned).toEqual([]);

  const [failed] = await rows();
  expect(failed).toMatchObject({ where: 's3', dir: BUCKET, status: 'failed' });
  expect(failed!.error).toMatch(/^interrupted: Slipway stopped during the backup/);
  expect(leftover).toContain(failed!.id);

  const next = await must(slipway.ssh(['state:backup', BUCKET]));
  const id = /Backup (\S+) complete/.exec(next.stdout)![1]!;
  const listed = await rows();
  expect(listed.map((r) => [r.id, r.status])).toEqual([
    [id, 'ok'],
    [failed!.id, 'failed'],
  ]);
  const key = `slipway-state/${slipway.instance}/${id}.tar`;
  expect(await s3.keys(BUCKET)).toEqual([key, `${key}.json`]);
  expect(s3.uploadsInFlight(BUCKET)).toEqual([]);
}, 300_000);
