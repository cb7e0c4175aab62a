import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { encryptStream } from './backup-crypto.js';
import type { BackupAuth } from './backup-settings.js';

/** S3 (or MinIO, Ceph, R2, B2 through an endpoint URL): what backups need of it, streamed. */

/** Parts of a multipart upload: S3's least is 5 MiB; only one part is held in memory at a time. */
const PART_BYTES = 8 * 1024 * 1024;
/** S3 allows at most 10,000 parts: 80 GB at 8 MiB each. */
const MAX_PARTS = 10_000;

type Sdk = typeof import('@aws-sdk/client-s3');

/** A client of one bucket's service, made at its first request. */
export interface BucketClient {
  connect(): Promise<{ sdk: Sdk; s3: S3Client }>;
  destroy(): void;
}

/**
 * The AWS SDK loads at the first request, not with the daemon: most hosts never back up
 * off-site, and loading it costs about 20 MiB and a third of a second of CPU.
 */
export function bucketClient(auth: BackupAuth): BucketClient {
  let made: S3Client | undefined;
  let connecting: Promise<{ sdk: Sdk; s3: S3Client }> | undefined;
  const connect = async () => {
    const sdk = await import('@aws-sdk/client-s3');
    made = new sdk.S3Client({
      region: auth.region,
      credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: auth.secretAccessKey },
      ...(auth.endpoint ? { endpoint: auth.endpoint, forcePathStyle: true } : {}),
      maxAttempts: 3,
    });
    return { sdk, s3: made };
  };
  return { connect: () => (connecting ??= connect()), destroy: () => made?.destroy() };
}

/** Counts and hashes what flows through it: what was written, to compare with what is read back. */
export function measuring(): Transform & { bytes: () => number; sha256: () => string } {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: string | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return Object.assign(stream, { bytes: () => bytes, sha256: () => (digest ??= hash.digest('hex')) });
}

/**
 * Streams `body` into the object in parts; nothing is there under `key` unless all of it is.
 * `started` learns the upload's ID before any part is sent: a process killed in the middle
 * cannot abort its upload, and S3 keeps (and bills) the parts of one never aborted.
 */
export async function uploadStream(
  client: BucketClient,
  bucket: string,
  key: string,
  body: AsyncIterable<Buffer>,
  started?: (uploadId: string) => void,
): Promise<void> {
  const { sdk, s3 } = await client.connect();
  const { UploadId } = await s3.send(new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  if (!UploadId) throw new Error(`s3://${bucket}/${key}: the server gave the upload no ID`);
  started?.(UploadId);
  try {
    const parts: { PartNumber: number; ETag: string | undefined }[] = [];
    const send = async (part: Buffer) => {
      if (parts.length >= MAX_PARTS) throw new Error('the dump is larger than one upload can hold');
      const PartNumber = parts.length + 1;
      const { ETag } = await s3.send(
        new sdk.UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body: part }),
      );
      parts.push({ PartNumber, ETag });
    };
    let pending: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      pending.push(chunk);
      size += chunk.length;
      if (size < PART_BYTES) continue;
      await send(Buffer.concat(pending));
      pending = [];
      size = 0;
    }
    if (size > 0 || parts.length === 0) await send(Buffer.concat(pending));
    await s3.send(
      new sdk.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }),
    );
  } catch (error) {
    const aborted = await abortUpload(client, bucket, key, UploadId).then(
      () => true,
      () => false,
    );
    throw aborted ? error : new UploadLeftError(error, key, UploadId);
  }
}

/**
 * An upload that failed and whose parts are still in the bucket: the server could not be
 * asked to abort it (unreachable at that moment). Its key and ID are kept with the failed
 * attempt so that the next backup, or the daemon's start, aborts it (forgetInterrupted).
 */
