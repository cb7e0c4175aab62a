import { afterEach, beforeEach, expect, test } from 'vitest';
import { AppWatch } from '../../src/api/app-watch.js';
import { AppEventStreams } from '../../src/api/events.js';
import type { Platform } from '../../src/platform.js';
import { admin, grantTenant, openStream, streamingPlatform, tenant, until } from '../support/event-streams.js';
import { FakeScheduler, succeededRelease } from '../support/fakes.js';

// GET /events and the dashboard read the platform's own events (platform.events, what webhooks
// are told) on the same stream as the apps' summaries: each caller sees those of its apps,
// and an event has its app's summary looked at again at once, not at the next tick.

let dispose: () => void;
let platform: Platform;
/** Far longer than the test waits: only an event can make the watch look again in time. */
const SLOW_TICK_MS = 60_000;

beforeEach(() => {
  ({ platform, dispose } = streamingPlatform(new FakeScheduler()));
  platform.state.apps.create('shop');
  platform.state.apps.create('secret');
  grantTenant(platform, 'shop');
});
afterEach(() => dispose());

test('each stream gets the platform’s events of its caller’s apps; events of no app go to admins only', async () => {
  const watch = new AppWatch(platform, SLOW_TICK_MS);
  const streams = new AppEventStreams(platform.state, watch);
  const theirs = openStream(streams, tenant);
  const mine = openStream(streams, admin);
  await until(() => theirs.events().length > 0 && mine.events().length > 0);
  platform.events.publish('app.scaled', { app: 'shop', formation: { web: 2 }, by: 'tenant' });
  platform.events.publish('app.scaled', { app: 'secret', formation: { web: 3 }, by: 'admin' });
  platform.events.publish('node.down', { node: 'n2', address: '10.0.0.2' });
  await until(() => mine.told().length === 3);
  expect(mine.told().map((e) => [e.type, 'app' in e ? e.app : null])).toEqual([
    ['app.scaled', 'shop'],
    ['app.scaled', 'secret'],
    ['node.down', null],
  ]);
  expect(theirs.told()).toMatchObject([{ type: 'app.scaled', app: 'shop', formation: { web: 2 }, by: 'tenant' }]);
  for (const stream of [theirs, mine]) stream.close();
  await Promise.all([theirs.done, mine.done]);
  watch.stop();
});

test('an event has its app looked at again at once: the summary follows without waiting for the tick', async () => {
  const watch = new AppWatch(platform, SLOW_TICK_MS);
  const streams = new AppEventStreams(platform.state, watch);
  const stream = openStream(streams, admin);
  await until(() => stream.events().length > 0);
  succeededRelease(platform.state, 'shop');
  platform.events.publish('deploy.succeeded', {
    app: 'shop',
    deploy: 'd1',
    kind: 'git',
    by: 'admin',
    rev: 'abc',
    release: 1,
  });
  await until(() => stream.events().some((e) => e.event === 'app'));
  expect(stream.events().map((e) => e.event)).toEqual(['snapshot', 'event', 'app']);
  stream.close();
  await stream.done;
  watch.stop();
});
