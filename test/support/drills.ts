import { expect } from 'vitest';
import type { startS3 } from './s3.js';
import { eventually, type RunResult, type SlipwayUnderTest } from './slipway.js';

/** A backup as `postgres:backups` and `state:backups` list it (`--format json`). */
export interface BackupRow {
  id: string;
  where: string;
  file: string;
  status: string;
  error: string | null;
}

/** The command's result, which must have succeeded (its output says why it did not). */
export async function must(result: Promise<RunResult>): Promise<RunResult> {
  const done = await result;
  expect(done.code, done.output).toBe(0);
  return done;
}

/** The backups a listing command (`postgres:backups <service>`, `state:backups`) lists, newest first. */
export async function backupRows(slipway: SlipwayUnderTest, command: string[]): Promise<BackupRow[]> {
  return JSON.parse((await must(slipway.ssh([...command, '--format', 'json']))).stdout) as BackupRow[];
}

/**
 * Runs a backup `command` into `bucket` and kills the daemon (SIGKILL) once the upload is
 * under way (its first part has reached the server): the command fails and the bucket holds
 * no object, only the parts of one unfinished upload (which no object lists, yet S3 keeps and
 * bills). `whileDown` runs then, with the key the upload is for. The daemon is started again,
 * and on its own, with no backup run, aborts that upload (its parts are deleted).
 */
export async function killDaemonDuringUpload(
  slipway: SlipwayUnderTest,
  s3: Awaited<ReturnType<typeof startS3>>,
  bucket: string,
  command: string[],
  whileDown: (uploadKey: string) => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  const interrupted = slipway.ssh(command);
  await eventually(
    () => Promise.resolve(s3.partsInFlight(bucket)),
    (parts) => parts > 0,
    120_000,
  );
  await slipway.killDaemon();
  expect((await interrupted).code).not.toBe(0);
  expect(await s3.keys(bucket)).toEqual([]);
  const keys = s3.uploadKeys(bucket);
  expect(keys).toHaveLength(1);
  await whileDown(keys[0]!);
  await slipway.startDaemon();
  const aborted = await eventually(
    () => Promise.resolve(s3.uploadsInFlight(bucket)),
    (uploads) => uploads.length === 0,
    30_000,
  );
  expect(aborted).toEqual([]);
}
