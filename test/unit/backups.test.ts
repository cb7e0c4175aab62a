import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  checkPassphrase,
  decryptStream,
  encryptStream,
  HEADER_BYTES,
  openHeader,
} from '../../src/services/backup-crypto.js';
import { dueBetween, runDueBackups } from '../../src/services/backup-schedules.js';
import { maskedAuth, parseBackupAuth, parseBackupSchedule, parseBucket } from '../../src/services/offsite-backups.js';
import { UserError } from '../../src/core/errors.js';

async function through(data: Buffer, ...stages: NodeJS.ReadWriteStream[]): Promise<Buffer> {
  const out = stages.reduce<NodeJS.ReadableStream>((stream, stage) => stream.pipe(stage), Readable.from(chunks(data)));
  const parts: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    for (const stage of stages) stage.on('error', reject);
    out.on('data', (chunk: Buffer) => parts.push(chunk));
    out.on('end', resolve);
  });
  return Buffer.concat(parts);
}

/** Uneven pieces, as a dump arrives. */
function* chunks(data: Buffer) {
  for (let at = 0; at < data.length; at += 10_000 + (at % 7_777)) yield data.subarray(at, at + 10_000 + (at % 7_777));
}

/** What a restore does: the header checked first, then the stream decrypted with its key. */
async function decrypt(encrypted: Buffer, passphrase: string): Promise<Buffer> {
  const opened = await openHeader(encrypted.subarray(0, HEADER_BYTES), passphrase);
  if ('problem' in opened) throw new Error(opened.problem);
  return through(encrypted, decryptStream(opened.key));
}

describe('encrypted backups', () => {
  const plain = randomBytes(300_000);
  // One encryption for the tests that only read it: each costs a scrypt, a good fraction of a second.
  const passphrase = 'a passphrase';
  let encrypted: Buffer;
  beforeAll(async () => {
    encrypted = await through(plain, await encryptStream(passphrase));
  });
  // Buffer.equals, not toEqual: vitest's deep equality walks a buffer byte by byte (seconds for these).
  const same = (a: Buffer, b: Buffer) => expect(a.equals(b), `${a.length} bytes against ${b.length}`).toBe(true);

  test('round-trip through several records; the ciphertext is not the plaintext', async () => {
    expect(encrypted.includes(plain.subarray(0, 64))).toBe(false);
    same(await decrypt(encrypted, passphrase), plain);
    same(await decrypt(await through(Buffer.alloc(0), await encryptStream('p')), 'p'), Buffer.alloc(0));
  });

  test('a wrong passphrase is told from the header alone', async () => {
    expect(await openHeader(encrypted.subarray(0, HEADER_BYTES), passphrase)).toHaveProperty('key');
    expect(await openHeader(encrypted.subarray(0, HEADER_BYTES), 'wrong one')).toEqual({
      problem: 'the passphrase is not the one it was encrypted with',
    });
    expect(await openHeader(plain.subarray(0, HEADER_BYTES), passphrase)).toEqual({
      problem: 'it is not an encrypted Slipway backup',
    });
    // A key for another backup's header opens nothing of this one.
    const other = await openHeader(
      (await through(plain, await encryptStream(passphrase))).subarray(0, HEADER_BYTES),
      passphrase,
    );
    await expect(through(encrypted, decryptStream((other as { key: Buffer }).key))).rejects.toThrow('it was changed');
  });

  test('a changed byte, a cut-off end or a dropped record is refused', async () => {
    const changed = Buffer.from(encrypted);
    changed[HEADER_BYTES + 1000] = changed[HEADER_BYTES + 1000]! ^ 1;
    await expect(decrypt(changed, passphrase)).rejects.toThrow('it was changed');
    await expect(decrypt(encrypted.subarray(0, encrypted.length - 100), passphrase)).rejects.toThrow('it is cut off');
    const record = 5 + 64 * 1024 + 16;
    const withoutLast = encrypted.subarray(0, HEADER_BYTES + 4 * record);
    await expect(decrypt(withoutLast, passphrase)).rejects.toThrow('it is cut off');
  });
});

test('a passphrase is 8 to 1024 characters of any text but control characters', () => {
  expect(checkPassphrase("../../it's $(fine) ; really")).toBe("../../it's $(fine) ; really");
  for (const bad of ['short', 'x'.repeat(1025), 'two\nlines here', 'a\u0000nul inside'])
    expect(() => checkPassphrase(bad)).toThrow('A passphrase has 8 to 1024 characters, and no control characters');
});

describe('backup schedules', () => {
  test('a schedule is due when one of its times passed since the last look', () => {
    const at = (time: string) => new Date(`2026-12-06T${time}`);
    expect(dueBetween('0 3 * * *', at('02:59:50'), at('03:00:05'))).toBe(true);
    expect(dueBetween('0 3 * * *', at('03:00:05'), at('03:00:20'))).toBe(false);
    expect(dueBetween('*/5 * * * *', at('10:04:59'), at('10:05:00'))).toBe(true);
  });

  test('only due schedules run, a failure is reported and does not stop the others', async () => {
    const ran: string[] = [];
    const failed: string[] = [];
    const schedule = (key: string, cron: string, fails = false) => ({
      key,
      cron,
      run: () => {
        ran.push(key);
        return fails ? Promise.reject(new Error('unreachable')) : Promise.resolve();
      },
    });
    const since = new Date('2026-12-06T02:59:50');
    const now = new Date('2026-12-06T03:00:05');
    const next = runDueBackups(
      [schedule('a', '0 3 * * *', true), schedule('b', '0 4 * * *'), schedule('c', '* * * * *')],
      since,
      now,
      (key) => failed.push(key),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(next).toBe(now);
    expect(ran).toEqual(['a', 'c']);
    expect(failed).toEqual(['a']);
  });
});

describe('backup settings are checked', () => {
  test('buckets, schedules and endpoints', () => {
    expect(parseBucket('team-backups.eu')).toBe('team-backups.eu');
    for (const bad of ['ab', 'Bad_Bucket', '../x', 'a..b', '192.168.1.1', 'x'.repeat(64), '-start'])
      expect(() => parseBucket(bad)).toThrow(UserError);
    expect(parseBackupSchedule('0 3 * * *')).toBe('0 3 * * *');
    expect(() => parseBackupSchedule('* * * * * *')).toThrow('Invalid schedule');
    const auth = parseBackupAuth({ accessKeyId: 'AKIAEXAMPLE', secret: 'shh', endpoint: 'http://127.0.0.1:9000' });
    expect(auth).toEqual({
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'shh',
      region: 'us-east-1',
      signatureVersion: 's3v4',
      endpoint: 'http://127.0.0.1:9000/',
    });
    for (const endpoint of ['ftp://x', 'http://user:pw@host/', 'http://h\\@evil/', 'not a url']) {
      expect(() => parseBackupAuth({ accessKeyId: 'k', secret: 's', endpoint })).toThrow('Invalid endpoint URL');
    }
    expect(() => parseBackupAuth({ accessKeyId: 'k', secret: 's', signatureVersion: 's3' })).toThrow('s3v4');
    expect(() => parseBackupAuth({ accessKeyId: 'k y', secret: 's' })).toThrow(UserError);
    expect(JSON.stringify(maskedAuth(auth))).not.toMatch(/shh|AKIAEXAMPLE/);
  });
});
