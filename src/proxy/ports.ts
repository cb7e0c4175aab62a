import net from 'node:net';
import { UserError } from '../core/errors.js';
import type { ReleaseMeta } from '../model/release.js';
import type { Settings } from '../settings.js';
import type { State } from '../state/index.js';

/**
 * Dokku's port mappings, `scheme:host-port:container-port`: nginx serves the app's domains
 * on the host port and sends that traffic to the container port of its web containers.
 * Without mappings of its own an app gets the detected one: SLIPWAY_HTTP_PORT to the first
 * port its image EXPOSEs, else 5000 (the PORT buildpack apps are given). The web containers'
 * PORT is the first mapping's container port; other mappings may name other ports the app
 * listens on. A host port other than Slipway's HTTP and HTTPS ports is one app's alone.
 */
export interface PortMapping {
  scheme: 'http' | 'https';
  host: number;
  container: number;
}

/** One port nginx listens on for an app. */
export interface Listener {
  port: number;
  ssl: boolean;
  /** Plain HTTP on Slipway's HTTP port of an app with a certificate only redirects to HTTPS. */
  redirect: boolean;
  /** The container port this listener's traffic goes to, when not the web port (PORT) its backends listen on. */
  container: number | null;
}

const PROPERTY = 'ports.map';
const MAPPING = /^(http|https):([0-9]{1,5}):([0-9]{1,5})$/;

export const formatMapping = (m: PortMapping) => `${m.scheme}:${m.host}:${m.container}`;

export function parseMapping(text: string): PortMapping {
  const match = MAPPING.exec(text);
  if (!match) throw new UserError(`Invalid port mapping ${text}: give scheme:host-port:container-port with scheme http or https, such as http:80:8080`);
  const [scheme, host, container] = [match[1] as PortMapping['scheme'], Number(match[2]), Number(match[3])];
  for (const [what, port] of [['host', host], ['container', container]] as const) {
    if (port < 1 || port > 65535) throw new UserError(`Invalid ${what} port ${port} in ${text}`);
  }
  return { scheme, host, container };
}

/** The mappings the app was given (ports:set/add), or none. */
export function ownMappings(state: State, app: string): PortMapping[] {
  const stored = state.properties.get(app, PROPERTY);
  return stored ? (JSON.parse(stored) as PortMapping[]) : [];
}

/**
 * Stores an app's mappings after checking their host ports: Slipway's HTTP and HTTPS ports
 * for anyone; any other only for an admin, never one another app maps, and never one that
 * something else on the host holds (nginx would fail to reload for every app).
 */
export async function setMappings(
  state: State,
  settings: Pick<Settings, 'httpPort' | 'httpsPort' | 'sshPort'>,
  app: string,
  mappings: PortMapping[],
  isAdmin: boolean,
): Promise<void> {
  const unique = [...new Map(mappings.map((m) => [formatMapping(m), m])).values()];
  const standard = new Map([[settings.httpPort, 'http'], [settings.httpsPort, 'https']]);
  const ownPorts = new Set(ownMappings(state, app).map((m) => m.host));
  for (const m of unique) {
    if (standard.has(m.host)) {
      if (standard.get(m.host) !== m.scheme) throw new UserError(`Host port ${m.host} serves ${standard.get(m.host)} here, not ${m.scheme}`);
      continue;
    }
    if (!isAdmin) throw new UserError(`Only an admin key may map host port ${m.host}: other keys use ${settings.httpPort} (http) and ${settings.httpsPort} (https)`);
    if (m.host === settings.sshPort) throw new UserError(`Host port ${m.host} is Slipway's SSH port`);
    const holder = state.apps.list().find((other) => other.name !== app && ownMappings(state, other.name).some((o) => o.host === m.host));
    if (holder) throw new UserError(`Host port ${m.host} is mapped by another app`);
    if (unique.some((o) => o.host === m.host && o !== m)) throw new UserError(`Host port ${m.host} is mapped twice`);
    if (!ownPorts.has(m.host) && !(await canListen(m.host))) throw new UserError(`Host port ${m.host} is in use on this host`);
  }
  state.properties.set(app, PROPERTY, unique.length > 0 ? JSON.stringify(unique) : undefined);
}

/** Whether a port is free to listen on, on every address (as nginx will). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** What an app gets without mappings of its own, from what its release's image EXPOSEs. */
export function detectedMappings(settings: Pick<Settings, 'httpPort' | 'defaultPort'>, meta: ReleaseMeta | undefined): PortMapping[] {
  return [{ scheme: 'http', host: settings.httpPort, container: meta?.exposedPorts[0] ?? settings.defaultPort }];
}

/** The port web containers listen on (their PORT): the first mapping's container port. */
export function webPort(state: State, settings: Pick<Settings, 'httpPort' | 'defaultPort'>, app: string, meta: ReleaseMeta | undefined): number {
  const [first] = ownMappings(state, app);
  return first?.container ?? detectedMappings(settings, meta)[0]!.container;
}

/**
 * Where nginx listens for the app: each of its own mappings (else Slipway's HTTP port), an
 * https one on Slipway's HTTPS port added when the app has a certificate and maps none (as
 * Dokku adds it on certs:add), and https mappings left out while it has none. Traffic goes
 * to the web port the backends listen on, unless a mapping names another container port.
 */
export function listenersOf(state: State, settings: Pick<Settings, 'httpPort' | 'httpsPort'>, app: string, hasCertificate: boolean): Listener[] {
  const own = ownMappings(state, app);
  const mappings: { scheme: PortMapping['scheme']; host: number; container: number | null }[] = own.length > 0 ? [...own] : [{ scheme: 'http', host: settings.httpPort, container: null }];
  if (hasCertificate && !mappings.some((m) => m.scheme === 'https')) mappings.push({ scheme: 'https', host: settings.httpsPort, container: null });
  const web = own[0]?.container;
  return mappings
    .filter((m) => m.scheme === 'http' || hasCertificate)
    .map((m) => ({
      port: m.host,
      ssl: m.scheme === 'https',
      redirect: hasCertificate && m.scheme === 'http' && m.host === settings.httpPort,
      container: m.container === web ? null : m.container,
    }));
}
