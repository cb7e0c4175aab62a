import { Readable } from 'node:stream';
import * as sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import type { LogFields } from '../../src/core/log.js';
import { PROCESS_OWNER } from '../../src/core/owner.js';
import { INTERRUPTED } from '../../src/services/backup-settings.js';
import { uploadLeftBy, uploadStream, type BucketClient } from '../../src/services/bucket.js';
import { cleanUpInterruptedBackups } from '../../src/services/offsite-backups.js';
import { backupAttempt, GONE, tempBackupSettings } from '../support/backup-attempts.js';

/**
 * What the daemon does at its start with the backups that were running when it died: their
 * unfinished uploads are aborted and what they left deleted, without waiting for the next
 * backup; a bucket that cannot be reached leaves them for later, said in the log.
 */
const newStore = tempBackupSettings();
const store = (accessKeyId = 'key') => {
  const made = newStore();
  made.update({ auth: { accessKeyId, secretAccessKey: 's', region: 'us-east-1', signatureVersion: 's3v4' } });
  return made;
};

/**
 * A bucket's client whose requests are recorded (command and key); `unreachable`: each fails
 * as a refused connection, `refusing`: those commands do. A new upload's ID is `up-new`.
 */
function fakeBucket(options: { unreachable?: boolean; refusing?: string[] } = {}) {
  const sent: string[] = [];
  let connects = 0;
  const s3 = {
    send: (command: { constructor: { name: string }; input: { Key?: string } }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      sent.push(`${name} ${command.input.Key}`);
      if (options.unreachable || options.refusing?.includes(name))
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }));
      return Promise.resolve(name === 'CreateMultipartUpload' ? { UploadId: 'up-new' } : {});
    },
  } as unknown as S3Client;
  const client: BucketClient = {
    connect: () => (connects++, Promise.resolve({ sdk, s3 })),
    destroy: () => undefined,
  };
  return { client, sent, connects: () => connects };
}

function collectLog() {
  const lines: string[] = [];
  const log = (line: string, fields?: LogFields) => lines.push(`${fields?.level ?? 'info'} ${line}`);
  return { lines, log };
}

