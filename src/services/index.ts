import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { buildServiceImage, serviceImageName } from '../build/service-image.js';
import { errorMessage, UserError } from '../core/errors.js';
import { discardingWriter } from '../core/lines.js';
import type { Platform } from '../platform.js';
import type { ProcessIo } from '../model/terminal.js';
import type { ServiceSpec } from '../runtime/services.js';
import type { Env, LinkRecord, ServiceRecord } from '../state/index.js';
import { SERVICE_KINDS, type ServiceCommand, type ServiceKind } from './kinds.js';

export { SERVICE_KINDS, type ServiceKind } from './kinds.js';

const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const READY_TIMEOUT_MS = 120_000;

export function parseServiceName(kind: ServiceKind, name: string | undefined): string {
  if (!name) throw new UserError(`Please specify a name for the ${kind.title} service`);
  if (!NAME.test(name) || name.length > 50) {
    throw new UserError('Service names are lowercase letters, digits and single hyphens (at most 50)');
  }
  return name;
}

export function requireService(platform: Platform, kind: ServiceKind, name: string | undefined): ServiceRecord {
  const service = platform.state.services.get(kind.kind, parseServiceName(kind, name));
  if (!service) throw new UserError(`${kind.title} service ${name} does not exist`);
  return service;
}

/** The service's image, built on the stack base from templates/services. */
export const serviceImage = (platform: Platform, kind: ServiceKind) => serviceImageName(platform.settings.stackImage, kind.kind);

/** Builds the service's image when it is missing or its templates changed (or always, when `rebuild`). */
export function ensureServiceImage(platform: Platform, kind: ServiceKind, onLine: (line: string) => void, rebuild = false) {
  return buildServiceImage(platform, { kind: kind.kind, extraFiles: kind.imageFiles ?? [] }, onLine, rebuild);
}

/** The DNS name apps reach the service by, on the networks of the apps linked to it. */
export const serviceHost = (kind: ServiceKind, name: string) => `${kind.kind}-${name}`;

export function serviceUrl(kind: ServiceKind, service: ServiceRecord): string {
  return kind.url(service, serviceHost(kind, service.name));
}

export function serviceStatus(platform: Platform, kind: ServiceKind, name: string): Promise<string> {
  return platform.services.state(kind.kind, name);
}

/**
 * How the service's container runs, from its record. Only a link (or a rename) makes a
 * linked app's network that is missing (`makeAppNetworks`): the reconciler attaching at the
 * moment a destroy or rename has removed it must not bring it back.
 */
async function serviceSpec(platform: Platform, kind: ServiceKind, service: ServiceRecord, makeAppNetworks = false): Promise<ServiceSpec> {
  const apps = platform.state.services.links(kind.kind, service.name).map((link) => link.app);
  const networks = await Promise.all(apps.map((app) => platform.schedulerFor(app).appNetwork(app, { make: makeAppNetworks })));
  return {
    kind: kind.kind,
    name: service.name,
    title: kind.title,
    image: serviceImage(platform, kind),
    env: { SLIPWAY_SERVICE_PASSWORD: service.password, SLIPWAY_SERVICE_DATABASE: service.name },
    dataPath: kind.dataPath,
    port: kind.port,
    exposedPort: service.exposedPort,
    host: serviceHost(kind, service.name),
    appNetworks: networks.filter((network): network is string => network !== undefined),
    ready: kind.ready?.(service),
  };
}

/** Makes the service reachable from exactly the apps linked to it now; `makeAppNetworks` when linking or renaming. */
export async function attachLinkedApps(platform: Platform, kind: ServiceKind, service: ServiceRecord, makeAppNetworks = true): Promise<void> {
  await platform.services.attach(await serviceSpec(platform, kind, service, makeAppNetworks));
}

/**
 * Changes to one service's container go one at a time, across processes: a create, expose,
 * restart or destroy, and the reconciler bringing a stopped service back.
 */
const serviceLockName = (kind: ServiceKind, name: string) => `service:${kind.kind}.${name}`;
const SERVICE_LOCK_WAIT_MS = 10 * 60_000;
const withServiceLock = <T>(platform: Platform, kind: ServiceKind, name: string, fn: () => Promise<T>) =>
  platform.locks.withLock(serviceLockName(kind, name), SERVICE_LOCK_WAIT_MS, fn);

