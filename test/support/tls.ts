import { selfSignedArgs } from '../../src/proxy/certs.js';
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
  const made = await run('openssl', selfSignedArgs(names, days, files));
  if (made.code !== 0) throw new Error(made.output);
}
