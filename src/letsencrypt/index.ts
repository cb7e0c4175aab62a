import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as acme from 'acme-client';
import { UserError } from '../core/errors.js';
import { everyUntilAborted } from '../core/process.js';
import { restoreRoute } from '../deploy/routes.js';
import type { Platform } from '../platform.js';
import { describeCertificate, removeCertificate, storeCertificate, tlsFiles } from '../proxy/certs.js';
import { appDomains } from '../proxy/domains.js';
import { GLOBAL_SCOPE } from '../state/index.js';

/**
 * Automatic HTTPS from an ACME certificate authority (Let's Encrypt by default), as Dokku's
 * letsencrypt plugin: HTTP-01 challenges answered by Slipway's nginx for the app's domains,
 * the certificate installed like certs:add, and renewed by the daemon before `graceperiod`
 * remains. A failed order or renewal changes nothing and says why.
 */
export const LETSENCRYPT_PROPERTIES = ['email', 'server', 'graceperiod'] as const;
export type LetsencryptProperty = (typeof LETSENCRYPT_PROPERTIES)[number];

export const LETSENCRYPT_SERVER = 'https://acme-v02.api.letsencrypt.org/directory';
/** Renew when less than this remains (Dokku's default: 30 days). */
const DEFAULT_GRACE_SECONDS = 30 * 24 * 3600;
const ENABLED = 'letsencrypt.enabled';
const key = (property: LetsencryptProperty) => `letsencrypt.${property}`;
const EMAIL = /^[^\s@]{1,64}@[A-Za-z0-9.-]{1,253}$/;

export function ownLetsencryptValue(platform: Platform, scope: string, property: LetsencryptProperty): string | undefined {
  return platform.state.properties.get(scope, key(property));
}

/** The app's own value, else the global one, else the default. */
export function letsencryptValue(platform: Platform, app: string, property: LetsencryptProperty): string | undefined {
  const value = ownLetsencryptValue(platform, app, property) ?? ownLetsencryptValue(platform, GLOBAL_SCOPE, property);
  if (value !== undefined) return value;
  return property === 'server' ? LETSENCRYPT_SERVER : property === 'graceperiod' ? String(DEFAULT_GRACE_SECONDS) : undefined;
}

export function setLetsencryptProperty(platform: Platform, scope: string, property: LetsencryptProperty, value: string | undefined): void {
  if (value !== undefined) {
    const valid =
      property === 'email' ? EMAIL.test(value) : property === 'server' ? isDirectoryUrl(value) : /^\d{1,10}$/.test(value) && Number(value) > 0;
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

export const isLetsencryptEnabled = (platform: Platform, app: string) => platform.state.properties.get(app, ENABLED) === 'true';

/** When the app's certificate should be renewed: `graceperiod` before it expires. */
export function renewalDue(platform: Platform, app: string): Date | undefined {
  const info = describeCertificate(platform.settings.certsDir, app);
  if (!info) return undefined;
  return new Date(new Date(info.expiresAt).getTime() - Number(letsencryptValue(platform, app, 'graceperiod')) * 1000);
}

/**
 * letsencrypt:enable (and each renewal): orders a certificate for every domain of the app,
 * answers the challenges through nginx, installs it and reloads nginx gracefully. Nothing
 * is installed unless the whole order succeeds.
 */
export async function obtainCertificate(platform: Platform, app: string, onLine: (line: string) => void): Promise<X509Certificate> {
  const email = letsencryptValue(platform, app, 'email');
  if (!email) throw new UserError(`Missing email: letsencrypt:set ${app} email <address> (or --global)`);
  const domains = appDomains(platform.state, platform.settings, app);
  if (domains.length === 0) throw new UserError(`${app} has no domains`);
  const wildcard = domains.find((d) => d.startsWith('*.'));
  if (wildcard) throw new UserError(`${wildcard} is a wildcard: HTTP-01 challenges cannot prove it`);
  const { client, server } = await acmeClient(platform, app, email);
  onLine(`Ordering a certificate for ${domains.join(', ')} from ${server}`);
  const [certKey, csr] = await acme.crypto.createCsr({ altNames: domains });
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
    throw new UserError(`The certificate authority refused the order: ${(error as Error).message}`);
  }
  const certificate = storeCertificate(platform.settings.certsDir, app, pem, certKey.toString());
  await restoreRoute(platform, app);
  onLine(`Installed a certificate for ${domains.join(', ')}, valid until ${new Date(certificate.validTo).toISOString()}`);
  return certificate;
}

/** A challenge token names a file: only the characters ACME allows in one (base64url). */
function tokenFile(token: string): string {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(token)) throw new UserError('The certificate authority sent an invalid challenge token');
  return token;
}

