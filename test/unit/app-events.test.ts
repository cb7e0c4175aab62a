import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AppEventStreams, STREAMS_PER_TOKEN } from '../../src/api/events.js';
import { AppWatch, type AppEvent } from '../../src/api/app-watch.js';
import type { Platform } from '../../src/platform.js';
import type { AppSummary } from '../../src/model/api.js';
import { admin, grantTenant, openStream, sleep, streamingPlatform, tenant, until } from '../support/event-streams.js';
import { FakeScheduler, succeededRelease } from '../support/fakes.js';
import { webInstance } from '../support/instances.js';
import { parseJson } from '../support/json.js';
import { stringContaining } from '../support/matchers.js';

// The apps' event source and its streams against an in-memory state and a fake scheduler:
// one look at every app per tick whoever listens, and each stream sees only its caller's apps.

let dispose: () => void;
let scheduler: FakeScheduler;
let platform: Platform;
let engineCalls: string[];
let watch: AppWatch;
const TICK_MS = 5;

function deploy(app: string): void {
  succeededRelease(platform.state, app);
}

beforeEach(() => {
  scheduler = new FakeScheduler();
  engineCalls = [];
  const instances = scheduler.instances.bind(scheduler);
  scheduler.instances = async (app, options) => {
    engineCalls.push(app);
    return instances(app, options);
  };
  ({ platform, dispose } = streamingPlatform(scheduler));
  platform.state.apps.create('shop');
  platform.state.apps.create('draft');
  deploy('shop');
  watch = new AppWatch(platform, TICK_MS);
});

afterEach(() => {
  watch.stop();
  dispose();
});

describe('the apps’ event source', () => {
  test('a summary of every app at once, then each app created, changed and destroyed', async () => {
    const events: AppEvent[] = [];
    const { summaries, seq, unsubscribe } = await watch.subscribe((event) => events.push(event));
    expect(summaries.map((s) => [s.name, s.deployed, s.release, s.vhosts, s.running])).toEqual([
      ['draft', false, null, 'draft.example.test', 'false'],
      ['shop', true, 1, 'shop.example.test', 'false'],
    ]);
    const later = () => events.filter((e) => e.seq > seq);
    platform.state.apps.create('cart');
    await until(() => later().some((e) => e.type === 'app.changed' && e.summary.name === 'cart'));
    deploy('draft');
    await until(() =>
      later().some((e) => e.type === 'app.changed' && e.summary.name === 'draft' && e.summary.release === 1),
    );
    platform.state.apps.delete('cart');
    await until(() => later().some((e) => e.type === 'app.removed' && e.name === 'cart'));
    // Nothing changed, nothing sent.
    const count = events.length;
    await sleep(TICK_MS * 10);
    expect(events).toHaveLength(count);
    unsubscribe();
  });

  test('with many apps deployed, one look asks the engine about them all in one listing', async () => {
    for (let n = 1; n <= 30; n++) {
      platform.state.apps.create(`app${n}`);
      deploy(`app${n}`);
    }
    scheduler.running.push(webInstance('c1', 1));
    const slow = new AppWatch(platform, 60_000); // no tick but the first look
    scheduler.listings = 0;
    const { summaries, unsubscribe } = await slow.subscribe(() => {});
    expect(scheduler.listings).toBe(1);
    const running = (app: string) => summaries.find((s) => s.name === app)?.running;
    expect([running('app7'), running('shop'), running('draft')]).toEqual(['true', 'true', 'false']);
    unsubscribe();
  });

  test('the engine is asked once per tick for all listeners together, and never about an app with no release or deploy', async () => {
    const one = await watch.subscribe(() => {});
    const others = await Promise.all(Array.from({ length: 20 }, () => watch.subscribe(() => {})));
    engineCalls.length = 0;
    await sleep(TICK_MS * 30);
    const ticks = engineCalls.length;
    expect(ticks).toBeGreaterThan(0);
    expect(new Set(engineCalls)).toEqual(new Set(['shop']));
    for (const subscription of [one, ...others]) subscription.unsubscribe();
    // The last listener gone, the looking stops.
    engineCalls.length = 0;
    await sleep(TICK_MS * 10);
    expect(engineCalls).toEqual([]);
  });
});

describe('event streams', () => {
  test('a tenant’s stream: its apps only, and an app taken away leaves it', async () => {
    grantTenant(platform, 'shop');
    const streams = new AppEventStreams(platform.state, watch);
    const theirs = openStream(streams, tenant);
    await until(() => theirs.events().length > 0);
    expect(theirs.text()).toMatch(/^retry: \d+\n\n/);
    expect(parseJson<AppSummary[]>(theirs.events()[0]!.data).map((s) => s.name)).toEqual(['shop']);
    platform.state.apps.create('secret');
    deploy('shop');
    await until(() => theirs.events().some((e) => e.event === 'app' && parseJson<AppSummary>(e.data).release === 2));
    platform.state.access.revoke('shop', 'tenant');
    deploy('shop');
    await until(() => theirs.events().some((e) => e.event === 'app-removed'));
    expect(theirs.text()).not.toContain('secret');
    expect(theirs.events().map((e) => e.event)).toEqual(['snapshot', 'app', 'app-removed']);
    theirs.close();
    await theirs.done;
  });

  test('a token holds at most a few streams; closing one lets another in', async () => {
    const streams = new AppEventStreams(platform.state, watch);
    const held = Array.from({ length: STREAMS_PER_TOKEN }, () => openStream(streams, admin));
    await expect(openStream(streams, admin).done).rejects.toMatchObject({
      statusCode: 429,
      message: stringContaining('Too many event streams'),
    });
    const otherToken = openStream(streams, tenant);
    held[0]!.close();
    await held[0]!.done;
    const again = openStream(streams, admin);
    await until(() => again.events().length > 0);
    for (const stream of [...held, again, otherToken]) stream.close();
    await Promise.all([...held, again, otherToken].map((s) => s.done));
  });
});
