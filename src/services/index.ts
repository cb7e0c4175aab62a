import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import Handlebars from 'handlebars';
import { stackImages } from '../build/stack.js';
import { ensureTemplatedImage } from '../build/templated-image.js';
import { UserError } from '../core/errors.js';
import type { Platform } from '../platform.js';
import { waitForListening } from '../runtime/checks.js';
import { LABEL, type Terminal } from '../runtime/docker.js';
import type { LinkRecord, ServiceRecord } from '../state/index.js';
import { SERVICE_KINDS, type ServiceKind } from './kinds.js';

export { SERVICE_KINDS, type ServiceKind } from './kinds.js';

const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const READY_TIMEOUT_MS = 120_000;
const templatesDir = new URL('../../templates/services/', import.meta.url);

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
export function serviceImage(platform: Platform, kind: ServiceKind): string {
  const { base } = stackImages(platform.settings.stackImage);
  return `${base}-${kind.kind}`;
}

/** Builds the service's image when it is missing or its templates changed (or always, when `rebuild`). */
export async function ensureServiceImage(platform: Platform, kind: ServiceKind, onLine: (line: string) => void, rebuild = false) {
  const { base } = stackImages(platform.settings.stackImage);
  const dockerfile = Handlebars.compile(fs.readFileSync(new URL(`${kind.kind}.Dockerfile.hbs`, templatesDir), 'utf8'), { strict: true });
  const files = [
    { name: 'Dockerfile', content: dockerfile({ baseImage: base }) },
    { name: 'slipway-service-start', content: fs.readFileSync(new URL(`${kind.kind}-start`, templatesDir), 'utf8'), mode: 0o755 },
    ...(kind.imageFiles ?? []).map((name) => ({ name, content: fs.readFileSync(new URL(name, templatesDir), 'utf8'), mode: 0o755 })),
  ];
  await ensureTemplatedImage(platform.docker, serviceImage(platform, kind), files, { rebuild, onLine });
}

const containerName = (platform: Platform, kind: ServiceKind, name: string) => `${platform.settings.instance}.${kind.kind}.${name}`;
const volumeName = (platform: Platform, kind: ServiceKind, name: string) => `${platform.settings.instance}-${kind.kind}-${name}`;
/** The DNS name apps reach the service by, on the instance network. */
export const serviceHost = (kind: ServiceKind, name: string) => `${kind.kind}-${name}`;

export function serviceUrl(kind: ServiceKind, service: ServiceRecord): string {
  return kind.url(service, serviceHost(kind, service.name));
}

async function serviceContainer(platform: Platform, kind: ServiceKind, name: string) {
  const [container] = await platform.docker.list({
    [LABEL.instance]: platform.settings.instance,
    [LABEL.service]: `${kind.kind}.${name}`,
  });
  return container;
}

export async function serviceStatus(platform: Platform, kind: ServiceKind, name: string): Promise<string> {
  return (await serviceContainer(platform, kind, name))?.state ?? 'missing';
}

/** Waits until the service accepts connections (after first-start initialisation too). */
async function waitUntilReady(platform: Platform, kind: ServiceKind, id: string): Promise<void> {
  const { network } = platform.settings;
  const ip = (await platform.docker.status(id, network)).ip ?? '';
  const ready = await waitForListening(
    { ip, port: kind.port, host: '', status: () => platform.docker.status(id, network) },
    kind.port,
    READY_TIMEOUT_MS,
  );
  if (!ready.ok) {
    const logs = await platform.docker.logs(id, 20);
    throw new UserError(`${kind.title} did not start: ${ready.reason}\n${logs.join('\n')}`);
  }
}

export async function createService(platform: Platform, kind: ServiceKind, rawName: string | undefined, onLine: (line: string) => void) {
  const name = parseServiceName(kind, rawName);
  await ensureServiceImage(platform, kind, onLine);
  const password = randomBytes(24).toString('hex');
  if (!platform.state.services.create(kind.kind, name, password)) throw new UserError(`${kind.title} service ${name} already exists`);
  try {
    await startServiceContainer(platform, kind, platform.state.services.get(kind.kind, name)!);
  } catch (error) {
    await removeServiceResources(platform, kind, name);
    platform.state.services.delete(kind.kind, name);
    throw error;
  }
}

/** Runs the service's container on its volume, published on the host only when exposed. */
async function startServiceContainer(platform: Platform, kind: ServiceKind, service: ServiceRecord): Promise<void> {
  const id = await platform.docker.run({
    name: containerName(platform, kind, service.name),
    image: serviceImage(platform, kind),
    env: [`SLIPWAY_SERVICE_PASSWORD=${service.password}`, `SLIPWAY_SERVICE_DATABASE=${service.name}`],
    labels: { [LABEL.instance]: platform.settings.instance, [LABEL.service]: `${kind.kind}.${service.name}` },
    network: platform.settings.network,
    aliases: [serviceHost(kind, service.name)],
    binds: [`${volumeName(platform, kind, service.name)}:${kind.dataPath}`],
    publish: service.exposedPort ? { containerPort: kind.port, hostPort: service.exposedPort } : undefined,
  });
  await waitUntilReady(platform, kind, id);
}

/**
 * Publishes the service on a host port (or stops publishing it, given none): the container
 * is made again on the same volume, so the data stays.
 */
