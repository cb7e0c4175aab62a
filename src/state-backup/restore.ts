import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { releaseImage } from '../builder/images.js';
import { errorMessage, UserError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { requestDeploy } from '../deploy/index.js';
import { isStopped } from '../deploy/desired.js';
import { closeInterruptedWork } from '../deploy/recovery.js';
import { ensureRepo } from '../git/repos.js';
import type { Platform } from '../platform.js';
import {
  allServiceKinds,
  bucketClient,
  decryptStream,
  downloadStream,
  HEADER_BYTES,
  latestInBucket,
  MAGIC,
  measuring,
  openHeader,
  parseBucket,
  readAll,
  restoreFromBucket,
  serviceBackupSettings,
  startRecordedService,
} from '../services/index.js';
import { NewerSchemaError } from '../state/index.js';
import { unpackState, workDir } from './archive.js';
import { stateBackupSettings } from './backup.js';
import { ARCHIVED_PATHS, DATA_PREFIX, DB_ENTRY, type StateManifest } from './contents.js';

/** A state archive: a file on this host, or an object in a bucket (`s3://bucket/key`). */
export type RestoreSource = { file: string } | { bucket: string; key: string };

const OBJECT_KEY = /^[A-Za-z0-9!_.*'()/-]{1,1024}$/;

/** `s3://bucket/key` or a path (resolved from `cwd`). Pure. */
export function parseRestoreSource(text: string | undefined, cwd: string): RestoreSource {
  if (!text) throw new UserError('Please specify an archive: a file, or s3://<bucket>/<key>');
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(text);
  if (s3) {
    const key = s3[2]!;
    if (!OBJECT_KEY.test(key) || key.split('/').includes('..'))
      throw new UserError(`Invalid object key ${JSON.stringify(key.slice(0, 80))}`);
    return { bucket: parseBucket(s3[1]), key };
  }
  if (text.startsWith('s3:')) throw new UserError('An archive in a bucket is named s3://<bucket>/<key>');
  return { file: path.resolve(cwd, text) };
}

/** Restore is for a new host: one that has apps or services already would have them mixed or overwritten. */
function requireEmpty(platform: Platform): void {
  const apps = platform.state.apps.list().length;
  const services = allServiceKinds.reduce((n, kind) => n + platform.state.services.list(kind.kind).length, 0);
  if (apps + services > 0)
    throw new UserError(
      `state:restore needs an empty Slipway: this one has ${apps} app(s) and ${services} service(s) (restore on a new host, or a new data dir)`,
    );
}

/** Downloads the object next to the restore's files, checked against its manifest (size and SHA-256). */
async function download(platform: Platform, source: { bucket: string; key: string }, into: string): Promise<string> {
  const { auth } = stateBackupSettings(platform).read();
  if (!auth) throw new UserError('No backup credentials for Slipway’s state: set them with state:backup-auth');
  const client = bucketClient(auth);
  const file = path.join(into, 'archive');
  try {
    const manifest = JSON.parse(
      (await readAll(await downloadStream(client, source.bucket, `${source.key}.json`))).toString(),
    ) as { bytes: number; sha256: string };
    const received = measuring();
    await pipeline(await downloadStream(client, source.bucket, source.key), received, fs.createWriteStream(file));
    if (received.bytes() !== manifest.bytes || received.sha256() !== manifest.sha256)
      throw new UserError(`s3://${source.bucket}/${source.key} differs from its manifest: the archive is damaged`);
    return file;
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`Cannot read s3://${source.bucket}/${source.key}: ${errorMessage(error)}`);
  } finally {
    client.destroy();
  }
}

/** The archive's tar stream: decrypted with the state's passphrase when it is encrypted (checked before any data). */
async function openArchive(platform: Platform, file: string): Promise<Readable> {
  let header: Buffer;
  try {
    const handle = await fs.promises.open(file);
    try {
      header = Buffer.alloc(HEADER_BYTES);
      header = header.subarray(0, (await handle.read(header, 0, HEADER_BYTES, 0)).bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    throw new UserError(`No archive at ${file}`);
  }
  // Opened only once the archive is known to open: a stream never read would fail unheard when its file goes.
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) return fs.createReadStream(file);
  const { passphrase } = stateBackupSettings(platform).read();
  if (passphrase === undefined)
    throw new UserError('The archive is encrypted: give its passphrase with state:backup-set-encryption');
  const opened = await openHeader(header, passphrase);
  if ('problem' in opened) throw new UserError(`Cannot decrypt the archive: ${opened.problem}`);
  const plain = new PassThrough();
  pipeline(fs.createReadStream(file), decryptStream(opened.key), plain).catch((error: unknown) =>
    plain.destroy(error as Error),
  );
  return plain;
}

/** What a restore reports as it goes. */
export interface RestoreProgress {
  step: (line: string) => void;
  detail: (line: string) => void;
  /** A restored app's deploy log. */
  deployLine: (line: string) => void;
  signal: AbortSignal;
  requestedBy: string;
  log: Log;
}

/**
 * Puts an archive's state on this (empty) Slipway and brings it back to life: the database
 * and files first; then every service (from its own latest backup in a bucket when it has
 * one, else empty); then every deployed app at its current release, its image built again
 * from its repository when this host has none. Everything about the archive (where it is,
 * its passphrase, its contents) is checked before anything changes. Returns what could not
 * be brought back.
 */
export async function restoreState(
  platform: Platform,
  source: RestoreSource,
  progress: RestoreProgress,
): Promise<string[]> {
  requireEmpty(platform);
  const work = workDir(platform, 'state-restore-');
  try {
    const file = 'file' in source ? source.file : await download(platform, source, work);
    const contents = path.join(work, 'contents');
    fs.mkdirSync(contents, { mode: 0o700 });
    const manifest = await unpackState(await openArchive(platform, file), contents).catch((error: unknown) => {
      throw error instanceof UserError ? error : new UserError(`Cannot read the archive: ${errorMessage(error)}`);
    });
    requireEmpty(platform);
    progress.step(`Restoring Slipway's state of ${manifest.createdAt} (${manifest.id}, instance ${manifest.instance})`);
    await putStateInPlace(platform, contents, progress);
    const problems = await bringServicesBack(platform, manifest, progress);
    problems.push(...(await bringAppsBack(platform, progress)));
    return problems;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The database (keeping the keys this host was given to run the restore) and the archived files. */
async function putStateInPlace(platform: Platform, contents: string, progress: RestoreProgress): Promise<void> {
  const { state, settings } = platform;
  const ownKeys = state.keys.list();
  try {
    await state.replaceWith(path.join(contents, DB_ENTRY));
  } catch (error) {
    if (error instanceof NewerSchemaError)
      throw new UserError(`The archive comes from a newer Slipway: ${error.message}`);
    throw error;
  }
  // The keys of whoever set this host up stay (under a new name when the old host used theirs).
  for (const key of ownKeys) {
    if (state.keys.byFingerprint(key.fingerprint)) continue;
    let name = key.name;
    for (let n = 2; state.keys.byName(name); n++) name = `${key.name.slice(0, 58)}-${n}`;
    state.keys.add({ ...key, name }, { admin: key.isAdmin });
  }
  for (const relative of ARCHIVED_PATHS) {
    const from = path.join(contents, DATA_PREFIX, relative);
    const to = path.join(settings.dataDir, relative);
    if (!fs.existsSync(from)) continue;
    fs.rmSync(to, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
    fs.renameSync(from, to);
  }
  for (const app of state.apps.list()) {
    await ensureRepo(settings.reposDir, app.name); // its hook runs this host's Slipway
    // Images are named after the instance: this host's names, built again when absent.
    for (const release of state.releases.list(app.name))
      state.releases.setImage(app.name, release.version, releaseImage(settings.instance, app.name, release.version));
  }
  await closeInterruptedWork(platform, progress.log);
  progress.detail(
    `${state.apps.list().length} app(s), ${state.keys.list().length} SSH key(s), database and files restored`,
  );
  progress.detail('The SSH host key is used from the next start of the daemon');
}

async function bringServicesBack(
  platform: Platform,
  manifest: StateManifest,
  progress: RestoreProgress,
): Promise<string[]> {
  const problems: string[] = [];
  for (const kind of allServiceKinds) {
    for (const service of platform.state.services.list(kind.kind)) {
      const label = `${kind.kind} ${service.name}`;
      progress.step(`Starting ${kind.title} service ${service.name}`);
      try {
        await startRecordedService(platform, kind, service, progress.detail);
        const settings = serviceBackupSettings(platform, kind, service.name);
        const latest = latestInBucket(settings.attempts());
        if (!latest) {
          progress.detail(`${label} has no backup in a bucket: it starts empty`);
          continue;
        }
        if (!settings.read().auth) {
          progress.detail(
            `${label} starts empty: its backup ${latest.id} needs its credentials (${manifest.serviceCredentials ? 'none were set' : 'an unencrypted archive does not carry them'}); restore it with ${kind.kind}:backup-auth, then ${kind.kind}:backup-restore ${service.name} ${latest.id}`,
          );
          continue;
        }
        progress.detail(`Restoring ${label} from its backup ${latest.id} (s3://${latest.bucket}/${latest.key})`);
        await restoreFromBucket(platform, kind, service, latest.id, service);
      } catch (error) {
        problems.push(`${label}: ${errorMessage(error)}`);
        progress.detail(`${label} could not be restored: ${errorMessage(error)}`);
      }
    }
  }
  return problems;
}

/** Each deployed app at its current release (no new release), one after the other. */
async function bringAppsBack(platform: Platform, progress: RestoreProgress): Promise<string[]> {
  const problems: string[] = [];
  for (const { name: app } of platform.state.apps.list()) {
    const current = platform.state.releases.current(app);
    if (!current) {
      progress.detail(`${app} was never deployed: nothing to start`);
      continue;
    }
    if (isStopped(platform.state, app)) {
      progress.detail(`${app} was stopped: it stays so (ps:start ${app})`);
      continue;
    }
    progress.step(`Bringing ${app} back at v${current.version}`);
    try {
      const result = await requestDeploy(
        platform,
        { kind: 'restart', reason: 'restore', app, deployId: randomUUID(), requestedBy: progress.requestedBy },
        progress.deployLine,
        progress.signal,
      );
      if (!result.ok) problems.push(`${app}: ${result.message ?? 'its deploy failed'}`);
    } catch (error) {
      problems.push(`${app}: ${errorMessage(error)}`);
    }
  }
  return problems;
}
