import { UserError } from '../core/errors.js';
import type { ReleaseMeta } from '../model/release.js';
import type { Settings } from '../settings.js';
import type { State } from '../state/index.js';

/**
 * Dokku's port mappings, `scheme:host-port:container-port`: which port of the app's web
 * containers nginx sends a scheme's traffic to. Without mappings of its own an app gets the
 * detected one: the first port its image EXPOSEs, else 5000 (the PORT buildpack apps are
 * given). nginx serves every app on SLIPWAY_HTTP_PORT and SLIPWAY_HTTPS_PORT only, so those
 * are the host ports a mapping may name.
 */
export interface PortMapping {
  scheme: 'http' | 'https';
  host: number;
  container: number;
}

const PROPERTY = 'ports.map';
const MAPPING = /^(http|https):([0-9]{1,5}):([0-9]{1,5})$/;

export const formatMapping = (m: PortMapping) => `${m.scheme}:${m.host}:${m.container}`;

export function parseMapping(text: string, settings: Pick<Settings, 'httpPort' | 'httpsPort'>): PortMapping {
  const match = MAPPING.exec(text);
  if (!match) throw new UserError(`Invalid port mapping ${text}: give scheme:host-port:container-port with scheme http or https, such as http:80:8080`);
  const [scheme, host, container] = [match[1] as PortMapping['scheme'], Number(match[2]), Number(match[3])];
  if (container < 1 || container > 65535) throw new UserError(`Invalid container port ${container}`);
  const served = scheme === 'http' ? settings.httpPort : settings.httpsPort;
  if (host !== served) throw new UserError(`${scheme} is served on host port ${served} here: give ${scheme}:${served}:${container}`);
  return { scheme, host, container };
}

/** The mappings the app was given (ports:set/add), or none. */
export function ownMappings(state: State, app: string): PortMapping[] {
  const stored = state.properties.get(app, PROPERTY);
  return stored ? (JSON.parse(stored) as PortMapping[]) : [];
}

export function setMappings(state: State, app: string, mappings: PortMapping[]): void {
  const unique = [...new Map(mappings.map((m) => [formatMapping(m), m])).values()];
  if (new Set(unique.map((m) => m.container)).size > 1) throw new UserError('Every mapping of an app must name the same container port: its web containers listen on one');
  state.properties.set(app, PROPERTY, unique.length > 0 ? JSON.stringify(unique) : undefined);
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
