import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type * as AcmeClient from 'acme-client';
import { lazyPackage } from '../core/lazy.js';
import { errorMessage, UserError } from '../core/errors.js';
import { unreachableCause } from '../core/network.js';
import { writeAtomically } from '../core/files.js';
import { everyUntilAborted } from '../core/process.js';
import { restoreRoute } from '../deploy/routes.js';
import type { Platform } from '../platform.js';
import { DASHBOARD_SITE, describeCertificate, removeCertificate, storeCertificate, tlsFiles } from '../proxy/certs.js';
import { appDomains } from '../proxy/domains.js';
import { GLOBAL_SCOPE } from '../state/index.js';
import type { Log } from '../core/log.js';

/**
 * Automatic HTTPS from an ACME certificate authority (Let's Encrypt by default), as Dokku's
 * letsencrypt plugin: HTTP-01 challenges answered by Slipway's nginx for the app's domains
 * (or the dashboard host), the certificate installed like certs:add, and renewed by the
 * daemon before `graceperiod` remains. A failed order or renewal changes nothing and says why.
 */
const acmeClientPackage = lazyPackage<typeof AcmeClient>('acme-client');

export const LETSENCRYPT_PROPERTIES = ['email', 'server', 'graceperiod'] as const;
export type LetsencryptProperty = (typeof LETSENCRYPT_PROPERTIES)[number];

export const LETSENCRYPT_SERVER = 'https://acme-v02.api.letsencrypt.org/directory';
/** Renew when less than this remains (Dokku's default: 30 days). */
const DEFAULT_GRACE_SECONDS = 30 * 24 * 3600;
const ENABLED = 'letsencrypt.enabled';
const key = (property: LetsencryptProperty) => `letsencrypt.${property}`;
const EMAIL = /^[^\s@]{1,64}@[A-Za-z0-9.-]{1,253}$/;

export function ownLetsencryptValue(
  platform: Platform,
  scope: string,
  property: LetsencryptProperty,
): string | undefined {
  return platform.state.properties.get(scope, key(property));
}

/** The site's own value (an app's; the dashboard has none of its own), else the global one, else the default. */
export function letsencryptValue(platform: Platform, site: string, property: LetsencryptProperty): string | undefined {
  const value = ownLetsencryptValue(platform, site, property) ?? ownLetsencryptValue(platform, GLOBAL_SCOPE, property);
  if (value !== undefined) return value;
  return property === 'server'
    ? LETSENCRYPT_SERVER
    : property === 'graceperiod'
      ? String(DEFAULT_GRACE_SECONDS)
      : undefined;
}

export function setLetsencryptProperty(
  platform: Platform,
  scope: string,
  property: LetsencryptProperty,
  value: string | undefined,
): void {
  if (value !== undefined) {
    const valid =
      property === 'email'
        ? EMAIL.test(value)
        : property === 'server'
          ? isDirectoryUrl(value)
          : /^\d{1,10}$/.test(value) && Number(value) > 0;
    if (!valid) throw new UserError(`Invalid ${property} ${value.slice(0, 200)}: ${HINTS[property]}`);
  }
  platform.state.properties.set(scope, key(property), value);
}

const HINTS: Record<LetsencryptProperty, string> = {
  email: 'give an email address for the certificate authority',
  server: 'give the https:// URL of an ACME directory',
  graceperiod: 'give the seconds before expiry at which to renew',
};

function isDirectoryUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:' && value.length <= 2000;
  } catch {
    return false;
  }
}

/**
 * What a certificate is for: an app (its domains, served by its server block) or Slipway's
 * own dashboard host (DASHBOARD_SITE, served by nginx's main config). Its name keys both
 * its certificate and its letsencrypt properties.
 */
interface Site {
  name: string;
  /** How messages name it. */
  title: string;
  domains(): string[];
  /** Serves its current certificate (or none): the shared map takes it, or nginx rewrites and reloads the block that changed. */
  serve(): Promise<void>;
}

function siteOf(platform: Platform, name: string): Site {
  if (name === DASHBOARD_SITE) {
    return {
      name,
      title: 'the dashboard',
      domains: () => [platform.settings.dashboardDomain],
      serve: () => platform.nginx.ensureRunning(),
    };
  }
  return {
    name,
    title: name,
    domains: () => appDomains(platform.state, platform.settings, name),
    serve: () => restoreRoute(platform, name),
  };
}

export const isLetsencryptEnabled = (platform: Platform, site: string) =>
  platform.state.properties.get(site, ENABLED) === 'true';

/** When the site's certificate should be renewed: `graceperiod` before it expires. */
export function renewalDue(platform: Platform, site: string): Date | undefined {
  const info = describeCertificate(platform.settings.certsDir, site);
  if (!info) return undefined;
  return new Date(new Date(info.expiresAt).getTime() - Number(letsencryptValue(platform, site, 'graceperiod')) * 1000);
}

