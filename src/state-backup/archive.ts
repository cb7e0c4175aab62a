import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { UserError } from '../core/errors.js';
import type { Platform } from '../platform.js';
import { allServiceKinds } from '../services/index.js';
import {
  ARCHIVED_PATHS,
  DATA_PREFIX,
  DB_ENTRY,
  entryProblem,
  FORMAT,
  isArchivedPath,
  MANIFEST_ENTRY,
  manifestSchema,
  type StateManifest,
} from './contents.js';

/** The manifest is small; anything larger is not one. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** A directory for this restore's or backup's files, on the data dir's file system (a rename moves them into place). */
export function workDir(platform: Platform, prefix: string): string {
  const root = path.join(platform.settings.dataDir, 'tmp');
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  return fs.mkdtempSync(path.join(root, prefix));
}

/** Files and directories under `dir`, relative to `root`, parents first; symbolic links are not followed (git repositories have none). */
function* walk(root: string, relative: string): Generator<{ relative: string; directory: boolean }> {
  const full = path.join(root, relative);
  const stat = fs.lstatSync(full, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isFile()) yield { relative, directory: false };
  if (!stat.isDirectory()) return;
  yield { relative, directory: true };
  for (const name of fs.readdirSync(full).sort()) yield* walk(root, `${relative}/${name}`);
}

async function addFile(pack: tar.Pack, name: string, file: string): Promise<void> {
  const handle = await fs.promises.open(file);
  try {
    // Sized by the open file: git and Slipway replace files by renaming, so the content read is the content stat'ed.
    const { size, mode } = await handle.stat();
    const entry = pack.entry({ name, size, mode: mode & 0o700, type: 'file' });
    await pipeline(handle.createReadStream({ start: 0, end: Math.max(0, size - 1), autoClose: false }), entry);
  } finally {
    await handle.close();
  }
}

/**
 * Writes the state archive into `sink`: the database first (a consistent snapshot), then
 * the files. Repositories are read after the snapshot, so every commit the database names
 * is in them (a push only adds). Service credentials go in only with `secrets`.
 */
export async function packState(
  platform: Platform,
  manifest: Omit<StateManifest, 'format' | 'apps' | 'services'>,
  sink: Writable,
): Promise<void> {
  const { state, settings } = platform;
  const work = workDir(platform, 'state-backup-');
  try {
    const snapshot = path.join(work, DB_ENTRY);
    await state.snapshotTo(snapshot);
    const full: StateManifest = {
      ...manifest,
      format: FORMAT,
      apps: state.apps.list().map((a) => a.name),
      services: allServiceKinds.flatMap((k) => state.services.list(k.kind).map((s) => `${k.kind} ${s.name}`)),
    };
    const pack = tar.pack();
    const packed = pipeline(pack, sink);
    pack.entry({ name: MANIFEST_ENTRY, mode: 0o600 }, JSON.stringify(full, null, 2));
    await addFile(pack, DB_ENTRY, snapshot);
    pack.entry({ name: DATA_PREFIX, type: 'directory', mode: 0o700 });
    for (const top of ARCHIVED_PATHS) {
      for (const item of walk(settings.dataDir, top)) {
        if (!item.directory && !isArchivedPath(item.relative, manifest.serviceCredentials)) continue;
        const name = `${DATA_PREFIX}${item.relative}`;
        if (item.directory) pack.entry({ name, type: 'directory', mode: 0o700 });
        else await addFile(pack, name, path.join(settings.dataDir, item.relative));
      }
    }
    pack.finalize();
    await packed;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Unpacks a state archive into `dir` (new and empty), refusing any entry that is not part of
 * a state (see entryProblem): nothing is written outside `dir`, and no link is made.
 */
export async function unpackState(input: Readable, dir: string): Promise<StateManifest> {
  const extract = tar.extract();
  let manifestText: string | undefined;
  let refused: string | undefined;
  extract.on('entry', (header, stream, next) => {
    // A refused entry ends the unpacking: the rest is read and dropped, never written.
    refused ??= entryProblem(header.name, header.type);
    if (refused) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    const target = path.join(dir, header.name.replace(/\/+$/, ''));
    if (header.type === 'directory') {
      fs.mkdirSync(target, { recursive: true, mode: 0o700 });
      stream.resume();
      stream.on('end', next);
      return;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    if (header.name === MANIFEST_ENTRY) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk) => {
        const bytes = chunk as Buffer;
        size += bytes.length;
        if (size <= MAX_MANIFEST_BYTES) chunks.push(bytes);
      });
      stream.on('end', () => {
        manifestText = Buffer.concat(chunks).toString('utf8');
        next();
      });
      return;
    }
    pipeline(stream, fs.createWriteStream(target, { mode: (header.mode & 0o700) | 0o600 })).then(
      () => next(),
      (error: unknown) => next(error as Error),
    );
  });
  await pipeline(input, extract);
  if (refused) throw new UserError(`It is not a Slipway state archive: ${refused}`);
  if (manifestText === undefined || !fs.existsSync(path.join(dir, DB_ENTRY)))
    throw new UserError('It is not a Slipway state archive: it has no manifest or no database');
  let json: unknown;
  try {
    json = JSON.parse(manifestText);
  } catch {
    json = undefined;
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw new UserError(`It is not a Slipway state archive this Slipway reads (${MANIFEST_ENTRY})`);
  return parsed.data;
}
