import dgram from 'node:dgram';
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
 * PORT is the first HTTP mapping's container port; other mappings may name other ports the app
 * listens on. `tcp` and `udp` mappings are forwarded as they are by nginx's stream module.
 * A host port other than Slipway's HTTP and HTTPS ports is one app's alone.
 */
export interface PortMapping {
  scheme: 'http' | 'https' | 'tcp' | 'udp';
  host: number;
  container: number;
}

/** A TCP or UDP port nginx forwards to a port of the app's web containers. */
export interface StreamMapping {
  scheme: 'tcp' | 'udp';
  port: number;
  container: number;
}

/** One port nginx listens on for an app's HTTP. */
export interface Listener {
  port: number;
  ssl: boolean;
  /** Plain HTTP on Slipway's HTTP port of an app with a certificate only redirects to HTTPS. */
  redirect: boolean;
  /** The container port this listener's traffic goes to, when not the web port (PORT) its backends listen on. */
  container: number | null;
}

const PROPERTY = 'ports.map';
const MAPPING = /^(http|https|tcp|udp):([0-9]{1,5}):([0-9]{1,5})$/;
const isHttp = (m: Pick<PortMapping, 'scheme'>) => m.scheme === 'http' || m.scheme === 'https';
/** The transport a mapping's host port is taken on: tcp:53 and udp:53 are two ports. */
const transport = (m: Pick<PortMapping, 'scheme'>) => (m.scheme === 'udp' ? 'udp' : 'tcp');

export const formatMapping = (m: PortMapping) => `${m.scheme}:${m.host}:${m.container}`;

export function parseMapping(text: string): PortMapping {
  const match = MAPPING.exec(text);
  if (!match)
    throw new UserError(
      `Invalid port mapping ${text}: give scheme:host-port:container-port with scheme http, https, tcp or udp, such as http:80:8080`,
    );
  const [scheme, host, container] = [match[1] as PortMapping['scheme'], Number(match[2]), Number(match[3])];
  for (const [what, port] of [
    ['host', host],
    ['container', container],
  ] as const) {
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
  const standard = new Map([
    [settings.httpPort, 'http'],
    [settings.httpsPort, 'https'],
  ]);
  const ownPorts = new Set(ownMappings(state, app).map((m) => `${transport(m)}:${m.host}`));
  for (const m of unique) {
    if (standard.has(m.host)) {
      if (standard.get(m.host) !== m.scheme)
        throw new UserError(`Host port ${m.host} serves ${standard.get(m.host)} here, not ${m.scheme}`);
      continue;
    }
    if (!isAdmin)
      throw new UserError(
        `Only an admin key may map host port ${m.host}: other keys use ${settings.httpPort} (http) and ${settings.httpsPort} (https)`,
      );
    if (m.host === settings.sshPort) throw new UserError(`Host port ${m.host} is Slipway's SSH port`);
    const same = (o: PortMapping) => o.host === m.host && transport(o) === transport(m);
    const holder = state.apps.list().find((other) => other.name !== app && ownMappings(state, other.name).some(same));
    if (holder) throw new UserError(`Host port ${m.host} is mapped by another app`);
    if (unique.some((o) => o !== m && same(o))) throw new UserError(`Host port ${m.host} is mapped twice`);
    if (!ownPorts.has(`${transport(m)}:${m.host}`) && !(await canListen(m.host, transport(m))))
      throw new UserError(`Host port ${m.host} is in use on this host`);
  }
  state.properties.set(app, PROPERTY, unique.length > 0 ? JSON.stringify(unique) : undefined);
}

/** Whether a port is free to listen on, on every address (as nginx will). */
function canListen(port: number, protocol: 'tcp' | 'udp'): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const socket = dgram.createSocket('udp4');
      socket.once('error', () => resolve(false));
      return socket.bind({ port, address: '0.0.0.0', exclusive: true }, () => socket.close(() => resolve(true)));
    }
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** What an app gets without mappings of its own, from what its release's image EXPOSEs. */
export function detectedMappings(
  settings: Pick<Settings, 'httpPort' | 'defaultPort'>,
  meta: ReleaseMeta | undefined,
): PortMapping[] {
  return [{ scheme: 'http', host: settings.httpPort, container: meta?.exposedPorts[0] ?? settings.defaultPort }];
}

/** The port web containers listen on (their PORT): the first HTTP mapping's container port (else the first mapping's). */
export function webPort(
  state: State,
  settings: Pick<Settings, 'httpPort' | 'defaultPort'>,
  app: string,
  meta: ReleaseMeta | undefined,
): number {
  const own = ownMappings(state, app);
  const first = own.find(isHttp) ?? own[0];
  return first?.container ?? detectedMappings(settings, meta)[0]!.container;
}

/**
 * Where nginx listens for the app: each of its own mappings (else Slipway's HTTP port), an
 * https one on Slipway's HTTPS port added when the app has a certificate and maps none (as
 * Dokku adds it on certs:add), and https mappings left out while it has none. Traffic goes
 * to the web port the backends listen on, unless a mapping names another container port.
 */
export function listenersOf(
  state: State,
  settings: Pick<Settings, 'httpPort' | 'httpsPort'>,
  app: string,
  hasCertificate: boolean,
): Listener[] {
  const all = ownMappings(state, app);
  const own = all.filter(isHttp);
  // An app mapped only to TCP or UDP ports has no HTTP server at all.
  const mappings: { scheme: PortMapping['scheme']; host: number; container: number | null }[] =
    all.length === 0 ? [{ scheme: 'http', host: settings.httpPort, container: null }] : [...own];
  if (hasCertificate && mappings.length > 0 && !mappings.some((m) => m.scheme === 'https'))
    mappings.push({ scheme: 'https', host: settings.httpsPort, container: null });
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

/** The app's TCP and UDP mappings, for nginx's stream module. */
export function streamsOf(state: State, app: string): StreamMapping[] {
  return ownMappings(state, app).flatMap((m) =>
    m.scheme === 'tcp' || m.scheme === 'udp' ? [{ scheme: m.scheme, port: m.host, container: m.container }] : [],
  );
}
