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
