import { randomBytes } from 'node:crypto';
import { ConflictError, errorMessage, UserError } from '../core/errors.js';
import type { Platform } from '../platform.js';
import type { ServiceRecord } from '../state/index.js';
import {
  attachLinkedApps,
  ensureServiceImage,
  type RestoreStart,
  READY_TIMEOUT_MS,
  removeServiceResources,
  serviceLockName,
  serviceSpec,
  startServiceContainer,
  withServiceLock,
} from './containers.js';
import { forgetBackupSettings } from './backup-settings.js';
import type { ServiceKind } from './kinds.js';
import { allServiceKinds, parseServiceName } from './names.js';
import { applyPassword } from './passwords.js';
import { readArchive, takeBaseBackup } from './pitr-archive.js';

/**
 * A new service with its own password and volumes: an empty database, or with `restore`
 * one restored from another service's archive (a fork), whose volume is mounted only for
 * that first start. A kind with an archive gets its first base backup at once.
 */
export async function createService(
  platform: Platform,
  kind: ServiceKind,
  rawName: string | undefined,
  onLine: (line: string) => void,
  restore?: RestoreStart,
) {
  const name = parseServiceName(kind, rawName);
  await ensureServiceImage(platform, kind, onLine);
  const password = randomBytes(24).toString('hex');
  const service = await withServiceLock(platform, kind, name, async () => {
    if (!platform.state.services.create(kind.kind, name, password))
      throw new ConflictError(`${kind.title} service ${name} already exists`);
    const created = platform.state.services.get(kind.kind, name)!;
    try {
      await startServiceContainer(platform, kind, created, restore);
      if (restore) {
        await platform.services.remove(kind.kind, name, 30);
        await startServiceContainer(platform, kind, created);
      }
      return created;
    } catch (error) {
      await removeServiceResources(platform, kind, name);
      platform.state.services.delete(kind.kind, name);
      throw error;
    }
  });
  await firstBaseBackup(platform, kind, service, onLine);
}

/** The service's recovery window begins with a base backup; the daemon tries again if this one fails. */
async function firstBaseBackup(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  onLine: (line: string) => void,
): Promise<void> {
  if (!kind.archivePath) return;
  try {
    if ((await readArchive(platform, kind, service)).backups.length === 0) {
      onLine('Taking a base backup for point-in-time recovery');
      await takeBaseBackup(platform, kind, service);
    }
  } catch (error) {
    onLine(`No base backup yet (${errorMessage(error)}): the daemon tries again within ten minutes`);
  }
}

/**
 * A service recorded in a restored state (state:restore) gets its container on this host:
 * made on a new, empty volume when there is none, and joined to the networks of its linked
 * apps (made now, so the apps' deploys find them).
 */
export async function startRecordedService(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  onLine: (line: string) => void,
): Promise<void> {
  await ensureServiceImage(platform, kind, onLine);
  await withServiceLock(platform, kind, service.name, async () => {
    if ((await platform.services.state(kind.kind, service.name)) !== 'running')
      await startServiceContainer(platform, kind, service);
    await attachLinkedApps(platform, kind, service, true);
  });
}

/**
 * Publishes the service on a host port (or stops publishing it, given none): the container
 * is made again on the same volume, so the data stays.
 */
export function exposeService(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  port: number | null,
): Promise<void> {
  return withServiceLock(platform, kind, service.name, () => replaceServiceContainer(platform, kind, service, port));
}

async function replaceServiceContainer(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  port: number | null,
): Promise<void> {
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

/**
 * Makes the container again on the same volumes, from the current image: a service made by
 * an older Slipway gets what the new one has (a Postgres service its WAL archive and first
 * base backup). The recorded password is made the one it accepts again (a rotation cut
 * short is mended).
 */
export async function restartService(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  onLine: (line: string) => void = () => undefined,
): Promise<void> {
  await ensureServiceImage(platform, kind, onLine);
  await withServiceLock(platform, kind, service.name, async () => {
    await platform.services.remove(kind.kind, service.name, 30);
    await startServiceContainer(platform, kind, service);
    if (kind.setPasswordCmd) await applyPassword(platform, kind, service);
  });
  await firstBaseBackup(platform, kind, service, onLine);
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
    if (links.length > 0)
      throw new UserError(`Cannot delete linked service (linked to ${links.map((l) => l.app).join(', ')})`);
    await removeServiceResources(platform, kind, service.name);
    forgetBackupSettings(platform, kind, service.name);
    platform.state.services.delete(kind.kind, service.name);
  });
}
