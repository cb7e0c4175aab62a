import os from 'node:os';
import { afterAll, beforeAll, inject, test } from 'vitest';
import { S3_KEY, startS3 } from '../../test/support/s3.js';
import { SlipwayUnderTest, type RunResult } from '../../test/support/slipway.js';

/**
 * Backup and restore throughput of a Postgres service of BENCH_DB_MB (default 128; the
 * issue's drill is 1024) through Slipway's own path: pg_dump streamed into a real S3 server
 * (s3rver on loopback) in parts, read back and compared, then the manifest; once plain and
 * once encrypted; then restored into the service (pg_restore --clean) from the bucket.
 * Prints MB/s of the database's size (what a user waits for) and the dump's size.
 */
const DB_MB = Number(process.env.BENCH_DB_MB ?? 128);
const BUCKET = 'bench-backups';
const slipway = new SlipwayUnderTest(inject('redisUrl'));
let s3: Awaited<ReturnType<typeof startS3>>;

const must = async (result: Promise<RunResult>) => {
  const done = await result;
  if (done.code !== 0) throw new Error(done.output);
  return done;
};
const sql = async (statement: string) =>
  (await must(slipway.ssh(['postgres:connect', 'bench'], { input: `${statement}\n` }))).stdout;

/** The machine may be shared: figures mean little without the load they were taken under. */
const load = () =>
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;

/** Runs `fn`; its seconds. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  await slipway.start();
  await must(slipway.ssh(['postgres:create', 'bench']));
  await must(slipway.ssh(['postgres:backup-auth', 'bench', S3_KEY, S3_KEY, 'us-east-1', 's3v4', s3.endpoint]));
}, 300_000);
afterAll(async () => {
  await slipway.destroy();
  await s3.stop();
});

test(`backup and restore of a ${DB_MB} MB database`, async () => {
  // 1 KB rows of random hex (about half of it survives pg_dump's compression), 64 MB a statement
  await sql('CREATE TABLE blobs (body text);');
  const rowsPerStatement = 64 * 1024;
  for (let done = 0; done < DB_MB * 1024; done += rowsPerStatement) {
    const rows = Math.min(rowsPerStatement, DB_MB * 1024 - done);
    await sql(
      `INSERT INTO blobs SELECT (SELECT string_agg(md5(random()::text || g || i), '') FROM generate_series(1, 32) i) FROM generate_series(1, ${rows}) g;`,
    );
  }
  const size = Number(/(\d+)/.exec(await sql("SELECT pg_database_size('bench');"))![1]) / 1024 / 1024;
  console.log(`-----> Postgres database of ${size.toFixed(0)} MB (BENCH_DB_MB=${DB_MB}); ${load()}`);

  const backUp = async (label: string) => {
    let output = '';
    const seconds = await timed(
      async () => (output = (await must(slipway.ssh(['postgres:backup', 'bench', BUCKET]))).stdout),
    );
    const bytes = Number(/\((\d+) bytes/.exec(output)![1]) / 1024 / 1024;
    console.log(
      `       backup ${label.padEnd(10)} ${seconds.toFixed(1)} s: ${(size / seconds).toFixed(1)} MB/s of database, ${bytes.toFixed(0)} MB stored (${(bytes / seconds).toFixed(1)} MB/s)`,
    );
    return /Backup (\S+) complete/.exec(output)![1]!;
  };
  await backUp('plain');
  await must(slipway.ssh(['postgres:backup-set-encryption', 'bench', 'bench-passphrase']));
  const encrypted = await backUp('encrypted');

  const seconds = await timed(() => must(slipway.ssh(['postgres:backup-restore', 'bench', encrypted, '--force'])));
  console.log(`       restore (encrypted) ${seconds.toFixed(1)} s: ${(size / seconds).toFixed(1)} MB/s of database`);
  console.log(`       ${load()}`);
  const count = Number(/(\d+)/.exec(await sql('SELECT count(*) FROM blobs;'))![1]);
  if (count !== DB_MB * 1024) throw new Error(`the restored database has ${count} rows of ${DB_MB * 1024}`);
});
