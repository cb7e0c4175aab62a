import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The header Slipway's nginx adds to every request it passes to the API, carrying a secret
 * only it and the daemon know (written into its config: templates/nginx/main.conf.hbs).
 */
export const PROXY_SECRET_HEADER = 'x-slipway-proxy';
const FORWARDING = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'];
const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Keeps a request's forwarding headers only when Slipway's nginx sent it: from any other
 * client (anyone who can reach the API's port on this host) they are dropped, so it is
 * known by its own address for the rate limit and the failed-token lockout, and cannot
 * claim HTTPS or another host. The secret itself goes no further.
 */
export function dropUntrustedForwarding(headers: IncomingHttpHeaders, secret: string): void {
  const presented = headers[PROXY_SECRET_HEADER];
  delete headers[PROXY_SECRET_HEADER];
  // Compared as digests: constant time, whatever the length presented.
  if (typeof presented === 'string' && timingSafeEqual(digest(presented), digest(secret))) return;
  for (const name of FORWARDING) delete headers[name];
}
