import { Readable, Writable } from 'node:stream';
import { buildServiceImage, serviceImageName } from '../builder/service-image.js';
import { UserError } from '../core/errors.js';
import type { ProcessIo } from '../model/terminal.js';
import type { Platform } from '../platform.js';
import type { ServiceSpec } from '../runtime/services.js';
import type { ServiceRecord } from '../state/index.js';
import type { ServiceCommand, ServiceKind } from './kinds.js';
import { serviceHost } from './names.js';

/** How long a started container may take to serve queries. */
export const READY_TIMEOUT_MS = 120_000;

/** The service's image, built on the stack base from templates/services. */
export const serviceImage = (platform: Platform, kind: ServiceKind) =>
  serviceImageName(platform.settings.stackImage, kind.kind);

/** Builds the service's image when it is missing or its templates changed (or always, when `rebuild`). */
export function ensureServiceImage(
  platform: Platform,
  kind: ServiceKind,
  onLine: (line: string) => void,
  rebuild = false,
) {
  return buildServiceImage(platform, { kind: kind.kind, extraFiles: kind.imageFiles ?? [] }, onLine, rebuild);
}

export function serviceStatus(platform: Platform, kind: ServiceKind, name: string): Promise<string> {
  return platform.services.state(kind.kind, name);
}

/** A first start that restores another service's archive instead of making an empty database (a fork). */
export interface RestoreStart {
  /** The service (of the same kind) whose archive volume is read. */
  from: string;
  /** Where it is mounted, read-only, and what the start script reads to restore. */
  path: string;
  env: Record<string, string>;
}

/**
 * How the service's container runs, from its record. Only a link (or a rename) makes a
 * linked app's network that is missing (`makeAppNetworks`): the reconciler attaching at the
 * moment a destroy or rename has removed it must not bring it back.
 */
export async function serviceSpec(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  makeAppNetworks = false,
  restore?: RestoreStart,
): Promise<ServiceSpec> {
  const apps = platform.state.services.links(kind.kind, service.name).map((link) => link.app);
  const networks = await Promise.all(
    apps.map((app) => platform.schedulerFor(app).appNetwork(app, { make: makeAppNetworks })),
  );
  return {
    kind: kind.kind,
    name: service.name,
    title: kind.title,
    image: serviceImage(platform, kind),
    env: { SLIPWAY_SERVICE_PASSWORD: service.password, SLIPWAY_SERVICE_DATABASE: service.name, ...restore?.env },
    dataPath: kind.dataPath,
    ...(kind.archivePath ? { archivePath: kind.archivePath } : {}),
    ...(restore ? { restoreFrom: { name: restore.from, path: restore.path } } : {}),
    port: kind.port,
    exposedPort: service.exposedPort,
    host: serviceHost(kind, service.name),
    appNetworks: networks.filter((network): network is string => network !== undefined),
    ready: kind.ready?.(service),
  };
}

/** Makes the service reachable from exactly the apps linked to it now; `makeAppNetworks` when linking or renaming. */
export async function attachLinkedApps(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  makeAppNetworks = true,
): Promise<void> {
  await platform.services.attach(await serviceSpec(platform, kind, service, makeAppNetworks));
}

/**
 * Changes to one service's container go one at a time, across processes: a create, expose,
 * restart or destroy, and the reconciler bringing a stopped service back.
 */
export const serviceLockName = (kind: ServiceKind, name: string) => `service:${kind.kind}.${name}`;
const SERVICE_LOCK_WAIT_MS = 10 * 60_000;
export const withServiceLock = <T>(platform: Platform, kind: ServiceKind, name: string, fn: () => Promise<T>) =>
  platform.locks.withLock(serviceLockName(kind, name), SERVICE_LOCK_WAIT_MS, fn);

/** Runs the service's container on its volume, published on the host only when exposed. */
export async function startServiceContainer(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  restore?: RestoreStart,
): Promise<void> {
  await platform.services.start(await serviceSpec(platform, kind, service, false, restore), READY_TIMEOUT_MS);
}

/** A command in the running service, its output to `stdout`; its exit code and what it said on stderr. */
export async function runInService(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  command: ServiceCommand,
  stdout: NodeJS.WritableStream,
) {
  const errors: string[] = [];
  const stderr = new Writable({ write: (chunk, _e, done) => (errors.push(String(chunk)), done()) });
  const stdin = command.input === undefined ? undefined : Readable.from([command.input]);
  const code = await execInService(platform, kind, service, command, { stdin, stdout, stderr });
  return { code, errors: errors.join('').trim() };
}

export async function removeServiceResources(platform: Platform, kind: ServiceKind, name: string): Promise<void> {
  await platform.services.remove(kind.kind, name, 30);
  await platform.services.forget(kind.kind, name);
}

/** Runs a command in the service container with the caller's streams (export, import, connect). */
export async function execInService(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  command: ServiceCommand,
  io: ProcessIo,
): Promise<number> {
  if ((await serviceStatus(platform, kind, service.name)) !== 'running')
    throw new UserError(`${kind.title} service ${service.name} is not running`);
  return platform.services.exec(kind.kind, service.name, command, io);
}

export function serviceLogs(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  tail: number,
): Promise<string[]> {
  return platform.services.logs(kind.kind, service.name, tail);
}