export async function createService(platform: Platform, kind: ServiceKind, rawName: string | undefined, onLine: (line: string) => void) {
  const name = parseServiceName(kind, rawName);
  await ensureServiceImage(platform, kind, onLine);
  const password = randomBytes(24).toString('hex');
  await withServiceLock(platform, kind, name, async () => {
    if (!platform.state.services.create(kind.kind, name, password)) throw new UserError(`${kind.title} service ${name} already exists`);
    try {
      await startServiceContainer(platform, kind, platform.state.services.get(kind.kind, name)!);
    } catch (error) {
      await removeServiceResources(platform, kind, name);
      platform.state.services.delete(kind.kind, name);
      throw error;
    }
  });
}

/** Runs the service's container on its volume, published on the host only when exposed. */
async function startServiceContainer(platform: Platform, kind: ServiceKind, service: ServiceRecord): Promise<void> {
  await platform.services.start(await serviceSpec(platform, kind, service), READY_TIMEOUT_MS);
}

/**
 * Publishes the service on a host port (or stops publishing it, given none): the container
 * is made again on the same volume, so the data stays.
 */
export function exposeService(platform: Platform, kind: ServiceKind, service: ServiceRecord, port: number | null): Promise<void> {
  return withServiceLock(platform, kind, service.name, () => replaceServiceContainer(platform, kind, service, port));
}

async function replaceServiceContainer(platform: Platform, kind: ServiceKind, service: ServiceRecord, port: number | null): Promise<void> {
  platform.state.services.setExposedPort(kind.kind, service.name, port);
  await platform.services.remove(kind.kind, service.name, 30);
  try {
    await startServiceContainer(platform, kind, { ...service, exposedPort: port });
  } catch (error) {
    // e.g. the port is taken: come back as before
    platform.state.services.setExposedPort(kind.kind, service.name, service.exposedPort);
    await platform.services.remove(kind.kind, service.name, 0);
    await startServiceContainer(platform, kind, service);
    throw new UserError(`Could not expose ${service.name} on port ${port}: ${(error as Error).message}`);
  }
}

/** Restarts the container; the recorded password is made the one it accepts again (a rotation cut short is mended). */
export function restartService(platform: Platform, kind: ServiceKind, service: ServiceRecord): Promise<void> {
  return withServiceLock(platform, kind, service.name, async () => {
    await platform.services.restart(await serviceSpec(platform, kind, service), READY_TIMEOUT_MS);
    if (kind.setPasswordCmd) await applyPassword(platform, kind, service);
  });
}

/**
 * Gives the service a new password after an app lost its link, so a password that app could
 * have read opens nothing any more. The new one is recorded first (a crash halfway is mended
 * by a restart of the service); the apps still linked get the new URL in their config, and
 * the caller restarts them. Returns their links.
 */
export function rotateServicePassword(platform: Platform, kind: ServiceKind, service: ServiceRecord): Promise<LinkRecord[]> {
  return withServiceLock(platform, kind, service.name, async () => {
    const rotated = { ...service, password: randomBytes(24).toString('hex') };
    platform.state.services.setPassword(kind.kind, service.name, rotated.password);
    await applyPassword(platform, kind, rotated);
    const links = platform.state.services.links(kind.kind, service.name);
    for (const link of links) platform.state.config.set(link.app, { [link.envVar]: serviceUrl(kind, rotated) });
    return links;
  });
}

/** Makes the recorded password the service's: by its kind's command, else by making its container again. */
async function applyPassword(platform: Platform, kind: ServiceKind, service: ServiceRecord): Promise<void> {
  if (!kind.setPasswordCmd) {
    await platform.services.remove(kind.kind, service.name, 30);
    return startServiceContainer(platform, kind, service);
  }
  const { code, errors } = await runInService(platform, kind, service, kind.setPasswordCmd(service), discardingWriter());
  if (code !== 0) throw new UserError(`Could not change the password of ${kind.title} service ${service.name}: ${errors}`);
}

/** A command in the running service, its output to `stdout`; its exit code and what it said on stderr. */
async function runInService(platform: Platform, kind: ServiceKind, service: ServiceRecord, command: ServiceCommand, stdout: NodeJS.WritableStream) {
  const errors: string[] = [];
  const stderr = new Writable({ write: (chunk, _e, done) => (errors.push(String(chunk)), done()) });
  const stdin = command.input === undefined ? undefined : Readable.from([command.input]);
  const code = await execInService(platform, kind, service, command, { stdin, stdout, stderr });
  return { code, errors: errors.join('').trim() };
}

