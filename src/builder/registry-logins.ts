import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import type { Platform } from '../platform.js';
import { RegistryError } from '../runtime/docker/index.js';
import { GLOBAL_SCOPE } from '../state/index.js';
import { canonicalRegistry, isRegistryServer, parseImageRef } from '../model/image-ref.js';
import { addressRefusal, interfaceAddresses } from '../core/public-destination.js';

/**
 * Dokku's registry:login: credentials for a registry that builds pull base images from,
 * for one app or (`--global`) every app; the app's own win. They live in the state
 * database, which only root reads, and go to the engine only, as a pull's X-Registry-Auth:
 * never into an app's environment, image or log, and nothing prints the password back.
 */
export interface RegistryLogin {
  username: string;
  password: string;
}

const PREFIX = 'registry.login.';
const loginSchema = z.object({ username: z.string(), password: z.string() });

const USERNAME = /^[\x21-\x39\x3b-\x7e]{1,255}$/; // printable, no space and no colon (basic auth's separator)
const PASSWORD_MAX = 16 * 1024;

/** The server as logins are kept under it: `host[:port]`, Docker Hub as `docker.io`. */
export function parseRegistryServer(server: string): string {
  const bare = server.replace(/^https?:\/\//, '').replace(/\/(?:v[12]\/?)?$/, '');
  if (!isRegistryServer(bare))
    throw new UserError(`Invalid registry server ${server}: give host or host:port, e.g. ghcr.io or 127.0.0.1:5000`);
  return canonicalRegistry(bare);
}

/** Validated credentials: a username with no space or colon, a password on one line. */
export function parseRegistryLogin(username: string, password: string): RegistryLogin {
  if (!USERNAME.test(username))
    throw new UserError('Invalid username: printable characters, no space or colon, at most 255');
  if (password === '' || password.length > PASSWORD_MAX || /[\0\r\n]/.test(password)) {
    throw new UserError(`Invalid password: give it on one line, at most ${PASSWORD_MAX} characters`);
  }
  return { username, password };
}

/**
 * Why a registry is not a public destination (its host is, or resolves to, this host or a
 * special-purpose network), or undefined when it is: the rule git:sync holds tenants to
 * (core/public-destination), for the engine's requests on their behalf. A name that does not
 * resolve here passes: the engine's own attempt fails the same way.
 */
export async function registryAddressRefusal(server: string): Promise<string | undefined> {
  const host = server.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const addresses = net.isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  const own = interfaceAddresses();
  return addresses.map((address) => addressRefusal(address, own)).find((reason) => reason !== undefined);
}

/** Whether an admin has pointed builds at this registry: a global login for it, or SLIPWAY_BUILD_IMAGES naming an image there. */
export function adminApprovedRegistry(platform: Platform, server: string): boolean {
  if (registryLoginsOf(platform, GLOBAL_SCOPE).some((login) => login.server === server)) return true;
  return platform.settings.buildImages.some((entry) => parseImageRef(entry)?.registry === server);
}

/**
 * registry:login: the engine checks the credentials with the registry, then they are kept for
 * `scope`. A key other than an admin's may log in only to a registry at a public address, and
 * learns only that the login failed, not the engine's words: they would tell it what answers
 * at an address it named (a port scanner of the host and its networks otherwise).
 */
export async function logInToRegistry(
  platform: Platform,
  scope: string,
  server: string,
  login: RegistryLogin,
  isAdmin: boolean,
): Promise<void> {
  if (!isAdmin && !adminApprovedRegistry(platform, server) && (await registryAddressRefusal(server)) !== undefined) {
    throw new UserError(`Only an admin may log in to ${server}: it is not a registry at a public address`);
  }
  try {
    await platform.engine.images.checkLogin(engineAuth(server, login));
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    throw new UserError(
      `Login to ${server} failed${isAdmin ? `: ${error.message}` : ': the registry refused the credentials, or could not be reached'}`,
    );
  }
  storeRegistryLogin(platform, scope, server, login);
}

export function storeRegistryLogin(
  platform: Platform,
  scope: string,
  server: string,
  login: RegistryLogin | undefined,
): void {
  platform.state.properties.set(scope, PREFIX + server, login && JSON.stringify(login));
}

/** The credentials builds of `app` use for `server`: the app's own, else the global ones. */
export function registryLoginFor(platform: Platform, app: string, server: string): RegistryLogin | undefined {
  for (const scope of [app, GLOBAL_SCOPE]) {
    const stored = platform.state.properties.get(scope, PREFIX + server);
    if (stored !== undefined) return loginSchema.parse(JSON.parse(stored));
  }
  return undefined;
}

/** The servers a scope (an app, or --global) has logins for, with their usernames: what a report may show. */
export function registryLoginsOf(platform: Platform, scope: string): { server: string; username: string }[] {
  return Object.entries(platform.state.properties.all(scope))
    .filter(([key]) => key.startsWith(PREFIX))
    .map(([key, value]) => ({
      server: key.slice(PREFIX.length),
      username: loginSchema.parse(JSON.parse(value)).username,
    }));
}

/** What the Engine API takes as X-Registry-Auth. */
export const engineAuth = (server: string, login: RegistryLogin) => ({ ...login, serveraddress: server });
