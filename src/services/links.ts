import type { Platform } from '../platform.js';
import type { Env, LinkRecord, ServiceRecord } from '../state/index.js';
import { ConflictError, UserError } from '../core/errors.js';
import { attachLinkedApps } from './containers.js';
import { SERVICE_KINDS, type ServiceKind } from './kinds.js';
import { serviceUrl } from './names.js';

/**
 * Links a service to an app: records the link, puts the service on the app's network and
 * sets the app's URL variable (the kind's usual name, or DOKKU_<KIND>_<NAME>_URL when the
 * app already has that one, as Dokku does). The caller restarts the app so the variable
 * takes effect.
 */
export async function linkService(
  platform: Platform,
  kind: ServiceKind,
  service: ServiceRecord,
  app: string,
): Promise<LinkRecord> {
  const { services, config } = platform.state;
  const existing = services.links(kind.kind, service.name).find((l) => l.app === app);
  if (existing) throw new ConflictError(`Already linked as ${existing.envVar}`);
  const env = config.get(app);
  const envVar = !Object.hasOwn(env, kind.envVar)
    ? kind.envVar
    : `DOKKU_${kind.kind.toUpperCase()}_${service.name.toUpperCase().replace(/-/g, '_')}_URL`;
  if (Object.hasOwn(env, envVar)) throw new UserError(`${envVar} is already set on ${app}`);
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
  const restored = Object.fromEntries(
    Object.entries(target).filter(([key, value]) => linkedVars.has(key) || !pointsAtService(value)),
  );
  for (const link of links) if (Object.hasOwn(now, link.envVar)) restored[link.envVar] = now[link.envVar]!;
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
