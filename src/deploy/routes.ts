import type { Platform } from '../platform.js';
import { tlsFiles } from '../proxy/certs.js';
import { appDomains } from '../proxy/domains.js';
import { isProxyEnabled } from '../proxy/enabled.js';
import { routedByMap } from '../proxy/host-map.js';
import { nginxSettings } from '../proxy/nginx-properties.js';
import { listenersOf, streamsOf } from '../proxy/ports.js';
import { appLockName } from '../queue/locks.js';
import type { Endpoint, Instance } from '../runtime/scheduler.js';
import { isSleeping } from './desired.js';

export const ROUTED = 'proxy.routed';
const LOCK_WAIT_MS = 15 * 60_000;

const endpointsOf = (web: Instance[]) => web.flatMap((i): Endpoint[] => (i.endpoint ? [i.endpoint] : []));

/** One instance an app's traffic goes to, with the endpoint it had when routed; none while it is not running. */
interface RoutedBackend {
  id: string;
  host?: string;
  port?: number;
}

/**
 * Points the app's domains at these web instances and remembers which ones they are;
 * `waiting` are instances still counted as the app's web but not running now (Docker is
 * bringing them back): remembered, so their start routes them again, but given no traffic.
 * `fallback` (right after a swap: the previous release's) takes the retry of a request that
 * failed on one of them; it is not remembered, and the next route drops it.
 */
export function routeTo(
  platform: Platform,
  app: string,
  web: Instance[],
  options: { waiting?: string[]; fallback?: Instance[] } = {},
): Promise<boolean> {
  const waiting = options.waiting ?? [];
  return inTurn(app, async () => {
    const reloaded = await applyServer(platform, app, endpointsOf(web), {
      fallback: endpointsOf(options.fallback ?? []),
    });
    saveRouted(platform, app, [...web.map((i) => ({ id: i.id, ...i.endpoint })), ...waiting.map((id) => ({ id }))]);
    return reloaded;
  });
}

/**
 * Route changes of one app apply in the order they were asked for: a dead instance's
 * withdrawal that finished after the route given to its restarted self (often at the same
 * address) would take that route away again.
 */
const turns = new Map<string, Promise<unknown>>();
function inTurn<T>(app: string, change: () => Promise<T>): Promise<T> {
  const next = (turns.get(app) ?? Promise.resolve()).then(change, change);
  const settled = next.catch(() => undefined);
  turns.set(app, settled);
  void settled.then(() => turns.get(app) === settled && turns.delete(app));
  return next;
}

const saveRouted = (platform: Platform, app: string, routed: RoutedBackend[]) =>
  platform.state.properties.set(app, ROUTED, JSON.stringify(routed));

/** The instances an app's traffic was last routed to, with the endpoint each had then. */
export function routedBackends(platform: Platform, app: string): RoutedBackend[] {
  const stored = JSON.parse(platform.state.properties.get(app, ROUTED) ?? '[]') as (string | RoutedBackend)[];
  return stored.map((entry) => (typeof entry === 'string' ? { id: entry } : entry)); // ids alone, as before endpoints were kept
}

export function routedInstances(platform: Platform, app: string): string[] {
  return routedBackends(platform, app).map((b) => b.id);
}

/**
 * Takes a routed instance that died out of the app's traffic at once, without asking the
 * engine (which may be the one going away): its address is free for Docker to give to any
 * other container, and must never carry this app's hostname there. The instance stays
 * remembered, so its start (Docker restarting it) routes it again. `unreachable`: its host
 * stopped answering, and the requests waiting on it are failed over too (Router.withdraw).
 */
export function withdrawInstance(
  platform: Platform,
  app: string,
  id: string,
  options: { unreachable?: boolean } = {},
): Promise<boolean> {
  return inTurn(app, async () => {
    const routed = routedBackends(platform, app);
    const dead = routed.find((b) => b.id === id);
    if (!dead?.host || dead.port === undefined) return false;
    saveRouted(
      platform,
      app,
      routed.map((b) => (b === dead ? { id } : b)),
    );
    if (!isProxyEnabled(platform.state, app)) return false;
    await platform.router.withdraw(app, { host: dead.host, port: dead.port }, options);
    return true;
  });
}

/** Whether traffic goes to exactly these instances, at the endpoints they have now. */
export function isRoutedTo(platform: Platform, app: string, web: Instance[]): boolean {
  const routed = routedBackends(platform, app);
  const key = (b: RoutedBackend) => `${b.id}@${b.host}:${b.port}`;
  const now = new Set(web.map((i) => key({ id: i.id, ...i.endpoint })));
  return routed.length === now.size && routed.every((b) => now.has(key(b)));
}

