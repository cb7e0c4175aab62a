import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { UserError } from '../core/errors.js';

/**
 * The encrypted form of a backup, made with Node's crypto alone so it needs no program on the
 * host and streams (a dump of any size is never held in memory). Documented in the README so a
 * person can decrypt without Slipway:
 *
 *   header  = "SLIPWAY-BACKUP-1\n" (17 bytes) | salt (16) | check (32) | nonce prefix (8)
 *   key     = scrypt(passphrase, salt, N=2^15, r=8, p=1) → 64 bytes: AES key (first 32),
 *             check = SHA-256 of the last 32 (a wrong passphrase is told before any data)
 *   records = flag (1: 1 on the last record, else 0) | length (4, big-endian) |
 *             AES-256-GCM ciphertext of `length` bytes | tag (16)
 *             nonce = nonce prefix | record number (4, big-endian, from 0); AAD = flag | length
 * The last record carries the flag, so a cut-off file is refused as well as a changed one.
 */
export const MAGIC = Buffer.from('SLIPWAY-BACKUP-1\n');
export const HEADER_BYTES = MAGIC.length + 16 + 32 + 8;
const RECORD_BYTES = 64 * 1024;
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** Off the event loop: scrypt takes a good fraction of a second by design, and the daemon serves meanwhile. */
async function deriveKey(passphrase: string, salt: Buffer): Promise<{ key: Buffer; check: Buffer }> {
  const material = await new Promise<Buffer>((resolve, reject) =>
    scrypt(passphrase, salt, 64, SCRYPT, (error, key) => (error ? reject(error) : resolve(key))),
  );
  return { key: material.subarray(0, 32), check: createHash('sha256').update(material.subarray(32)).digest() };
}

const nonce = (prefix: Buffer, index: number) => {
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(index);
  return Buffer.concat([prefix, counter]);
};

/** Encrypts what goes through it with the passphrase, in the format above. */
/**
 * A passphrase as backup-set-encryption takes it: 8 to 1024 characters, none of them control
 * characters (a newline would be lost when it is typed again for a restore).
 */
export function checkPassphrase(passphrase: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (passphrase.length < 8 || passphrase.length > 1024 || /[\x00-\x1f\x7f]/.test(passphrase))
    throw new UserError('A passphrase has 8 to 1024 characters, and no control characters (such as a newline)');
  return passphrase;
}

export async function encryptStream(passphrase: string): Promise<Transform> {
  const salt = randomBytes(16);
  const prefix = randomBytes(8);
  const { key, check } = await deriveKey(passphrase, salt);
  let pending = Buffer.alloc(0);
  let index = 0;
  const record = (plain: Buffer, last: boolean) => {
    const head = Buffer.alloc(5);
    head.writeUInt8(last ? 1 : 0);
    head.writeUInt32BE(plain.length, 1);
    const cipher = createCipheriv('aes-256-gcm', key, nonce(prefix, index++));
    cipher.setAAD(head);
    return Buffer.concat([head, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  };
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length > RECORD_BYTES) {
        this.push(record(pending.subarray(0, RECORD_BYTES), false));
        pending = pending.subarray(RECORD_BYTES);
      }
      done();
    },
    flush(done: TransformCallback) {
      done(null, record(pending, true));
    },
  });
  stream.push(Buffer.concat([MAGIC, salt, check, prefix]));
  return stream;
}

/** Undefined when `header` (the file's first HEADER_BYTES) opens with the passphrase, else why not. */
/**
 * The key that opens a backup with this header (its first HEADER_BYTES), or why the
 * passphrase does not: told before any data is read.
 */
export async function openHeader(header: Buffer, passphrase: string): Promise<{ key: Buffer } | { problem: string }> {
  if (header.length < HEADER_BYTES || !header.subarray(0, MAGIC.length).equals(MAGIC))
    return { problem: 'it is not an encrypted Slipway backup' };
  const salt = header.subarray(MAGIC.length, MAGIC.length + 16);
  const { key, check } = await deriveKey(passphrase, salt);
  if (!timingSafeEqual(check, header.subarray(MAGIC.length + 16, MAGIC.length + 48)))
    return { problem: 'the passphrase is not the one it was encrypted with' };
  return { key };
}

/**
 * Decrypts the format above with the key `openHeader` gave for its header; fails on a
 * changed byte or a cut-off end.
 */
export function decryptStream(key: Buffer): Transform {
  let buffered = Buffer.alloc(0);
  let prefix: Buffer | undefined;
  let index = 0;
  let ended = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      buffered = Buffer.concat([buffered, chunk]);
      try {
        if (!prefix) {
          if (buffered.length < HEADER_BYTES) return done();
          prefix = Buffer.from(buffered.subarray(MAGIC.length + 48, HEADER_BYTES));
          buffered = buffered.subarray(HEADER_BYTES);
        }
        while (buffered.length >= 5) {
          const length = buffered.readUInt32BE(1);
          if (ended || length > RECORD_BYTES) throw new Error('Cannot decrypt the backup: it was changed');
          if (buffered.length < 5 + length + 16) break;
          const head = buffered.subarray(0, 5);
          const decipher = createDecipheriv('aes-256-gcm', key, nonce(prefix, index++));
          decipher.setAAD(head);
          decipher.setAuthTag(buffered.subarray(5 + length, 5 + length + 16));
          const plain = decipher.update(buffered.subarray(5, 5 + length));
          decipher.final(); // throws unless the tag matches: nothing unverified goes on
          this.push(plain);
          ended = head[0] === 1;
          buffered = buffered.subarray(5 + length + 16);
        }
        done();
      } catch (error) {
        done(
          error instanceof Error && error.message.startsWith('Cannot decrypt')
            ? error
            : new Error('Cannot decrypt the backup: it was changed'),
        );
      }
    },
    flush(done: TransformCallback) {
      done(ended && buffered.length === 0 ? null : new Error('Cannot decrypt the backup: it is cut off'));
    },
  });
}
