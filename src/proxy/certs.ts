import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g;
const PEM_PRIVATE_KEY = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[A-Za-z0-9+/=\s:,-]+-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

const filesOf = (certsDir: string, app: string): TlsFiles => ({
  certFile: path.join(certsDir, app, 'server.crt'),
  keyFile: path.join(certsDir, app, 'server.key'),
});

/** The app's certificate and key, when it has them. */
export function tlsFiles(certsDir: string, app: string): TlsFiles | undefined {
  const files = filesOf(certsDir, app);
  return fs.existsSync(files.certFile) && fs.existsSync(files.keyFile) ? files : undefined;
}

/**
 * Checks a certificate chain and its key (PEM) and stores them for the app, key readable by
 * root only. Only the PEM blocks are kept: nothing else from the input reaches nginx.
 */
export function storeCertificate(certsDir: string, app: string, certText: string, keyText: string): X509Certificate {
  const chain = certText.match(PEM_CERTIFICATE);
  if (!chain) throw new UserError('No PEM certificate found (expected -----BEGIN CERTIFICATE-----)');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(chain[0]);
  } catch {
    throw new UserError('The certificate could not be read');
  }
  const keyPem = PEM_PRIVATE_KEY.exec(keyText)?.[0];
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
  writePrivately(files.keyFile, key.export({ type: 'pkcs8', format: 'pem' }).toString());
  writePrivately(files.certFile, chain.join('\n') + '\n');
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

/** Written under a temporary name and renamed, so nginx never reads half a key. */
function writePrivately(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text, { mode: 0o600 });
  fs.renameSync(temp, file);
}

/** apps:rename: the certificate goes with the app. */
export function moveCertificate(certsDir: string, from: string, to: string): void {
  if (fs.existsSync(path.join(certsDir, from))) fs.renameSync(path.join(certsDir, from), path.join(certsDir, to));
}
