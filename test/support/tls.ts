import { isIP } from 'node:net';
import { run } from './slipway.js';

/**
 * Writes a self-signed certificate (valid `days`, two by default) and its key, made by openssl, for `names`:
 * DNS names or IP addresses, the first also the subject's common name. What a test's own TLS
 * server presents, or what a test hands Slipway as an app's certificate.
 */
export async function writeSelfSigned(
  files: { cert: string; key: string },
  names: [string, ...string[]],
  days = 2,
): Promise<void> {
  const altNames = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  const made = await run('openssl', [
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
  ]);
  if (made.code !== 0) throw new Error(made.output);
}
