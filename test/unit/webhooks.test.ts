import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { DomainEvents, type DomainEvent } from '../../src/events/domain.js';
import { signatureHeader, slackText, verifySignature, webhookBody } from '../../src/webhooks/body.js';
import { retryDelays } from '../../src/webhooks/delivery.js';
import { groupOf, parseEventFilter, webhookWants } from '../../src/webhooks/filter.js';
import { nodeEvents } from '../../src/runtime/swarm/tasks.js';

const base = { id: 'e1', at: '2026-01-01T00:00:00.000Z' };
const failed: DomainEvent = {
  ...base,
  type: 'deploy.failed',
  app: 'shop',
  deploy: 'd1',
  kind: 'git',
  by: 'alice',
  rev: 'abcdef0123456789',
  release: 3,
  error: 'build failed <here> & there',
};
const crashed: DomainEvent = { ...base, type: 'app.crashed', app: 'shop', process: 'web', container: 'c0ffee' };
const nodeDown: DomainEvent = { ...base, type: 'node.down', node: 'n2', address: '10.0.0.2' };
const scaled: DomainEvent = { ...base, type: 'app.scaled', app: 'shop', formation: { web: 2 }, by: 'alice' };

describe('signatures', () => {
  test('v1 is the HMAC-SHA256 of "<t>.<body>" under the secret, as a receiver computes it', () => {
    const body = webhookBody(failed, 'json');
    const header = signatureHeader('s3cret', 1_700_000_000, body);
    const expected = createHmac('sha256', 's3cret').update(`1700000000.${body}`).digest('hex');
    expect(header).toBe(`t=1700000000,v1=${expected}`);
  });

  test('a receiver accepts its body with the secret, recently signed; anything else is refused', () => {
    const body = webhookBody(failed, 'json');
    const now = 1_700_000_000_000;
    const header = signatureHeader('s3cret', now / 1000, body);
    expect(verifySignature(header, body, 's3cret', now)).toBe(true);
    expect(verifySignature(header, body.replace('shop', 'shoq'), 's3cret', now)).toBe(false);
    expect(verifySignature(header, body, 'other-secret', now)).toBe(false);
    expect(verifySignature(header, body, 's3cret', now + 3600_000)).toBe(false); // replayed an hour later
    expect(verifySignature('t=1,v1=zz', body, 's3cret', now)).toBe(false);
    expect(verifySignature('', body, 's3cret', now)).toBe(false);
  });
});

describe('which webhooks an event goes to', () => {
  const hook = (app: string | null, events: string[] = []) => ({ app, events });

  test("an app's webhook gets that app's events only; a global one every event, those of no app too", () => {
    expect(webhookWants(hook('shop'), failed)).toBe(true);
    expect(webhookWants(hook('blog'), failed)).toBe(false);
    expect(webhookWants(hook('shop'), nodeDown)).toBe(false);
    expect(webhookWants(hook(null), nodeDown)).toBe(true);
    expect(webhookWants(hook(null), failed)).toBe(true);
  });

  test('--events names groups or exact kinds', () => {
    expect(webhookWants(hook('shop', ['deploy']), failed)).toBe(true);
    expect(webhookWants(hook('shop', ['crash']), failed)).toBe(false);
    expect(webhookWants(hook('shop', ['crash']), crashed)).toBe(true);
    expect(webhookWants(hook('shop', ['crash']), scaled)).toBe(false);
    expect(webhookWants(hook('shop', ['scale']), scaled)).toBe(true);
    expect(webhookWants(hook('shop', ['deploy.succeeded']), failed)).toBe(false);
    expect(webhookWants(hook('shop', ['deploy.failed']), failed)).toBe(true);
    expect(groupOf('app.recovered')).toBe('crash');
    expect(groupOf('cert.expiring')).toBe('cert');
  });

  test('the filter is read strictly: unknown words are refused, repeats dropped, none is everything', () => {
    expect(parseEventFilter(undefined)).toEqual([]);
    expect(parseEventFilter('deploy, crash,deploy,cert.expiring')).toEqual(['deploy', 'crash', 'cert.expiring']);
    expect(() => parseEventFilter('deploy,explode')).toThrow(UserError);
    expect(() => parseEventFilter('')).toThrow(UserError);
    expect(() => parseEventFilter('deploy,'.repeat(1000))).toThrow(UserError);
  });
});

describe('bodies', () => {
  test('JSON is the event itself', () => {
    expect(JSON.parse(webhookBody(failed, 'json'))).toEqual(failed);
  });

  test("Slack's is one line of text, its control characters escaped", () => {
    expect(JSON.parse(webhookBody(failed, 'slack'))).toEqual({
      text: 'Deploy of shop v3 failed (git, abcdef0 by alice): build failed &lt;here&gt; &amp; there',
    });
    expect(slackText(crashed)).toBe('shop: web container c0ffee stopped unexpectedly');
    expect(slackText(scaled)).toBe('shop scaled to web=2 by alice');
    expect(slackText(nodeDown)).toBe('Swarm node n2 (10.0.0.2) is down');
  });
});

test('retries double from the base up to an hour each, and go on for a day', () => {
  const delays = retryDelays(1000);
  expect(delays.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
  expect(Math.max(...delays)).toBe(3600_000);
  const total = delays.reduce((a, b) => a + b, 0);
  expect(total).toBeGreaterThanOrEqual(24 * 3600_000);
  expect(total - delays.at(-1)!).toBeLessThan(24 * 3600_000);
});

test('publishing never throws, and a listener that fails is cut off without the others missing the event', () => {
  const events = new DomainEvents();
  const seen: string[] = [];
  events.subscribe(() => {
    throw new Error('broken listener');
  });
  events.subscribe((event) => seen.push(event.type));
  expect(() => events.publish('node.up', { node: 'n1', address: '10.0.0.1' })).not.toThrow();
  events.publish('node.down', { node: 'n1', address: '10.0.0.1' });
  expect(seen).toEqual(['node.up', 'node.down']);
});

test('a swarm node going down or coming back is an event; one new to the list, or unchanged, is none', () => {
  const node = (state: string) => ({ hostname: 'n2', address: '10.0.0.2', state });
  const before = new Map([
    ['a', node('ready')],
    ['b', node('down')],
  ]);
  const now = new Map([
    ['a', node('down')],
    ['b', node('ready')],
    ['c', node('ready')],
  ]);
  expect(nodeEvents(before, now)).toEqual([
    { action: 'node', id: 'a', node: { name: 'n2', address: '10.0.0.2', up: false } },
    { action: 'node', id: 'b', node: { name: 'n2', address: '10.0.0.2', up: true } },
  ]);
  expect(nodeEvents(now, now)).toEqual([]);
});