export class UploadLeftError extends Error {
  constructor(
    cause: unknown,
    readonly key: string,
    readonly uploadId: string,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** Where a failed upload left parts, for its attempt's record: nothing when it left none. */
export const uploadLeftBy = (error: unknown): { key?: string; uploadId?: string } =>
  error instanceof UploadLeftError ? { key: error.key, uploadId: error.uploadId } : {};

/**
 * Aborts a multipart upload, which deletes its parts. Resolves once it is gone: aborted now, or
 * unknown to the server (completed, or aborted before); rejects when the server could not be
 * asked (or refused), with why.
 */
export async function abortUpload(client: BucketClient, bucket: string, key: string, uploadId: string): Promise<void> {
  const { sdk, s3 } = await client.connect();
  try {
    await s3.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  } catch (error) {
    if (!(error instanceof sdk.NoSuchUpload)) throw error;
  }
}

/** The object's bytes as a stream (`range`: only those, e.g. a header). */
export async function downloadStream(
  client: BucketClient,
  bucket: string,
  key: string,
  range?: { first: number; last: number },
): Promise<Readable> {
  const { sdk, s3 } = await client.connect();
  const { Body } = await s3.send(
    new sdk.GetObjectCommand({ Bucket: bucket, Key: key, Range: range && `bytes=${range.first}-${range.last}` }),
  );
  if (!(Body instanceof Readable)) throw new Error(`s3://${bucket}/${key} has no body`);
  return Body;
}

export async function putSmallObject(client: BucketClient, bucket: string, key: string, text: string): Promise<void> {
  const { sdk, s3 } = await client.connect();
  await s3.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/json' }));
}

export async function deleteObject(client: BucketClient, bucket: string, key: string): Promise<void> {
  const { sdk, s3 } = await client.connect();
  await s3.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

/** Every key under `prefix`, page by page. */
export async function listKeys(client: BucketClient, bucket: string, prefix: string): Promise<string[]> {
  const { sdk, s3 } = await client.connect();
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await s3.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
    keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key])));
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What was stored: its size and checksum, as sent and as read back. */
export interface Stored {
  bytes: number;
  sha256: string;
}

/**
 * Publishes what `produce` writes into `sink` as the object `key`, in three steps so that
 * none looks complete unless it is: streamed in (multipart; encrypted on the way with the
 * passphrase when there is one), read back and compared (size and SHA-256) with what was
 * sent, and only then described by the manifest `<key>.json`. When `produce` fails, what
 * was uploaded is deleted and its error is thrown. `uploadStarted`: as uploadStream's `started`.
 */
export async function storeVerified(
  client: BucketClient,
  target: { bucket: string; key: string },
  produce: (sink: Writable) => Promise<void>,
  passphrase: string | undefined,
  manifest: (stored: Stored) => object,
  uploadStarted?: (uploadId: string) => void,
): Promise<Stored> {
  const { bucket, key } = target;
  const sent = measuring();
  const source = new PassThrough();
  const stages: NodeJS.ReadWriteStream[] = passphrase === undefined ? [] : [await encryptStream(passphrase)];
  const flowing = stages.reduce<NodeJS.ReadableStream>((from, to) => from.pipe(to), source).pipe(sent);
  const upload = uploadStream(client, bucket, key, flowing as AsyncIterable<Buffer>, uploadStarted).catch(
    (error: unknown) => {
      // The producer runs on to its end (a service's container writes regardless); what is left is dropped.
      source.unpipe();
      source.resume();
      throw error;
    },
  );
  const [produced, uploaded] = await Promise.allSettled([produce(source).finally(() => source.end()), upload]);
  if (uploaded.status === 'rejected') throw uploaded.reason;
  if (produced.status === 'rejected') {
    await deleteObject(client, bucket, key).catch(() => undefined);
    throw produced.reason;
  }
  const readBack = measuring();
  await pipeline(await downloadStream(client, bucket, key), readBack, new PassThrough().resume());
  if (readBack.bytes() !== sent.bytes() || readBack.sha256() !== sent.sha256()) {
    throw new Error(`the stored object differs from what was sent (${readBack.bytes()} of ${sent.bytes()} bytes)`);
  }
  const stored = { bytes: sent.bytes(), sha256: sent.sha256() };
  await putSmallObject(client, bucket, `${key}.json`, JSON.stringify(manifest(stored), null, 2));
  return stored;
}