export async function exposeService(platform: Platform, kind: ServiceKind, service: ServiceRecord, port: number | null) {
  platform.state.services.setExposedPort(kind.kind, service.name, port);
  const container = await serviceContainer(platform, kind, service.name);
  if (container) await platform.docker.stopAndRemove(container.id, 30);
  try {
    await startServiceContainer(platform, kind, { ...service, exposedPort: port });
  } catch (error) {
    // e.g. the port is taken: come back as before
    platform.state.services.setExposedPort(kind.kind, service.name, service.exposedPort);
    const failed = await serviceContainer(platform, kind, service.name);
    if (failed) await platform.docker.stopAndRemove(failed.id, 0);
    await startServiceContainer(platform, kind, service);
    throw new UserError(`Could not expose ${service.name} on port ${port}: ${(error as Error).message}`);
  }
}

export async function restartService(platform: Platform, kind: ServiceKind, service: ServiceRecord): Promise<void> {
  const container = await serviceContainer(platform, kind, service.name);
  if (!container) throw new UserError(`The container of ${kind.kind} service ${service.name} is missing`);
  await platform.docker.restart(container.id, 30);
  await waitUntilReady(platform, kind, container.id);
}

/** Refused while linked: apps would lose their database. Data goes with the volume. */
export async function destroyService(platform: Platform, kind: ServiceKind, service: ServiceRecord): Promise<void> {
  const links = platform.state.services.links(kind.kind, service.name);
  if (links.length > 0) throw new UserError(`Cannot delete linked service (linked to ${links.map((l) => l.app).join(', ')})`);
  await removeServiceResources(platform, kind, service.name);
  platform.state.services.delete(kind.kind, service.name);
}

async function removeServiceResources(platform: Platform, kind: ServiceKind, name: string): Promise<void> {
  const container = await serviceContainer(platform, kind, name);
  if (container) await platform.docker.stopAndRemove(container.id, 30);
  await platform.docker.removeVolume(volumeName(platform, kind, name));
}

/**
 * Links a service to an app: records the link and sets the app's URL variable (the kind's
 * usual name, or DOKKU_<KIND>_<NAME>_URL when the app already has that one, as Dokku does).
 * The caller restarts the app so the variable takes effect.
 */
export function linkService(platform: Platform, kind: ServiceKind, service: ServiceRecord, app: string): LinkRecord {
  const { services, config } = platform.state;
  const existing = services.links(kind.kind, service.name).find((l) => l.app === app);
  if (existing) throw new UserError(`Already linked as ${existing.envVar}`);
  const env = config.get(app);
  const envVar = env[kind.envVar] === undefined ? kind.envVar : `DOKKU_${kind.kind.toUpperCase()}_${service.name.toUpperCase().replace(/-/g, '_')}_URL`;
  if (env[envVar] !== undefined) throw new UserError(`${envVar} is already set on ${app}`);
  const link = { kind: kind.kind, name: service.name, app, envVar };
  services.link(link);
  config.set(app, { [envVar]: serviceUrl(kind, service) });
  return link;
}

export function unlinkService(platform: Platform, kind: ServiceKind, service: ServiceRecord, app: string): LinkRecord {
  const { services, config } = platform.state;
  const link = services.links(kind.kind, service.name).find((l) => l.app === app);
  if (!link) throw new UserError(`Not linked to ${app}`);
  services.unlink(kind.kind, service.name, app);
  config.unset(app, [link.envVar]);
  return link;
}

/** Runs a command in the service container with the caller's streams (export, import, connect). */
export async function execInService(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  command: { user: string; cmd: string[]; env?: string[] },
  io: { stdin?: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; tty?: Terminal },
): Promise<number> {
  const container = await serviceContainer(platform, kind, service.name);
  if (!container || container.state !== 'running') throw new UserError(`${kind.title} service ${service.name} is not running`);
  return platform.docker.exec(container.id, command.cmd, { user: command.user, env: command.env, ...io });
}

export function serviceLogs(platform: Platform, kind: ServiceKind, service: ServiceRecord, tail: number): Promise<string[]> {
  return serviceContainer(platform, kind, service.name).then((c) => (c ? platform.docker.logs(c.id, tail) : []));
}

export const allServiceKinds = Object.values(SERVICE_KINDS);

const BACKUP_DIR = /^[a-z0-9][a-z0-9._-]{0,63}$/;

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
  const errors: string[] = [];
  const stderr = new Writable({ write: (chunk, _e, done) => (errors.push(String(chunk)), done()) });
  const code = await execInService(platform, kind, service, kind.exportCmd(service), { stdout: out, stderr });
  await new Promise((resolve) => out.end(resolve));
  if (code !== 0) {
    fs.rmSync(partial, { force: true });
    throw new UserError(`Backup failed: ${errors.join('').trim()}`);
  }
  fs.renameSync(partial, file); // a backup exists only once it is complete
  const prefix = `${kind.kind}-${service.name}-`;
  const dumps = fs.readdirSync(target).filter((f) => f.startsWith(prefix) && f.endsWith('.dump')).sort();
  const removed = dumps.slice(0, Math.max(0, dumps.length - keep));
  for (const old of removed) fs.rmSync(path.join(target, old));
  return { file, removed };
}