/**
 * Brings back every service whose container stopped or went missing (after a host or engine
 * restart, a crash, a `docker rm`; its data is on its volume), and puts each running one
 * back on the networks of exactly its linked apps. Returns what was done.
 */
export async function reviveServices(platform: Platform): Promise<string[]> {
  const done: string[] = [];
  for (const kind of allServiceKinds) {
    for (const service of platform.state.services.list(kind.kind)) {
      const lock = await platform.locks.tryAcquire(serviceLockName(kind, service.name));
      if (!lock) continue; // someone is changing it right now
      try {
        const state = await platform.services.state(kind.kind, service.name);
        if (state === 'running') await attachLinkedApps(platform, kind, service, false);
        if (state === 'running' || state === 'restarting') continue;
        if (state === 'missing') await startServiceContainer(platform, kind, service);
        else await platform.services.restart(await serviceSpec(platform, kind, service), READY_TIMEOUT_MS);
        done.push(`${kind.kind} ${service.name} was ${state}: started again`);
      } catch (error) {
        done.push(`${kind.kind} ${service.name} could not be started: ${errorMessage(error)}`);
      } finally {
        await lock.release();
      }
    }
  }
  return done;
}

/** Refused while linked: apps would lose their database. Data goes with the volume. */
export async function destroyService(platform: Platform, kind: ServiceKind, service: ServiceRecord): Promise<void> {
  await withServiceLock(platform, kind, service.name, async () => {
    const links = platform.state.services.links(kind.kind, service.name);
    if (links.length > 0) throw new UserError(`Cannot delete linked service (linked to ${links.map((l) => l.app).join(', ')})`);
    await removeServiceResources(platform, kind, service.name);
    platform.state.services.delete(kind.kind, service.name);
  });
}

async function removeServiceResources(platform: Platform, kind: ServiceKind, name: string): Promise<void> {
  await platform.services.remove(kind.kind, name, 30);
  await platform.services.forget(kind.kind, name);
}

/**
 * Links a service to an app: records the link, puts the service on the app's network and
 * sets the app's URL variable (the kind's usual name, or DOKKU_<KIND>_<NAME>_URL when the
 * app already has that one, as Dokku does). The caller restarts the app so the variable
 * takes effect.
 */
export async function linkService(platform: Platform, kind: ServiceKind, service: ServiceRecord, app: string): Promise<LinkRecord> {
  const { services, config } = platform.state;
  const existing = services.links(kind.kind, service.name).find((l) => l.app === app);
  if (existing) throw new UserError(`Already linked as ${existing.envVar}`);
  const env = config.get(app);
  const envVar = env[kind.envVar] === undefined ? kind.envVar : `DOKKU_${kind.kind.toUpperCase()}_${service.name.toUpperCase().replace(/-/g, '_')}_URL`;
  if (env[envVar] !== undefined) throw new UserError(`${envVar} is already set on ${app}`);
  const link = { kind: kind.kind, name: service.name, app, envVar };
  services.link(link);
  await attachLinkedApps(platform, kind, service).catch((error) => {
    services.unlink(kind.kind, service.name, app);
    throw error;
  });
  config.set(app, { [envVar]: serviceUrl(kind, service) });
  return link;
}

/**
 * Takes the link away in the records and the app's config. The service stays on the app's
 * network until the caller calls `attachLinkedApps` after restarting the app, so the old
 * containers keep their database until the new ones serve.
 */
export function unlinkService(platform: Platform, kind: ServiceKind, service: ServiceRecord, app: string): LinkRecord {
  const { services, config } = platform.state;
  const link = services.links(kind.kind, service.name).find((l) => l.app === app);
  if (!link) throw new UserError(`Not linked to ${app}`);
  services.unlink(kind.kind, service.name, app);
  config.unset(app, [link.envVar]);
  return link;
}

/**
 * The config a rollback restores: the target release's, except for service links. A variable
 * that pointed at one of Slipway's services comes back only while the app is still linked
 * through it, and then with today's URL: a rollback never brings back a link, or a
 * credential, that was taken away.
 */