/**
 * letsencrypt:enable (and each renewal): orders a certificate for every domain of the site,
 * answers the challenges through nginx and installs it (in the shared map, or with a graceful reload). Nothing
 * is installed unless the whole order succeeds.
 */
export async function obtainCertificate(
  platform: Platform,
  siteName: string,
  onLine: (line: string) => void,
): Promise<X509Certificate> {
  const site = siteOf(platform, siteName);
  const email = letsencryptValue(platform, site.name, 'email');
  if (!email)
    throw new UserError(
      `Missing email: letsencrypt:set ${site.name === DASHBOARD_SITE ? '--global' : site.name} email <address>${site.name === DASHBOARD_SITE ? '' : ' (or --global)'}`,
    );
  const domains = site.domains();
  if (domains.length === 0) throw new UserError(`${site.title} has no domains`);
  const wildcard = domains.find((d) => d.startsWith('*.'));
  if (wildcard) throw new UserError(`${wildcard} is a wildcard: HTTP-01 challenges cannot prove it`);
  const { client, server } = await acmeClient(platform, site.name, email);
  onLine(`Ordering a certificate for ${domains.join(', ')} from ${server}`);
  const [certKey, csr] = await acmeClientPackage().crypto.createCsr({ altNames: domains });
  const challenges = platform.nginx.acmeDir;
  let pem: string;
  try {
    pem = await client.auto({
      csr,
      email,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // The authority's own check is the one that counts; ours would need its view of DNS.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        fs.writeFileSync(path.join(challenges, tokenFile(challenge.token)), keyAuthorization, { mode: 0o644 });
      },
      challengeRemoveFn: async (_authz, challenge) => {
        fs.rmSync(path.join(challenges, tokenFile(challenge.token)), { force: true });
      },
    });
  } catch (error) {
    throw acmeFailure(error, server, platform.settings.acmeTimeoutMs, 'The certificate authority refused the order');
  }
  const certificate = storeCertificate(platform.settings.certsDir, site.name, pem, certKey.toString());
  await site.serve();
  if (site.name !== DASHBOARD_SITE)
    platform.events.publish('cert.added', {
      app: site.name,
      expires_at: new Date(certificate.validTo).toISOString(),
      by: 'letsencrypt',
    });
  onLine(
    `Installed a certificate for ${domains.join(', ')}, valid until ${new Date(certificate.validTo).toISOString()}`,
  );
  return certificate;
}

/** A challenge token names a file: only the characters ACME allows in one (base64url). */
function tokenFile(token: string): string {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(token))
    throw new UserError('The certificate authority sent an invalid challenge token');
  return token;
}

/**
 * A client of the site's ACME directory, as the account of `email` there. A directory that
 * does not answer fails here, at once and saying why: acme-client would retry a refused
 * connection for over a minute, then fail without the cause.
 */
async function acmeClient(platform: Platform, site: string, email: string) {
  const server = letsencryptValue(platform, site, 'server')!;
  const timeoutMs = platform.settings.acmeTimeoutMs;
  await checkDirectory(server, timeoutMs);
  const acme = acmeClientPackage();
  // No request of an order waits longer (acme-client sets no limit of its own).
  acme.axios.defaults.timeout = timeoutMs;
  return {
    client: new acme.Client({ directoryUrl: server, accountKey: await accountKey(platform, server, email) }),
    server,
  };
}

