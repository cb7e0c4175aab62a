import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { writeAtomically } from '../core/files.js';
import { isValidDomain } from '../core/names.js';
import { runProgram } from '../core/process.js';

const CERTIFICATE = { labels: ['CERTIFICATE'], body: /^[A-Za-z0-9+/=\s]+$/ };
/** Old-style encrypted keys have `Proc-Type: 4,ENCRYPTED` headers in their body. */
const PRIVATE_KEY = {
  labels: ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'],
  body: /^[A-Za-z0-9+/=\s:,-]+$/,
};

/**
 * The PEM blocks of these labels in the text, in order. One pass with indexOf: a pattern
 * spanning BEGIN to END costs quadratic time on text of repeated headers. Once a label's
 * END is not found after some point it is never looked for again.
 */
export function pemBlocks(text: string, { labels, body }: { labels: string[]; body: RegExp }): string[] {
  const blocks: string[] = [];
  const noEndAfter = new Map<string, number>();
  for (let at = text.indexOf('-----BEGIN '); at !== -1; at = text.indexOf('-----BEGIN ', at + 1)) {
    const label = labels.find((l) => text.startsWith(`-----BEGIN ${l}-----`, at));
    if (!label || (noEndAfter.get(label) ?? Infinity) <= at) continue;
    const header = `-----BEGIN ${label}-----`;
    const footer = `-----END ${label}-----`;
    const end = text.indexOf(footer, at + header.length);
    if (end === -1) {
      noEndAfter.set(label, at);
      continue;
    }
    if (!body.test(text.slice(at + header.length, end))) continue;
    blocks.push(text.slice(at, end + footer.length));
    at = end;
  }
  return blocks;
}

/**
 * Certificates are kept per site: an app's, under its name, or Slipway's own dashboard
 * host's, under this name (never an app's: app names have no underscore).
 */
export const DASHBOARD_SITE = '_dashboard';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** Of the certificate's content: a new certificate at the same path changes the server block, so nginx reloads it. */
  fingerprint: string;
}

const filesOf = (certsDir: string, app: string) => ({
  certFile: path.join(certsDir, app, 'server.crt'),
  keyFile: path.join(certsDir, app, 'server.key'),
});

/** The app's certificate and key, when it has them. */
export function tlsFiles(certsDir: string, app: string): TlsFiles | undefined {
  const files = filesOf(certsDir, app);
  if (!fs.existsSync(files.certFile) || !fs.existsSync(files.keyFile)) return undefined;
  return {
    ...files,
    fingerprint: createHash('sha256').update(fs.readFileSync(files.certFile)).digest('hex').slice(0, 16),
  };
}

/**
 * Checks a certificate chain and its key (PEM) and stores them for the app, key readable by
 * root only. Only the PEM blocks are kept: nothing else from the input reaches nginx.
 */
export function storeCertificate(certsDir: string, app: string, certText: string, keyText: string): X509Certificate {
  const chain = pemBlocks(certText, CERTIFICATE);
  if (chain.length === 0) throw new UserError('No PEM certificate found (expected -----BEGIN CERTIFICATE-----)');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(chain[0]!);
  } catch {
    throw new UserError('The certificate could not be read');
  }
  const [keyPem] = pemBlocks(keyText, PRIVATE_KEY);
  if (!keyPem) throw new UserError('No PEM private key found (expected -----BEGIN PRIVATE KEY-----)');
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new UserError('The private key could not be read (keys with a passphrase are not supported)');
  }
  if (!certificate.checkPrivateKey(key)) throw new UserError('The private key does not match the certificate');
  const files = filesOf(certsDir, app);
  fs.mkdirSync(path.dirname(files.certFile), { recursive: true, mode: 0o700 });
  // Root only, and whole: nginx never reads half a key.
  writeAtomically(files.keyFile, key.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
  writeAtomically(files.certFile, chain.join('\n') + '\n', 0o600);
  return certificate;
}

export function removeCertificate(certsDir: string, app: string): boolean {
  const dir = path.join(certsDir, app);
  const had = fs.existsSync(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  return had;
}

/** What certs:report shows. */
export function describeCertificate(certsDir: string, app: string) {
  const files = tlsFiles(certsDir, app);
  if (!files) return undefined;
  const certificate = new X509Certificate(fs.readFileSync(files.certFile));
  const hostnames = (certificate.subjectAltName ?? '')
    .split(', ')
    .filter((name) => name.startsWith('DNS:'))
    .map((name) => name.slice(4));
  return {
    dir: path.dirname(files.certFile),
    subject: certificate.subject.replace(/\n/g, ', '),
    issuer: certificate.issuer.replace(/\n/g, ', '),
    hostnames,
    startsAt: new Date(certificate.validFrom).toISOString(),
    expiresAt: new Date(certificate.validTo).toISOString(),
    selfSigned: certificate.checkIssued(certificate),
  };
}

/** apps:rename: the certificate goes with the app. */
export function moveCertificate(certsDir: string, from: string, to: string): void {
  if (fs.existsSync(path.join(certsDir, from))) fs.renameSync(path.join(certsDir, from), path.join(certsDir, to));
}

/** A self-signed certificate and key for one domain, valid a year (certs:generate), made by openssl. */
export async function selfSignedCertificate(domain: string): Promise<{ cert: string; key: string }> {
  if (!isValidDomain(domain)) throw new UserError(`Invalid domain ${domain}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cert-'));
  try {
    const files = { cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
    const made = await runProgram('openssl', selfSignedArgs([domain], 365, files));
    if (made.code !== 0) throw new UserError(`openssl could not make the certificate: ${made.stderr.trim()}`);
    return { cert: fs.readFileSync(files.cert, 'utf8'), key: fs.readFileSync(files.key, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * openssl's arguments for a self-signed certificate (RSA 2048, valid `days`) and its
 * unencrypted key, written to `files`, for `names`: DNS names or IP addresses, the first also
 * the subject's common name.
 */
export function selfSignedArgs(names: [string, ...string[]], days: number, files: { cert: string; key: string }) {
  const altNames = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  return [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    String(days),
    '-subj',
    `/CN=${names[0]}`,
    '-addext',
    `subjectAltName=${altNames}`,
    '-keyout',
    files.key,
    '-out',
    files.cert,
  ];
}
