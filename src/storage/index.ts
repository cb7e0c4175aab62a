import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import type { State } from '../state/index.js';

export const STORAGE_PROPERTY = 'storage.mounts';
/** Plain path characters only: no `:` or `,` that Docker's bind syntax would read, no spaces. */
const SAFE_PATH = /^\/[A-Za-z0-9._/-]*$/;
const APP_USER_ID = 1000; // the run image's user, so buildpack apps can write to a new directory
const mountsSchema = z.array(z.string());

export interface Mount {
  hostDir: string;
  containerDir: string;
  readOnly: boolean;
}

/** `/host/dir:/container/dir[:ro]`, with the host dir inside the storage root. */
export function parseMount(spec: string | undefined, storageRoot: string): Mount {
  if (!spec) throw new UserError('Please specify a mount: /host/dir:/container/dir');
  const [hostDir = '', containerDir = '', mode, ...extra] = spec.split(':');
  if (extra.length > 0 || (mode !== undefined && mode !== 'ro'))
    throw new UserError(`Invalid mount ${spec}: expected /host/dir:/container/dir[:ro]`);
  for (const dir of [hostDir, containerDir]) {
    if (!SAFE_PATH.test(dir) || path.posix.normalize(dir) !== dir || dir.endsWith('/')) {
      throw new UserError(
        `Invalid path ${dir || '(empty)'}: give an absolute path of letters, digits, '.', '_', '-' and '/', without '..'`,
      );
    }
  }
  if (!hostDir.startsWith(storageRoot + '/')) throw new UserError(`The host directory must be inside ${storageRoot}`);
  return { hostDir, containerDir, readOnly: mode === 'ro' };
}

const formatMount = (m: Mount) => `${m.hostDir}:${m.containerDir}${m.readOnly ? ':ro' : ''}`;

export function listMounts(state: State, app: string): string[] {
  const stored = state.properties.get(app, STORAGE_PROPERTY);
  return stored ? mountsSchema.parse(JSON.parse(stored)) : [];
}

/** Creates the host directory (owned by the app user) and records the mount for the next deploy. */
export function addMount(state: State, app: string, mount: Mount, storageRoot: string): string {
  const spec = formatMount(mount);
  const mounts = listMounts(state, app);
  if (mounts.some((m) => m.split(':')[1] === mount.containerDir))
    throw new UserError(`${mount.containerDir} is already mounted in ${app}`);
  if (!fs.existsSync(mount.hostDir)) {
    // Checked before making anything: a symlinked parent must not have us create dirs elsewhere.
    fs.mkdirSync(storageRoot, { recursive: true });
    requireInsideRoot(existingAncestor(mount.hostDir), storageRoot, true);
    fs.mkdirSync(mount.hostDir, { recursive: true, mode: 0o755 });
    fs.chownSync(mount.hostDir, APP_USER_ID, APP_USER_ID);
  }
  requireInsideRoot(mount.hostDir, storageRoot);
  state.properties.set(app, STORAGE_PROPERTY, JSON.stringify([...mounts, spec]));
  return spec;
}

export function removeMount(state: State, app: string, mount: Mount): void {
  const mounts = listMounts(state, app);
  const spec = formatMount(mount);
  if (!mounts.includes(spec)) throw new UserError(`Mount path ${spec} does not exist in ${app}`);
  const rest = mounts.filter((m) => m !== spec);
  state.properties.set(app, STORAGE_PROPERTY, rest.length ? JSON.stringify(rest) : undefined);
}

/**
 * The binds for an app's containers. Each host dir is resolved again, because an app can
 * plant symlinks in its own storage: one must never lead a bind outside the storage root.
 * Docker gets the resolved path, the one that was checked, not the name that led to it.
 */
export function storageBinds(state: State, app: string, storageRoot: string): string[] {
  return listMounts(state, app).map((spec) => {
    const [hostDir = '', ...rest] = spec.split(':');
    return [requireInsideRoot(hostDir, storageRoot), ...rest].join(':');
  });
}

/** The directory's real path, which must lie inside the storage root. */
function requireInsideRoot(hostDir: string, storageRoot: string, rootItself = false): string {
  let real: string;
  try {
    real = fs.realpathSync(hostDir);
  } catch {
    throw new UserError(`Storage directory ${hostDir} does not exist`);
  }
  fs.mkdirSync(storageRoot, { recursive: true });
  const root = fs.realpathSync(storageRoot);
  if (!(real.startsWith(root + '/') || (rootItself && real === root)))
    throw new UserError(`Storage directory ${hostDir} leads outside ${storageRoot}`);
  return real;
}

/** The nearest directory on the way to `dir` that exists already. */
function existingAncestor(dir: string): string {
  let current = dir;
  while (!fs.existsSync(current)) current = path.dirname(current);
  return current;
}
