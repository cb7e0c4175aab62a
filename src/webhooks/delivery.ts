import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Job, Queue, Worker } from 'bullmq';
import { errorMessage } from '../core/errors.js';
import { lazyPackage } from '../core/lazy.js';
import {
  parseDestinationUrl,
  RefusedDestination,
  resolvePublicDestination,
  type PublicDestination,
} from '../core/public-destination.js';
import type { DomainEvent } from '../events/domain.js';
import { redisOptions } from '../queue/redis.js';
import type { WebhookRecord, WebhookStore } from '../state/webhooks.js';
import { SIGNATURE_HEADER, signatureHeader, webhookBody } from './body.js';

const bullmq = lazyPackage<typeof import('bullmq')>('bullmq');
const QUEUE_NAME = 'webhooks';
const BACKOFF_TYPE = 'webhook';
/** A receiver gets this long to answer; a slower one counts as a failed attempt. */
const REQUEST_TIMEOUT_MS = 10_000;
const RETRY_FOR_MS = 24 * 3600_000;
const LONGEST_WAIT_MS = 3600_000;
const CONCURRENCY = 4;

/**
 * Pure: the waits between attempts, doubling from `baseMs` up to an hour each, until they
 * add up to a day: a receiver that is down gets the event once it is back within that day.
 */
export function retryDelays(baseMs: number): number[] {
  const delays: number[] = [];
  let total = 0;
  for (let wait = baseMs; total < RETRY_FOR_MS; wait = Math.min(wait * 2, LONGEST_WAIT_MS)) {
    delays.push(wait);
    total += wait;
  }
  return delays;
}

/** What a delivery job carries: which webhook, and the event (no secret: that is read from the database at each attempt). */
interface DeliveryJob {
  webhookId: string;
  event: DomainEvent;
}

/** Deliveries waiting in Redis (BullMQ), so they outlive a daemon restart and are retried with backoff. */
export class WebhookQueue {
  private readonly queue: Queue<DeliveryJob>;
  private readonly attempts: number;

  constructor(redisUrl: string, prefix: string, backoffBaseMs: number) {
    this.queue = new (bullmq().Queue)(QUEUE_NAME, {
      connection: { ...redisOptions(redisUrl), enableOfflineQueue: false, maxRetriesPerRequest: 1 },
      prefix,
    });
    this.attempts = retryDelays(backoffBaseMs).length + 1;
  }

  async enqueue(hook: WebhookRecord, event: DomainEvent): Promise<void> {
    await this.queue.add(
      event.type,
      { webhookId: hook.id, event },
      {
        // The same event never goes twice to one webhook, whoever enqueues it.
        jobId: `${hook.id}-${event.id}`,
        attempts: this.attempts,
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
      },
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** Delivers queued events, each attempt recorded for `webhooks:deliveries`; a failed one is retried per retryDelays. */
export function startWebhookWorker(options: {
  redisUrl: string;
  prefix: string;
  backoffBaseMs: number;
  webhooks: WebhookStore;
}): Worker {
  const delays = retryDelays(options.backoffBaseMs);
  const process = async (job: Job<DeliveryJob>) => {
    const hook = options.webhooks.get(job.data.webhookId);
    if (!hook) return; // removed since: nobody to tell
    const outcome = await deliverOnce(options.webhooks, hook, job.data.event, job.attemptsMade + 1);
    if (outcome.error !== null) throw new Error(outcome.error);
  };
  return new (bullmq().Worker)(QUEUE_NAME, process, {
    connection: redisOptions(options.redisUrl),
    prefix: options.prefix,
    concurrency: CONCURRENCY,
    settings: { backoffStrategy: (attemptsMade: number) => delays[attemptsMade - 1] ?? LONGEST_WAIT_MS },
  });
}

/** What one attempt came to: the HTTP status (null: no answer), the error (null: delivered), how long it took. */
export interface DeliveryOutcome {
  status: number | null;
  error: string | null;
  latencyMs: number;
}

/** One attempt to deliver the event to the webhook, recorded for `webhooks:deliveries`; never throws. */
export async function deliverOnce(
  webhooks: WebhookStore,
  hook: WebhookRecord,
  event: DomainEvent,
  attempt: number,
): Promise<DeliveryOutcome> {
  const started = Date.now();
  const { status, error } = await postEvent(hook, event).catch((failure: unknown) => ({
    status: null,
    error: errorMessage(failure),
  }));
  const latencyMs = Date.now() - started;
  webhooks.recordDelivery(hook.id, {
    eventId: event.id,
    eventType: event.type,
    attempt,
    status,
    error,
    latencyMs,
    at: started,
  });
  return { status, error, latencyMs };
}

/** One POST of the event to the webhook; an answer outside 2xx is an error (to retry). */
async function postEvent(
  hook: WebhookRecord,
  event: DomainEvent,
): Promise<{ status: number | null; error: string | null }> {
  const body = webhookBody(event, hook.format);
  const target = await destinationOf(hook);
  const headers = {
    'Content-Type': 'application/json',
    'User-Agent': 'Slipway-Webhooks',
    'Slipway-Event': event.type,
    'Slipway-Delivery': event.id,
    [SIGNATURE_HEADER]: signatureHeader(hook.secret, Math.floor(Date.now() / 1000), body),
  };
  const status = await post(target, headers, body);
  return { status, error: status >= 200 && status < 300 ? null : `HTTP ${status}` };
}

/**
 * Where to send: a tenant's webhook is checked again at each attempt (a name may resolve
 * elsewhere by now) and the request held to the public addresses checked; an admin's goes
 * where its URL says, as git:sync lets admins fetch from anywhere.
 */
async function destinationOf(hook: WebhookRecord): Promise<{ url: string; addresses?: string[] }> {
  if (!hook.confined) return { url: parseDestinationUrl(hook.url, ['https', 'http']).url };
  let destination: PublicDestination;
  try {
    destination = await resolvePublicDestination(hook.url, { protocols: ['https'] });
  } catch (error) {
    // What a tenant reads in webhooks:deliveries: not what the name resolves to now.
    if (error instanceof RefusedDestination) throw new Error('not a public https:// destination', { cause: error });
    throw error;
  }
  return { url: destination.url, addresses: destination.addresses };
}

/** A lookup that answers with the addresses checked, whatever the name resolves to now. */
function pinnedLookup(addresses: string[]): LookupFunction {
  const all = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  return (_hostname, options, callback) => {
    if (options.all) callback(null, all);
    else callback(null, all[0]!.address, all[0]!.family);
  };
}

function post(
  target: { url: string; addresses?: string[] },
  headers: Record<string, string>,
  body: string,
): Promise<number> {
  const url = new URL(target.url);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': Buffer.byteLength(body) },
        timeout: REQUEST_TIMEOUT_MS,
        agent: false,
        ...(target.addresses ? { lookup: pinnedLookup(target.addresses) } : {}),
      },
      (response) => {
        // Its status is the answer: the body is not read (a receiver that trickles one holds
        // no slot), and no redirect is followed.
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    request.on('error', reject);
    request.end(body);
  });
}
