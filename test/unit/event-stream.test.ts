import { afterEach, beforeEach, expect, test } from 'vitest';
import { AppWatch } from '../../src/api/app-watch.js';
import { AppEventStreams } from '../../src/api/events.js';
import type { DomainEvent } from '../../src/events/domain.js';
import { Platform } from '../../src/platform.js';
import {
  FakeScheduler,
  fakeLogs,
  imagesAllHere,
  MemoryLocks,
  succeededRelease,
  unitPlatform,
} from '../support/fakes.js';
import { parseJson } from '../support/json.js';
import { parseEvents } from '../support/sse.js';

// GET /events and the dashboard read the platform's own events (platform.events, what webhooks
// are told) on the same stream as the apps' summaries: each caller sees those of its apps,
// and an event has its app's summary looked at again at once, not at the next tick.

let dispose: () => void;
let scheduler: FakeScheduler;
let platform: Platform;
const admin = { name: 'admin', isAdmin: true, tokenId: 'admin-token' };
const tenant = { name: 'tenant', isAdmin: false, tokenId: 'tenant-token' };
/** Far longer than the test waits: only an event can make the watch look again in time. */
const SLOW_TICK_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await sleep(5);
  expect(check()).toBe(true);
}

beforeEach(() => {
  scheduler = new FakeScheduler();
  ({ platform, dispose } = unitPlatform({
    engine: imagesAllHere,
    schedulers: [scheduler],
    logs: fakeLogs,
    locks: new MemoryLocks(),
  }));
  platform.state.apps.create('shop');
  platform.state.apps.create('secret');
  platform.state.keys.add({ name: 'tenant', fingerprint: 'SHA256:t', publicKey: 'ssh-ed25519 BBBB' }, { admin: false });
  platform.state.access.grant('shop', 'tenant');
});
afterEach(() => dispose());

function open(streams: AppEventStreams, caller: typeof admin) {
  let text = '';
  const controller = new AbortController();
  const done = streams.serve(caller, () => (chunk) => void (text += chunk), controller.signal);
  const told = () =>
    parseEvents(text)
      .filter((e) => e.event === 'event')
      .map((e) => parseJson<DomainEvent>(e.data));
  return { done, events: () => parseEvents(text), told, close: () => controller.abort() };
}

test('each stream gets the platform’s events of its caller’s apps; events of no app go to admins only', async () => {
  const watch = new AppWatch(platform, SLOW_TICK_MS);
  const streams = new AppEventStreams(platform.state, watch);
  const theirs = open(streams, tenant);
  const mine = open(streams, admin);
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
  const stream = open(streams, admin);
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
