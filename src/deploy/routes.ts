import type { Platform } from '../platform.js';
import { tlsFiles } from '../proxy/certs.js';
import { appDomains } from '../proxy/domains.js';
import { appLockName } from '../queue/locks.js';
import type { Endpoint, Instance } from '../runtime/scheduler.js';

export const ROUTED = 'proxy.routed';
const LOCK_WAIT_MS = 15 * 60_000;

const endpointsOf = (web: Instance[]) => web.flatMap((i): Endpoint[] => (i.endpoint ? [i.endpoint] : []));

/** Points the app's domains at these web instances and remembers which ones they are. */
export async function routeTo(platform: Platform, app: string, web: Instance[]): Promise<boolean> {
  const { settings, state } = platform;
  const reloaded = await platform.router.route({ app, domains: appDomains(state, settings, app), backends: endpointsOf(web), tls: tlsFiles(settings.certsDir, app) });
  state.properties.set(app, ROUTED, JSON.stringify(web.map((i) => ({ id: i.id, ...i.endpoint }))));
  return reloaded;
}

/** The instances an app's traffic was last routed to, with the endpoint each had then. */
export function routedBackends(platform: Platform, app: string): { id: string; host?: string; port?: number }[] {
  const stored = JSON.parse(platform.state.properties.get(app, ROUTED) ?? '[]') as (string | { id: string })[];
  return stored.map((entry) => (typeof entry === 'string' ? { id: entry } : entry)); // ids alone, as before endpoints were kept
}

export function routedInstances(platform: Platform, app: string): string[] {
  return routedBackends(platform, app).map((b) => b.id);
}

/** Whether traffic goes to exactly these instances, at the endpoints they have now. */
export function isRoutedTo(platform: Platform, app: string, web: Instance[]): boolean {
  const routed = routedBackends(platform, app);
  const key = (b: { id: string; host?: string; port?: number }) => `${b.id}@${b.host}:${b.port}`;
  const now = new Set(web.map((i) => key({ id: i.id, ...i.endpoint })));
  return routed.length === now.size && routed.every((b) => now.has(key(b)));
}

export async function unrouteApp(platform: Platform, app: string): Promise<boolean> {
  platform.state.properties.set(app, ROUTED, undefined);
  return platform.router.unroute(app);
}

/**
 * Routes an app again to the instances it was routed to, at their current endpoints and
 * for its current domains: Docker gives a container a new IP when it restarts it (after an
 * engine or host restart), and the proxy must follow, never send traffic to an address now
 * held by someone else; domains:* changes come through here too.
 * Runs under the app's lock, so it never undoes a deploy's swap.
 */
export async function restoreRoute(platform: Platform, app: string): Promise<void> {
  const lock = await platform.locks.acquire(appLockName(app), LOCK_WAIT_MS);
  try {
    const ids = routedInstances(platform, app);
    if (ids.length === 0) return;
    const running = (await platform.schedulerFor(app).instances(app)).filter((i) => ids.includes(i.id) && i.endpoint);
    if (running.length === 0) return; // not back yet: their start events will bring us here again
    await routeTo(platform, app, running);
  } finally {
    await lock.release();
  }
}