/** A client of the app's ACME directory, as the account of `email` there. */
async function acmeClient(platform: Platform, app: string, email: string) {
  const server = letsencryptValue(platform, app, 'server')!;
  return { client: new acme.Client({ directoryUrl: server, accountKey: await accountKey(platform, server, email) }), server };
}

/** One ACME account per directory and email, its key kept by Slipway (root only). */
async function accountKey(platform: Platform, server: string, email: string): Promise<Buffer> {
  const dir = path.join(platform.settings.dataDir, 'letsencrypt');
  const file = path.join(dir, `account-${createHash('sha256').update(`${server}\n${email}`).digest('hex').slice(0, 16)}.pem`);
  if (fs.existsSync(file)) return fs.readFileSync(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const created = await acme.crypto.createPrivateKey();
  fs.writeFileSync(file, created, { mode: 0o600 });
  return created;
}

export async function enableLetsencrypt(platform: Platform, app: string, onLine: (line: string) => void): Promise<void> {
  await obtainCertificate(platform, app, onLine);
  platform.state.properties.set(app, ENABLED, 'true');
}

/** letsencrypt:disable: no more renewals, and the certificate goes (the app serves plain HTTP). */
export async function disableLetsencrypt(platform: Platform, app: string): Promise<void> {
  if (!isLetsencryptEnabled(platform, app)) throw new UserError(`Let's Encrypt is not enabled for ${app}`);
  platform.state.properties.set(app, ENABLED, undefined);
  removeCertificate(platform.settings.certsDir, app);
  await restoreRoute(platform, app);
}

/** letsencrypt:revoke: the authority revokes the certificate, then it is disabled as above. */
export async function revokeLetsencrypt(platform: Platform, app: string): Promise<void> {
  const files = tlsFiles(platform.settings.certsDir, app);
  if (!isLetsencryptEnabled(platform, app) || !files) throw new UserError(`${app} has no Let's Encrypt certificate`);
  const email = letsencryptValue(platform, app, 'email') ?? '';
  const { client } = await acmeClient(platform, app, email);
  try {
    // The account of the key that ordered it (the authority returns the existing one).
    await client.createAccount({ termsOfServiceAgreed: true, contact: email ? [`mailto:${email}`] : [] });
    await client.revokeCertificate(fs.readFileSync(files.certFile), { reason: 4 }); // superseded
  } catch (error) {
    throw new UserError(`The certificate authority refused the revocation: ${(error as Error).message}`);
  }
  await disableLetsencrypt(platform, app);
}

/**
 * Renews every certificate (of these apps, else all enabled ones) whose renewal is due.
 * A failure keeps the current certificate and is reported; the others go on.
 */
export async function renewDue(platform: Platform, apps: string[] | undefined, onLine: (line: string) => void): Promise<{ renewed: string[]; failed: string[] }> {
  const candidates = (apps ?? platform.state.apps.list().map((a) => a.name)).filter((app) => isLetsencryptEnabled(platform, app));
  const outcome = { renewed: [] as string[], failed: [] as string[] };
  for (const app of candidates) {
    const due = renewalDue(platform, app);
    if (due && due.getTime() > Date.now()) continue;
    try {
      await obtainCertificate(platform, app, (line) => onLine(`${app}: ${line}`));
      outcome.renewed.push(app);
    } catch (error) {
      onLine(`${app}: renewal failed, the current certificate stays: ${(error as Error).message}`);
      outcome.failed.push(app);
    }
  }
  return outcome;
}

/** How often the daemon looks for certificates due for renewal. */
const RENEW_CHECK_MS = 12 * 3600_000;

/** The daemon renews certificates by itself: at start, then twice a day. No cron needed. */
export function keepCertificatesFresh(platform: Platform, log: (line: string) => void, signal: AbortSignal): void {
  const check = () => void renewDue(platform, undefined, (line) => log(`letsencrypt: ${line}`)).catch((error: Error) => log(`letsencrypt: ${error.message}`));
  everyUntilAborted(RENEW_CHECK_MS, signal, check);
  check();
}