/** What the app's server block is made of, as recorded now: its domains, certificate and nginx settings. */
function serverOf(platform: Platform, app: string) {
  const { settings, state } = platform;
  const tls = tlsFiles(settings.certsDir, app);
  const listeners = listenersOf(state, settings, app, tls !== undefined);
  return {
    app,
    domains: appDomains(state, settings, app),
    listeners,
    streams: streamsOf(state, app),
    tls,
    nginx: nginxSettings(state, app),
  };
}

/** Whether the shared host map routes the app now, rather than a server block of its own (proxy/host-map.ts). */
export function isRoutedByMap(platform: Platform, app: string): boolean {
  return isProxyEnabled(platform.state, app) && routedByMap(serverOf(platform, app), platform.settings);
}

/**
 * The app takes no traffic (stopped, not deployed yet, no web process): its hostnames stay
 * its own and answer 502, as Dokku's do, rather than the 404 of a host nobody owns.
 */
export function parkApp(platform: Platform, app: string): Promise<boolean> {
  return inTurn(app, () => {
    platform.state.properties.set(app, ROUTED, undefined);
    return applyServer(platform, app, [], { parked: true });
  });
}

/**
 * The app sleeps (deploy/sleep.ts): its domains hold each request and ask for it to be woken.
 * `draining`: its web instances, still given the requests already on their way to them while
 * it is being put to sleep.
 */
export function sleepRoute(platform: Platform, app: string, draining: Instance[] = []): Promise<boolean> {
  return inTurn(app, () => {
    platform.state.properties.set(app, ROUTED, undefined);
    return applyServer(platform, app, endpointsOf(draining), { sleeping: true });
  });
}

/**
 * The app's server block as recorded now; none while its proxy is disabled (its hostnames
 * are then nobody's in nginx, and its web containers answer on host ports of their own).
 */
function applyServer(
  platform: Platform,
  app: string,
  backends: Endpoint[],
  how: { parked?: boolean; sleeping?: boolean; fallback?: Endpoint[] } = {},
): Promise<boolean> {
  if (!isProxyEnabled(platform.state, app)) return platform.router.unroute(app);
  return platform.router.route({
    ...serverOf(platform, app),
    backends,
    fallback: how.fallback ?? [],
    parked: how.parked ?? false,
    sleeping: how.sleeping ?? false,
  });
}

/** The app is gone (destroyed, or renamed): its server block goes, and its hostnames are nobody's. */
export function unrouteApp(platform: Platform, app: string): Promise<boolean> {
  return inTurn(app, () => {
    platform.state.properties.set(app, ROUTED, undefined);
    return platform.router.unroute(app);
  });
}

/** Rewrites the routes of these apps from what is recorded now (after a change of nginx or proxy settings); stops at the first refused. */
export async function rebuildRoutes(platform: Platform, apps: string[]): Promise<void> {
  for (const app of apps) await restoreRoute(platform, app);
}

/**
 * Routes an app again to the instances it was routed to, at their current endpoints and
 * for its current domains: Docker gives a container a new IP when it restarts it (after an
 * engine or host restart), and the proxy must follow, never send traffic to an address now
 * held by someone else. Instances not running now get no traffic until they start again.
 * domains:* changes come through here too. Runs under the app's lock, so it never undoes a
 * deploy's swap.
 */
export async function restoreRoute(platform: Platform, app: string): Promise<void> {
  const lock = await platform.locks.acquire(appLockName(app), LOCK_WAIT_MS);
  try {
    const ids = routedInstances(platform, app);
    if (ids.length > 0) await routeToRunning(platform, app, ids);
    else if (isSleeping(platform.state, app)) await sleepRoute(platform, app);
    else await parkApp(platform, app);
  } finally {
    await lock.release();
  }
}

/**
 * Routes the app to those of these instances that run now, at the endpoints the engine
 * gives them now (an endpoint remembered from before may belong to another container by
 * now); the others get no traffic until they start again.
 */
export async function routeToRunning(platform: Platform, app: string, ids: string[]): Promise<void> {
  const running = (await platform.schedulerFor(app).instances(app)).filter(
    (i) => ids.includes(i.id) && i.running && i.endpoint,
  );
  await routeTo(platform, app, running, { waiting: ids.filter((id) => !running.some((i) => i.id === id)) });
}
