import { ConflictError, UserError } from '../core/errors.js';
import { isValidDomain } from '../core/names.js';
import type { State } from '../state/index.js';
import { tlsFiles } from './certs.js';

export const APP_DOMAINS = 'domains.app';
const GLOBAL = '--global';
const GLOBAL_DOMAINS = 'domains.global';

export interface DomainSettings {
  domain: string;
  /** Slipway's own API and dashboard answer here; no app may. */
  dashboardDomain: string;
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
 * is refused (nginx would serve it from whichever block came first), and so is another
 * app's default name even while that app answers on its own domains instead: it may go
 * back to it at any time. Only admins are told which app holds a domain.
 */
export function setAppDomains(
  state: State,
  settings: DomainSettings,
  app: string,
  domains: string[],
  options: { revealOwner: boolean } = { revealOwner: true },
): void {
  if (domains.includes(settings.dashboardDomain))
    throw new UserError(`${settings.dashboardDomain} is Slipway's dashboard; an app may not use it`);
  const globals = globalDomains(state, settings);
  for (const other of state.apps.list().filter((a) => a.name !== app)) {
    const held = new Set([...appDomains(state, settings, other.name), ...globals.map((g) => `${other.name}.${g}`)]);
    const taken = domains.find((d) => held.has(d));
    if (taken)
      throw new ConflictError(
        `${taken} is already used by ${options.revealOwner ? `app ${other.name}` : 'another app'}`,
      );
  }
  state.properties.set(app, APP_DOMAINS, domains.length ? JSON.stringify([...new Set(domains)]) : undefined);
}

/** A name whose default domain would be the dashboard's is refused (SLIPWAY_DASHBOARD_DOMAIN moves the dashboard). */
export function refuseDashboardName(state: State, settings: DomainSettings, app: string): void {
  if (!globalDomains(state, settings).some((g) => `${app}.${g}` === settings.dashboardDomain)) return;
  throw new UserError(
    `App name ${app} is taken by Slipway's dashboard (${settings.dashboardDomain}); set SLIPWAY_DASHBOARD_DOMAIN to move it`,
  );
}

/**
 * What a non-admin key may not give its app: a wildcard (it would answer for every app
 * without a server block of its own), a name under a global domain other than the app's
 * own `<app>.<global>` and its subdomains, or a subdomain of another app's domain (it would
 * sit inside that app's cookie scope).
 */
export function refuseForeignDomains(state: State, settings: DomainSettings, app: string, domains: string[]): void {
  const globals = globalDomains(state, settings);
  const othersDomains = state.apps
    .list()
    .filter((a) => a.name !== app)
    .flatMap((a) => appDomains(state, settings, a.name));
  for (const domain of domains) {
    if (domain.startsWith('*.')) throw new UserError(`${domain}: only an admin key may add a wildcard domain`);
    const global = globals.find((g) => domain === g || domain.endsWith(`.${g}`));
    if (global && domain !== `${app}.${global}` && !domain.endsWith(`.${app}.${global}`)) {
      throw new UserError(`${domain}: under ${global} this app may only use ${app}.${global} and names under it`);
    }
    if (othersDomains.some((other) => domain.endsWith(`.${other.replace(/^\*\./, '')}`)))
      throw new UserError(`${domain} is under a domain of another app`);
  }
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