describe('interrupted backups at the daemon start', () => {
  test('an interrupted upload is aborted and what it left deleted; the attempt stays failed (interrupted); a running one is left alone', async () => {
    const attempts = store();
    attempts.record(backupAttempt('a', { owner: GONE, uploadId: 'up-a' }));
    attempts.record(backupAttempt('b', { owner: PROCESS_OWNER, uploadId: 'up-b' }));
    const bucket = fakeBucket();
    const { lines, log } = collectLog();

    await cleanUpInterruptedBackups([{ name: 'postgres db', store: attempts }], log, () => bucket.client);

    expect(bucket.sent).toEqual([
      'AbortMultipartUpload postgres/db/a.dump',
      'DeleteObject postgres/db/a.dump.json',
      'DeleteObject postgres/db/a.dump',
    ]);
    const [b, a] = attempts.attempts();
    expect(a).toMatchObject({ id: 'a', status: 'failed', error: INTERRUPTED });
    expect([a!.key, a!.uploadId]).toEqual([undefined, undefined]);
    expect(b).toMatchObject({ id: 'b', status: 'running', uploadId: 'up-b' });
    expect(lines).toEqual([
      'info deleted what the interrupted backup a of postgres db left in s3://b/postgres/db/a.dump, its unfinished upload aborted',
    ]);

    // done once: the next start has nothing to do
    await cleanUpInterruptedBackups([{ name: 'postgres db', store: attempts }], log, () => bucket.client);
    expect(bucket.sent).toHaveLength(3);
  });

  test('a bucket that cannot be reached keeps the upload for the next try, logged; the other stores are cleaned all the same', async () => {
    const far = store('far');
    far.record(backupAttempt('a', { owner: GONE, uploadId: 'up-a' }));
    const near = store();
    near.record(backupAttempt('c', { owner: GONE, key: 'slipway-state/i/c.tar', uploadId: 'up-c' }));
    const unreachable = fakeBucket({ unreachable: true });
    const reachable = fakeBucket();
    const { lines, log } = collectLog();

    await cleanUpInterruptedBackups(
      [
        { name: 'postgres db', store: far },
        { name: 'slipway state', store: near },
      ],
      log,
      (auth) => (auth.accessKeyId === 'far' ? unreachable.client : reachable.client),
    );
    expect(reachable.sent).toContain('AbortMultipartUpload slipway-state/i/c.tar');
    expect(far.attempts()[0]).toMatchObject({ status: 'failed', error: INTERRUPTED, uploadId: 'up-a' });
    expect(near.attempts()[0]!.uploadId).toBeUndefined();
    expect(lines).toContain(
      'warn could not abort the unfinished upload of the interrupted backup a of postgres db in s3://b: connect ECONNREFUSED 127.0.0.1:9 (the next backup tries again)',
    );

    // reachable again (the daemon's next start, or the next backup): aborted then
    await cleanUpInterruptedBackups([{ name: 'postgres db', store: far }], log, () => reachable.client);
    expect(reachable.sent).toContain('AbortMultipartUpload postgres/db/a.dump');
    expect(far.attempts()[0]!.uploadId).toBeUndefined();
  });

  test('a failed upload the server could not be asked to abort is kept with its attempt, and aborted by the next clean-up', async () => {
    const down = fakeBucket({ refusing: ['UploadPart', 'AbortMultipartUpload'] });
    const failed = await uploadStream(
      down.client,
      'b',
      'postgres/db/f.dump',
      Readable.from([Buffer.from('dump')]),
    ).catch((error: unknown) => error);
    expect(down.sent).toEqual([
      'CreateMultipartUpload postgres/db/f.dump',
      'UploadPart postgres/db/f.dump',
      'AbortMultipartUpload postgres/db/f.dump',
    ]);
    expect((failed as Error).message).toBe('connect ECONNREFUSED 127.0.0.1:9');
    const left = uploadLeftBy(failed);
    expect(left).toEqual({ key: 'postgres/db/f.dump', uploadId: 'up-new' });
    // aborted at once, it leaves nothing to record
    const aborting = fakeBucket({ refusing: ['UploadPart'] });
    expect(
      uploadLeftBy(
        await uploadStream(aborting.client, 'b', 'k', Readable.from([Buffer.from('x')])).catch((e: unknown) => e),
      ),
    ).toEqual({});

    const attempts = store();
    attempts.record(backupAttempt('f', { status: 'failed', error: 'connect ECONNREFUSED 127.0.0.1:9', ...left }));
    const bucket = fakeBucket();
    const { lines, log } = collectLog();
    await cleanUpInterruptedBackups([{ name: 'postgres db', store: attempts }], log, () => bucket.client);
    expect(bucket.sent[0]).toBe('AbortMultipartUpload postgres/db/f.dump');
    expect(attempts.attempts()[0]).toMatchObject({ status: 'failed', error: 'connect ECONNREFUSED 127.0.0.1:9' });
    expect(attempts.attempts()[0]!.uploadId).toBeUndefined();
    expect(lines).toEqual([
      'info deleted what the failed backup f of postgres db left in s3://b/postgres/db/f.dump, its unfinished upload aborted',
    ]);
  });

  test('with nothing interrupted no bucket is asked (the S3 library is not even loaded)', async () => {
    const attempts = store();
    attempts.record(backupAttempt('a', { owner: GONE, uploadId: 'up-a', status: 'ok' }));
    attempts.record(backupAttempt('b', { owner: PROCESS_OWNER }));
    const bucket = fakeBucket();
    await cleanUpInterruptedBackups([{ name: 'postgres db', store: attempts }], collectLog().log, () => bucket.client);
    expect(bucket.connects()).toBe(0);
  });
});
