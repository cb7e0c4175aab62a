import { z } from 'zod';
import { SERVICE_BACKUPS_DIR } from '../services/index.js';

/**
 * What a state archive holds, as a tar:
 *   slipway-state.json   the manifest below
 *   slipway.db           the database, copied through SQLite's online backup
 *   data/<path>          the parts of the data dir in ARCHIVED_PATHS
 * Left out, as this host makes them again or they are not Slipway's to carry: nginx's
 * files (rendered from the state), builds, run and tmp (work in progress), the proxy secret
 * (made at start), a swarm's CA and registry (nodes join the new manager again), service
 * dumps under backups/ (backups themselves), storage:mount directories (the apps' own data),
 * and state-backups/ (it holds the passphrase that opens the archive).
 */
export const MANIFEST_ENTRY = 'slipway-state.json';
export const DB_ENTRY = 'slipway.db';
export const DATA_PREFIX = 'data/';

/** Under the data dir: apps' repositories, certificates, the ACME account, the SSH host key, services' backup records. */
export const ARCHIVED_PATHS = ['repos', 'certs', 'letsencrypt', 'ssh/host_ed25519', SERVICE_BACKUPS_DIR] as const;

/**
 * A service's backup settings hold its bucket's credentials and its passphrase: they go
 * only into an encrypted archive (the bucket's owner must not read them). Its record of
 * backups goes always.
 */
export const SECRET_FILE = 'settings.json';

export const FORMAT = 'slipway-state-1';

export const manifestSchema = z.object({
  format: z.literal(FORMAT),
  id: z.string(),
  createdAt: z.string(),
  instance: z.string(),
  apps: z.array(z.string()),
  services: z.array(z.string()),
  /** Whether the services' backup credentials are in (an encrypted archive). */
  serviceCredentials: z.boolean(),
});
export type StateManifest = z.infer<typeof manifestSchema>;

const SEGMENT = /^[^/\0]+$/;

/** Whether a data-dir path (relative, `/`-separated) is one an archive carries, credentials only when `secrets`. */
export function isArchivedPath(relative: string, secrets: boolean): boolean {
  const segments = relative.split('/');
  if (segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) return false;
  const under = ARCHIVED_PATHS.find((p) => relative === p || relative.startsWith(`${p}/`));
  if (!under) return false;
  return secrets || !(under === SERVICE_BACKUPS_DIR && segments.at(-1) === SECRET_FILE);
}

/**
 * Why an archive entry cannot be restored, or undefined when it can: only the manifest, the
 * database and regular files and directories under the archived paths, named without `..`
 * or an absolute path, so nothing lands outside the staging directory.
 */
export function entryProblem(name: string, type: string | null | undefined): string | undefined {
  const plain = name.replace(/\/+$/, '');
  const shown = JSON.stringify(name.slice(0, 120));
  if (type !== 'file' && type !== 'directory') return `${shown} is a ${type ?? 'special'} entry`;
  if (plain === MANIFEST_ENTRY || plain === DB_ENTRY) return type === 'file' ? undefined : `${shown} is not a file`;
  if (plain + '/' === DATA_PREFIX && type === 'directory') return undefined;
  if (!plain.startsWith(DATA_PREFIX)) return `${shown} is not part of Slipway's state`;
  const relative = plain.slice(DATA_PREFIX.length);
  const parents = ARCHIVED_PATHS.some((p) => p.startsWith(`${relative}/`));
  if (type === 'directory' && parents) return undefined;
  return isArchivedPath(relative, true) ? undefined : `${shown} is not part of Slipway's state`;
}
