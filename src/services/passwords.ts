import { randomBytes } from 'node:crypto';
import { UserError } from '../core/errors.js';
import { discardingWriter } from '../core/lines.js';
import type { Platform } from '../platform.js';
import type { LinkRecord, ServiceRecord } from '../state/index.js';
import { runInService, startServiceContainer, withServiceLock } from './containers.js';
import type { ServiceKind } from './kinds.js';
import { serviceUrl } from './names.js';

/**
 * Gives the service a new password after an app lost its link, so a password that app could
 * have read opens nothing any more. The new one is recorded first (a crash halfway is mended
 * by a restart of the service); the apps still linked get the new URL in their config, and
 * the caller restarts them. Returns their links.
 */
export function rotateServicePassword(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
): Promise<LinkRecord[]> {
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
export async function applyPassword(platform: Platform, kind: ServiceKind, service: ServiceRecord): Promise<void> {
  if (!kind.setPasswordCmd) {
    await platform.services.remove(kind.kind, service.name, 30);
    return startServiceContainer(platform, kind, service);
  }
  const { code, errors } = await runInService(
    platform,
    kind,
    service,
    kind.setPasswordCmd(service),
    discardingWriter(),
  );
  if (code !== 0)
    throw new UserError(`Could not change the password of ${kind.title} service ${service.name}: ${errors}`);
}