export function configForRollback(platform: Platform, app: string, target: Env): Env {
  const links = platform.state.services.linksOf(app);
  const linkedVars = new Set(links.map((l) => l.envVar));
  const now = platform.state.config.get(app);
  const restored = Object.fromEntries(Object.entries(target).filter(([key, value]) => linkedVars.has(key) || !pointsAtService(value)));
  for (const link of links) if (now[link.envVar] !== undefined) restored[link.envVar] = now[link.envVar]!;
  return restored;
}

/** Whether a value is a URL whose host is a service's name on the network (`postgres-db`). */
function pointsAtService(value: string): boolean {
  let host: string;
  try {
    host = new URL(value).hostname;
  } catch {
    return false;
  }
  return Object.keys(SERVICE_KINDS).some((kind) => host.startsWith(`${kind}-`) && !host.includes('.'));
}

/** Runs a command in the service container with the caller's streams (export, import, connect). */
export async function execInService(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  command: ServiceCommand,
  io: ProcessIo,
): Promise<number> {
  if ((await serviceStatus(platform, kind, service.name)) !== 'running') throw new UserError(`${kind.title} service ${service.name} is not running`);
  return platform.services.exec(kind.kind, service.name, command, io);
}

export function serviceLogs(platform: Platform, kind: ServiceKind, service: ServiceRecord, tail: number): Promise<string[]> {
  return platform.services.logs(kind.kind, service.name, tail);
}

export const allServiceKinds = Object.values(SERVICE_KINDS);

/** A backup directory's name: one level under the backup root, never a path. */
export const BACKUP_DIR = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface BackupFile {
  /** The backup directory under Slipway's backup root it is in. */
  dir: string;
  file: string;
  bytes: number;
  createdAt: number;
}

/** Every complete backup of a service, in every backup directory, newest first. */
export function listBackups(platform: Platform, kind: ServiceKind, service: ServiceRecord): BackupFile[] {
  const root = path.join(platform.settings.dataDir, 'backups');
  const prefix = `${kind.kind}-${service.name}-`;
  const dirs = fs.existsSync(root) ? fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && BACKUP_DIR.test(d.name)) : [];
  return dirs
    .flatMap((dir) =>
      fs.readdirSync(path.join(root, dir.name)).filter((f) => f.startsWith(prefix) && f.endsWith('.dump')).map((file) => {
        const stat = fs.statSync(path.join(root, dir.name, file));
        return { dir: dir.name, file, bytes: stat.size, createdAt: stat.mtimeMs };
      }),
    )
    .sort((a, b) => b.createdAt - a.createdAt);
}

/** A listed backup's path, for reading it back (a download). */
export function backupPath(platform: Platform, backup: Pick<BackupFile, 'dir' | 'file'>): string {
  return path.join(platform.settings.dataDir, 'backups', backup.dir, backup.file);
}

/**
 * Writes a dump of the service into a directory under Slipway's backup root (callers name
 * the directory, never a host path), then keeps only the newest `keep` dumps of the service
 * there. Returns the new file's path.
 */
export async function backupService(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  dir: string | undefined,
  keep: number,
): Promise<{ file: string; removed: string[] }> {
  if (!kind.exportCmd) throw new UserError(`${kind.title} services have no backup`);
  if (!dir || !BACKUP_DIR.test(dir) || dir.includes('..')) {
    throw new UserError('Name a backup directory: letters, digits, dots, hyphens (it lives under Slipway\'s backup root)');
  }
  const target = path.join(platform.settings.dataDir, 'backups', dir);
  fs.mkdirSync(target, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(target, `${kind.kind}-${service.name}-${stamp}.dump`);
  const partial = `${file}.partial`;
  const out = fs.createWriteStream(partial, { mode: 0o600 });
  const { code, errors } = await runInService(platform, kind, service, kind.exportCmd(service), out);
  await new Promise((resolve) => out.end(resolve));
  if (code !== 0) {
    fs.rmSync(partial, { force: true });
    throw new UserError(`Backup failed: ${errors}`);
  }
  fs.renameSync(partial, file); // a backup exists only once it is complete
  const prefix = `${kind.kind}-${service.name}-`;
  const dumps = fs.readdirSync(target).filter((f) => f.startsWith(prefix) && f.endsWith('.dump')).sort();
  const removed = dumps.slice(0, Math.max(0, dumps.length - keep));
  for (const old of removed) fs.rmSync(path.join(target, old));
  return { file, removed };
}
