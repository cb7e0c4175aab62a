import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DomainEvent, DomainEventType } from '../events/domain.js';
import type { WebhookFormat } from '../state/webhooks.js';

/** The header that carries `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe signs. */
export const SIGNATURE_HEADER = 'Slipway-Signature';

/** Pure: the signature header's value for a body sent at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

const hmac = (secret: string, timestamp: number, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/**
 * Pure: what a receiver does with the header: the signature must be the body's under the
 * secret, and recent (a replayed old delivery is refused). The README shows the same steps.
 */
export function verifySignature(
  header: string,
  body: string,
  secret: string,
  now = Date.now(),
  toleranceSeconds = 300,
): boolean {
  const parts = new Map(
    header.split(',').map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)]),
  );
  const timestamp = Number(parts.get('t'));
  const given = Buffer.from(parts.get('v1') ?? '', 'hex');
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  return (
    Number.isInteger(timestamp) &&
    Math.abs(now / 1000 - timestamp) <= toleranceSeconds &&
    given.length === expected.length &&
    timingSafeEqual(given, expected)
  );
}

/** Pure: the body sent for an event: the event itself as JSON, or Slack's (and Discord's `/slack` endpoint's) `{"text"}`. */
export function webhookBody(event: DomainEvent, format: WebhookFormat): string {
  return JSON.stringify(format === 'slack' ? { text: slackText(event) } : event);
}

type Texts = { [T in DomainEventType]: (event: Extract<DomainEvent, { type: T }>) => string };

const release = (version: number | null) => (version === null ? '' : ` v${version}`);
const pushed = (event: { kind: string; rev: string | null; by: string }) =>
  `${event.kind === 'git' && event.rev ? `${event.rev.slice(0, 7)} ` : ''}by ${event.by}`;

const TEXTS: Texts = {
  'deploy.started': (e) => `Deploying ${e.app} (${e.kind}, ${pushed(e)})`,
  'deploy.succeeded': (e) => `Deployed ${e.app}${release(e.release)} (${e.kind}, ${pushed(e)})`,
  'deploy.failed': (e) => `Deploy of ${e.app}${release(e.release)} failed (${e.kind}, ${pushed(e)}): ${e.error}`,
  'app.crashed': (e) => `${e.app}: ${e.process || 'a'} container ${e.container} stopped unexpectedly`,
  'app.restarted': (e) => `${e.app}: restarting ${e.missing.join(', ')} of v${e.release}`,
  'app.recovered': (e) => `${e.app}: v${e.release} runs again`,
  'app.crash_loop': (e) =>
    `${e.app}: ${e.process} is crash-looping (${e.crashes} crashes within ${e.window_seconds / 60} minutes); further crashes are counted, not told`,
  'app.crash_loop_recovered': (e) =>
    `${e.app}: ${e.process} runs again after a crash loop of ${e.crashes} crashes in ${Math.round(e.seconds / 60)} minutes`,
  'app.scaled': (e) =>
    `${e.app} scaled to ${Object.entries(e.formation)
      .map(([type, count]) => `${type}=${count}`)
      .join(' ')} by ${e.by}`,
  'config.changed': (e) => `Config of ${e.app ?? 'every app (global)'} changed by ${e.by}: ${e.keys.join(', ')}`,
  'domain.added': (e) => `${e.app} answers on ${e.domains.join(', ')} now (by ${e.by})`,
  'domain.removed': (e) => `${e.app} no longer answers on ${e.domains.join(', ')} (by ${e.by})`,
  'cert.added': (e) => `${e.app} has a new certificate, valid until ${e.expires_at} (by ${e.by})`,
  'cert.renewal_failed': (e) => `Renewing the certificate of ${e.app} failed: ${e.error}`,
  'cert.expiring': (e) => `The certificate of ${e.app} expires in ${e.days_left} days (${e.expires_at})`,
  'backup.succeeded': (e) => `Backup of ${e.service} stored in ${e.bucket} as ${e.file}`,
  'backup.failed': (e) => `Backup of ${e.service}${e.bucket ? ` to ${e.bucket}` : ''} failed: ${e.error}`,
  'node.down': (e) => `Swarm node ${e.node} (${e.address}) is down`,
  'node.up': (e) => `Swarm node ${e.node} (${e.address}) is up again`,
  'webhook.test': (e) => `A test delivery to webhook ${e.webhook} from Slipway (webhooks:test by ${e.by})`,
};

/** Pure: one line for a chat, with Slack's three control characters escaped (a value may hold any). */
export function slackText(event: DomainEvent): string {
  const text = (TEXTS[event.type] as (e: DomainEvent) => string)(event);
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
