import { randomBytes } from 'node:crypto';
import { mayUseApp, type Caller } from '../access/index.js';
import { errorMessage, UserError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { parseDestinationUrl, RefusedDestination, resolvePublicDestination } from '../core/public-destination.js';
import { domainEvent, eventApp } from '../events/domain.js';
import type { Platform } from '../platform.js';
import type { WebhookFormat, WebhookRecord } from '../state/webhooks.js';
import { deliverOnce, WebhookQueue, type DeliveryOutcome } from './delivery.js';
import { parseEventFilter, webhookWants } from './filter.js';

const SECRET = /^[\x21-\x7e]{16,200}$/;
const ID = /^[0-9a-f]{12}$/;

/** What `webhooks:add` was given. */
export interface NewWebhook {
  app: string | null;
  url: string;
  events: string | undefined;
  secret: string | undefined;
  format: string | undefined;
}

/**
 * Adds a webhook. A tenant's URL must lead to a public https:// destination now (and is
 * checked again at each delivery); an admin's may be any http(s) URL, as git:sync lets admins
 * fetch from anywhere. Returns the webhook, and the secret when it was made here (shown once).
 */
export async function addWebhook(
  platform: Platform,
  caller: Caller,
  given: NewWebhook,
): Promise<{ hook: WebhookRecord; generatedSecret?: string }> {
  const format = parseFormat(given.format);
  const events = parseEventFilter(given.events);
  if (given.secret !== undefined && !SECRET.test(given.secret))
    throw new UserError('A webhook secret is 16 to 200 printable characters, no spaces');
  const url = caller.isAdmin ? adminUrl(given.url) : await tenantUrl(given.url);
  const secret = given.secret ?? randomBytes(32).toString('hex');
  const hook: WebhookRecord = {
    id: randomBytes(6).toString('hex'),
    app: given.app,
    url,
    events,
    format,
    secret,
    confined: !caller.isAdmin,
    createdBy: caller.name,
    createdAt: Date.now(),
  };
  platform.state.webhooks.add(hook);
  return { hook, generatedSecret: given.secret === undefined ? secret : undefined };
}

function parseFormat(format: string | undefined): WebhookFormat {
  if (format === undefined || format === 'json' || format === 'slack') return format ?? 'json';
  throw new UserError(`Unknown webhook format ${format.slice(0, 100)}: json or slack`);
}

function adminUrl(text: string): string {
  try {
    return parseDestinationUrl(text, ['https', 'http']).url;
  } catch (error) {
    if (error instanceof RefusedDestination) throw new UserError(`Invalid webhook URL: ${error.message}`);
    throw error;
  }
}

/** A tenant is told why the URL's form is wrong, but not what its name resolves to (that would map the networks behind this host). */
async function tenantUrl(text: string): Promise<string> {
  try {
    return (await resolvePublicDestination(text, { protocols: ['https'] })).url;
  } catch (error) {
    if (!(error instanceof RefusedDestination)) throw error;
    if (error.kind === 'form') throw new UserError(`Invalid webhook URL: ${error.message}`);
    throw new UserError(
      `Invalid webhook URL ${text.slice(0, 200)}: not a public https:// address this key may send to`,
    );
  }
}

/**
 * The webhook by id, if the caller may see and change it: an app's with access to the app,
 * a global one as an admin. Any other, or none, gets the same answer.
 */
export function webhookOf(platform: Platform, caller: Caller, id: string): WebhookRecord {
  const hook = ID.test(id) ? platform.state.webhooks.get(id) : undefined;
  const may = hook && (hook.app === null ? caller.isAdmin : mayUseApp(platform.state, caller, hook.app));
  if (!hook || !may) throw new UserError(`No webhook ${id.slice(0, 100)} that key ${caller.name} may use`);
  return hook;
}

/**
 * `webhooks:test`: a `webhook.test` event POSTed to the webhook now, signed as every delivery,
 * whatever events it asked for (as GitHub's ping), once: the caller reads the answer at once,
 * and `webhooks:deliveries` lists the attempt with the others.
 */
export async function testWebhook(platform: Platform, caller: Caller, id: string): Promise<DeliveryOutcome> {
  const hook = webhookOf(platform, caller, id);
  const event = domainEvent('webhook.test', { webhook: hook.id, by: caller.name });
  return deliverOnce(platform.state.webhooks, hook, event, 1);
}

/**
 * Hands every event to the delivery queue for each webhook that wants it. Publishing waits
 * for none of this: an event whose queueing fails (Redis away) is logged and dropped, and
 * the action it tells of has happened regardless.
 */
export function dispatchEvents(platform: Platform, log: Log): () => Promise<void> {
  const { settings } = platform;
  const queue = new WebhookQueue(settings.redisUrl, settings.instance, settings.webhookBackoffMs);
  const unsubscribe = platform.events.subscribe((event) => {
    let hooks: WebhookRecord[];
    try {
      hooks = platform.state.webhooks.concerned(eventApp(event)).filter((hook) => webhookWants(hook, event));
    } catch (error) {
      return log(`webhooks for ${event.type} cannot be read: ${errorMessage(error)}`, { level: 'warn' });
    }
    for (const hook of hooks)
      queue
        .enqueue(hook, event)
        .catch((error: unknown) =>
          log(`${event.type} could not be queued for webhook ${hook.id}: ${errorMessage(error)}`, { level: 'warn' }),
        );
  });
  return async () => {
    unsubscribe();
    await queue.close();
  };
}
