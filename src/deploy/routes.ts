import type { Platform } from '../platform.js';
import { tlsFiles } from '../proxy/certs.js';
import { appDomains } from '../proxy/domains.js';
import { appLockName } from '../queue/locks.js';
import type { ProcessContainer } from '../runtime/scheduler.js';

export const ROUTED = 'routes.web';
const LOCK_WAIT_MS = 15 * 60_000;

/** Points the app's domains at these web containers and remembers which ones they are. */
export async function routeTo(platform: Platform, app: string, web: ProcessContainer[]): Promise<boolean> {
  const { settings, state } = platform;
  const backends = web.map((c) => ({ host: c.ip, port: settings.defaultPort }));
  const reloaded = await platform.nginx.route({ app, domains: appDomains(platform.state, settings, app), backends, tls: tlsFiles(settings.certsDir, app) });
  state.properties.set(app, ROUTED, JSON.stringify(web.map((c) => c.id)));
  return reloaded;
}

/** The containers an app's traffic was last routed to. */
export function routedContainers(platform: Platform, app: string): string[] {
  return JSON.parse(platform.state.properties.get(app, ROUTED) ?? '[]');
}

export async function unrouteApp(platform: Platform, app: string): Promise<boolean> {
  platform.state.properties.set(app, ROUTED, undefined);
  return platform.nginx.unroute(app);
}

/**
 * Routes an app again to the containers it was routed to, at their current addresses and
 * for its current domains: Docker gives a container a new IP when it restarts it (after an
 * engine or host restart), and the proxy must follow, never send traffic to an address now
 * held by someone else; domains:* changes come through here too.
 * Runs under the app's lock, so it never undoes a deploy's swap.
 */
export async function restoreRoute(platform: Platform, app: string): Promise<void> {
  const lock = await platform.locks.acquire(appLockName(app), LOCK_WAIT_MS);
  try {
    const ids = routedContainers(platform, app);
    if (ids.length === 0) return;
    const running = (await platform.scheduler.containers(app)).filter((c) => ids.includes(c.id) && c.ip);
    if (running.length === 0) return; // not back yet: their start events will bring us here again
    await routeTo(platform, app, running);
  } finally {
    await lock.release();
  }
}