/** The server answers at its directory URL (what it answers is acme-client's to judge). */
async function checkDirectory(server: string, timeoutMs: number): Promise<void> {
  try {
    const response = await fetch(server, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
    await response.arrayBuffer();
  } catch (error) {
    throw new UserError(`Cannot reach the ACME server ${server}: ${unreachableCause(error, timeoutMs)}`);
  }
}

/**
 * What an order or revocation that failed tells the user. acme-client fails with a TypeError
 * of its own when a request got no answer (the timeout, a dropped connection).
 */
function acmeFailure(error: unknown, server: string, timeoutMs: number, refused: string): UserError {
  if (error instanceof TypeError)
    return new UserError(
      `The ACME server ${server} stopped answering (no answer within ${timeoutMs / 1000} s, or the connection failed)`,
    );
  return new UserError(`${refused}: ${errorMessage(error)}`);
}

/** One ACME account per directory and email, its key kept by Slipway (root only). */
async function accountKey(platform: Platform, server: string, email: string): Promise<Buffer> {
  const dir = path.join(platform.settings.dataDir, 'letsencrypt');
  const file = path.join(
    dir,
    `account-${createHash('sha256').update(`${server}\n${email}`).digest('hex').slice(0, 16)}.pem`,
  );
  if (fs.existsSync(file)) return fs.readFileSync(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const created = await acmeClientPackage().crypto.createPrivateKey();
  writeAtomically(file, created, 0o600);
  return created;
}

export async function enableLetsencrypt(
  platform: Platform,
  site: string,
  onLine: (line: string) => void,
): Promise<void> {
  await obtainCertificate(platform, site, onLine);
  platform.state.properties.set(site, ENABLED, 'true');
}

/** letsencrypt:disable: no more renewals, and the certificate goes (the site serves plain HTTP). */
export async function disableLetsencrypt(platform: Platform, siteName: string): Promise<void> {
  const site = siteOf(platform, siteName);
  if (!isLetsencryptEnabled(platform, site.name)) throw new UserError(`Let's Encrypt is not enabled for ${site.title}`);
  platform.state.properties.set(site.name, ENABLED, undefined);
  removeCertificate(platform.settings.certsDir, site.name);
  await site.serve();
}

/** letsencrypt:revoke: the authority revokes the certificate, then it is disabled as above. */
export async function revokeLetsencrypt(platform: Platform, siteName: string): Promise<void> {
  const site = siteOf(platform, siteName);
  const files = tlsFiles(platform.settings.certsDir, site.name);
  if (!isLetsencryptEnabled(platform, site.name) || !files)
    throw new UserError(`${site.title} has no Let's Encrypt certificate`);
  const email = letsencryptValue(platform, site.name, 'email') ?? '';
  const { client, server } = await acmeClient(platform, site.name, email);
  try {
    // The account of the key that ordered it (the authority returns the existing one).
    await client.createAccount({ termsOfServiceAgreed: true, contact: email ? [`mailto:${email}`] : [] });
    await client.revokeCertificate(fs.readFileSync(files.certFile), { reason: 4 }); // superseded
  } catch (error) {
    throw acmeFailure(
      error,
      server,
      platform.settings.acmeTimeoutMs,
      'The certificate authority refused the revocation',
    );
  }
  await disableLetsencrypt(platform, site.name);
}

/**
 * Renews every certificate (of these sites, else all enabled ones, the dashboard's too) whose renewal is due.
 * A failure keeps the current certificate and is reported; the others go on.
 */
export async function renewDue(
  platform: Platform,
  sites: string[] | undefined,
  onLine: (line: string) => void,
): Promise<{ renewed: string[]; failed: string[] }> {
  const everySite = [...platform.state.apps.list().map((a) => a.name), DASHBOARD_SITE];
  const candidates = (sites ?? everySite).filter((site) => isLetsencryptEnabled(platform, site));
  const outcome = { renewed: [] as string[], failed: [] as string[] };
  for (const site of candidates.map((name) => siteOf(platform, name))) {
    const due = renewalDue(platform, site.name);
    if (due && due.getTime() > Date.now()) continue;
    try {
      await obtainCertificate(platform, site.name, (line) => onLine(`${site.title}: ${line}`));
      outcome.renewed.push(site.title);
    } catch (error) {
      onLine(`${site.title}: renewal failed, the current certificate stays: ${(error as Error).message}`);
      outcome.failed.push(site.title);
      if (site.name !== DASHBOARD_SITE)
        platform.events.publish('cert.renewal_failed', { app: site.name, error: (error as Error).message });
    }
  }
  return outcome;
}

/** How often the daemon looks for certificates due for renewal. */
const RENEW_CHECK_MS = 12 * 3600_000;

/** The daemon renews certificates by itself: at start, then twice a day. No cron needed. */
export function keepCertificatesFresh(platform: Platform, log: Log, signal: AbortSignal): void {
  const check = () =>
    void renewDue(platform, undefined, (line) => log(`letsencrypt: ${line}`))
      .then(() => tellExpiring(platform))
      .catch((error: Error) => log(`letsencrypt: ${error.message}`));
  everyUntilAborted(RENEW_CHECK_MS, signal, check);
  check();
}

/** A certificate is told about as expiring once it has this little time left (each check tells again). */
export const EXPIRING_WITHIN_MS = 14 * 24 * 3600_000;

/** Every app certificate (Let's Encrypt's or not) that expires within 14 days, told about at each check. */
function tellExpiring(platform: Platform, now = Date.now()): void {
  for (const { name } of platform.state.apps.list()) {
    const info = describeCertificate(platform.settings.certsDir, name);
    const left = info ? new Date(info.expiresAt).getTime() - now : Infinity;
    if (info && left < EXPIRING_WITHIN_MS)
      platform.events.publish('cert.expiring', {
        app: name,
        expires_at: info.expiresAt,
        days_left: Math.max(0, Math.floor(left / (24 * 3600_000))),
      });
  }
}
