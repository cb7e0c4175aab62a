import { UserError } from '../core/errors.js';
import { isValidDomain } from '../core/names.js';
import type { State } from '../state/index.js';
import { tlsFiles } from './certs.js';

export const APP_DOMAINS = 'domains.app';
const GLOBAL = '--global';
const GLOBAL_DOMAINS = 'domains.global';

export interface DomainSettings {
  domain: string;
  httpPort: number;
  httpsPort: number;
  certsDir: string;
}

/** `*.example.com` is allowed too, as in Dokku; nothing else reaches nginx's server_name. */
export function parseDomain(domain: string): string {
  const plain = domain.startsWith('*.') ? domain.slice(2) : domain;
  if (!isValidDomain(plain)) throw new UserError(`${domain} is invalid. exiting...`);
  return domain;
}

function readList(state: State, app: string, key: string): string[] | undefined {
  const text = state.properties.get(app, key);
  return text === undefined ? undefined : (JSON.parse(text) as string[]);
}

/** The global domains: set with domains:set-global, else the instance's SLIPWAY_DOMAIN. */
export function globalDomains(state: State, settings: DomainSettings): string[] {
  return readList(state, GLOBAL, GLOBAL_DOMAINS) ?? [settings.domain];
}

export function setGlobalDomains(state: State, domains: string[]): void {
  state.properties.set(GLOBAL, GLOBAL_DOMAINS, domains.length ? JSON.stringify([...new Set(domains)]) : undefined);
}

/** The domains an app answers on: its own list, else `<app>.<each global domain>`. */
export function appDomains(state: State, settings: DomainSettings, app: string): string[] {
  return readList(state, app, APP_DOMAINS) ?? globalDomains(state, settings).map((d) => `${app}.${d}`);
}

/**
 * Sets an app's own domains (none: back to the default). A domain another app answers on
 * is refused: nginx would serve it from whichever block came first.
 */
export function setAppDomains(state: State, settings: DomainSettings, app: string, domains: string[]): void {
  for (const other of state.apps.list().filter((a) => a.name !== app)) {
    const taken = appDomains(state, settings, other.name).find((d) => domains.includes(d));
    if (taken) throw new UserError(`${taken} is already used by app ${other.name}`);
  }
  state.properties.set(app, APP_DOMAINS, domains.length ? JSON.stringify([...new Set(domains)]) : undefined);
}

export function hasOwnDomains(state: State, app: string): boolean {
  return readList(state, app, APP_DOMAINS) !== undefined;
}

/** Where the app answers: https when it has a certificate (plain HTTP then only redirects). */
export function appUrls(state: State, settings: DomainSettings, app: string): string[] {
  const tls = tlsFiles(settings.certsDir, app) !== undefined;
  const [scheme, port, defaultPort] = tls ? ['https', settings.httpsPort, 443] : ['http', settings.httpPort, 80];
  const suffix = port === defaultPort ? '' : `:${port}`;
  return appDomains(state, settings, app)
    .filter((d) => !d.startsWith('*.'))
    .map((domain) => `${scheme}://${domain}${suffix}`);
}
