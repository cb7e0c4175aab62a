import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** s3rver's only credentials: it refuses any other key. */
export const S3_KEY = 'S3RVER';

/**
 * s3rver (3.7, its last release) answers AbortMultipartUpload with MethodNotAllowed and keeps
 * the parts; S3, MinIO and the others delete them. This answers it as S3 does, before s3rver's
 * router: the upload's directory (where s3rver keeps its parts) is deleted, and an upload it
 * does not hold is NoSuchUpload.
 */
function abortsUploads(server: S3rver, directory: string): void {
  const abort: S3rver['middleware'][number] = async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    const [, bucket] = /^\/([^/]+)\/./.exec(ctx.path) ?? [];
    if (ctx.method !== 'DELETE' || typeof uploadId !== 'string' || bucket === undefined) return next();
    const upload = path.join(directory, bucket, '._S3rver_uploads', uploadId);
    if (/^[0-9a-f]+$/.test(uploadId) && fs.existsSync(upload)) {
      fs.rmSync(upload, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    ctx.status = 404;
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
  };
  server.middleware.splice(server.middleware.length - 1, 0, abort);
}

/** A real S3 server (s3rver) on loopback with its own directory and port, for one test file. */
export async function startS3(buckets: string[]) {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  abortsUploads(server, directory);
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: S3_KEY, secretAccessKey: S3_KEY },
  });
  return {
    endpoint,
    async keys(bucket: string): Promise<string[]> {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
    },
    async object(bucket: string, key: string): Promise<Buffer> {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await got.Body!.transformToByteArray());
    },
    /** An object as any client puts it (e.g. what an upload completed just before its process died leaves). */
    async put(bucket: string, key: string, body: string): Promise<void> {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    /** What an operator (or a lifecycle rule) deleting one object from the bucket does. */
    async remove(bucket: string, key: string): Promise<void> {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    /** The multipart uploads the server holds, neither completed nor aborted (s3rver keeps each in a directory). */
    uploadsInFlight(bucket: string): string[] {
      const uploads = path.join(directory, bucket, '._S3rver_uploads');
      return fs.existsSync(uploads) ? fs.readdirSync(uploads).sort() : [];
    },
    /** The key each of them is for, as ListMultipartUploads names it (s3rver keeps it in the upload's directory). */
    uploadKeys(bucket: string): string[] {
      const uploads = path.join(directory, bucket, '._S3rver_uploads');
      return this.uploadsInFlight(bucket).map((id) => fs.readFileSync(path.join(uploads, id, 'key'), 'utf8'));
    },
    /** How many parts of multipart uploads not yet completed the server holds (s3rver keeps each in a file). */
    partsInFlight(bucket: string): number {
      const uploads = path.join(directory, bucket, '._S3rver_uploads');
      const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
      try {
        return list(uploads)
          .flatMap((upload) => list(path.join(uploads, upload)))
          .filter((file) => /^\d+$/.test(file)).length;
      } catch {
        return 0; // an upload completed while it was read
      }
    },
    async stop(): Promise<void> {
      client.destroy();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
