import { beforeEach, describe, expect, test, vi } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { isSleeping, markStopped } from '../../src/deploy/desired.js';
import { stopApp } from '../../src/deploy/index.js';
import { Reconciler } from '../../src/deploy/reconcile.js';
import {
  isIdle,
  parseSleepAfter,
  setSleepAfter,
  sleepAfterOf,
  Sleeper,
  type IdleFacts,
} from '../../src/deploy/sleep.js';
import { parseBackends, renderBackends } from '../../src/proxy/render.js';
import { GLOBAL_SCOPE } from '../../src/state/index.js';
import { deployingEachTest, type FakeInstance } from '../support/fakes.js';

describe('sleep-after', () => {
  test.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['30d', 30 * 86_400_000],
    ['off', 'off'],
  ])('%s is taken', (text, expected) => {
    expect(parseSleepAfter(text)).toBe(expected);
  });

  test.each(['', '0s', '030m', '1.5h', '30', 'm', '30 m', ' 30m', '30M', '31d', '-5m', '999999d', 'never', '1h30m'])(
    '%j is refused',
    (text) => {
      expect(() => parseSleepAfter(text)).toThrow(UserError);
      expect(() => parseSleepAfter(text)).toThrow(`Invalid sleep-after ${text}`);
    },
  );
});

describe('which apps sleep', () => {
  const facts: IdleFacts = {
    sleepAfterMs: 60_000,
    lastRequestAt: 1_000_000,
    awakeSince: 900_000,
    now: 1_060_000,
    webInstances: 1,
  };

  test('an app goes to sleep once its sleep-after has passed since its last request', () => {
    expect(isIdle(facts)).toBe(true);
    expect(isIdle({ ...facts, now: 1_059_999 })).toBe(false);
  });

  test('a start counts as a request: an app woken or deployed lately stays up its sleep-after', () => {
    expect(isIdle({ ...facts, awakeSince: 1_030_000 })).toBe(false);
    expect(isIdle({ ...facts, lastRequestAt: undefined, awakeSince: 1_000_000 })).toBe(true);
  });

  test('no sleep-after, or no web process to take the request that wakes it: never', () => {
    expect(isIdle({ ...facts, sleepAfterMs: undefined })).toBe(false);
    expect(isIdle({ ...facts, webInstances: 0 })).toBe(false);
  });
});

describe('the daemon puts apps to sleep and wakes them', () => {
  const T0 = Date.UTC(2026, 0, 1);
  const fixture = deployingEachTest({
    meta: { processes: { web: 'node web.js', worker: 'node worker.js', release: 'node migrate.js' } },
    now: T0,
  });
  let lastRequest: number | undefined;
  let traffic: Map<string, number> | undefined;
  const logged: string[] = [];

  const instance = (id: string, process: string): FakeInstance => ({
    id,
    name: `shop.${process}.1.${id}`,
    process,
    index: 1,
    release: 1,
    running: true,
    restarting: false,
    endpoint: process === 'web' ? { host: `10.0.0.${id.slice(1)}`, port: 5000 } : undefined,
    created: T0 / 1000 - 3600,
  });

  const sleeper = () =>
    new Sleeper(
      fixture.platform,
      (line) => logged.push(line),
      async () => traffic,
    );

  beforeEach(() => {
    fixture.platform.state.apps.setFormation('shop', { web: 1, worker: 1 });
    fixture.scheduler.running.push(instance('c101', 'web'), instance('c102', 'worker'));
    setSleepAfter(fixture.platform.state, 'shop', '1m');
    lastRequest = T0 - 1000;
    traffic = new Map([['shop', lastRequest]]);
    logged.length = 0;
  });

  test('an app idle for its sleep-after: its route is marked sleeping and every container goes, workers too', async () => {
    const watching = sleeper();
    vi.setSystemTime(T0 + 61_000);
    await watching.checkIdleApps();
    expect(isSleeping(fixture.platform.state, 'shop')).toBe(true);
    expect(fixture.scheduler.running).toEqual([]);
    expect(fixture.router.routes.get('shop')).toMatchObject({ sleeping: true, backends: [], parked: false });
    expect(logged).toEqual([expect.stringMatching(/^asleep after 6\d s without a request: 2 containers removed$/)]);
  });

  test('an app with a request within its sleep-after, or watched for less than it (the daemon just started), stays awake', async () => {
    const watching = sleeper();
    traffic = new Map([['shop', T0 + 30_000]]);
    vi.setSystemTime(T0 + 61_000);
    await watching.checkIdleApps();
    expect(isSleeping(fixture.platform.state, 'shop')).toBe(false);

    traffic = new Map();
    vi.setSystemTime(T0 + 30_000);
    await sleeper().checkIdleApps();
    expect(isSleeping(fixture.platform.state, 'shop')).toBe(false);
    expect(fixture.scheduler.running).toHaveLength(2);
  });

  test('nginx not answering, a stopped app, an app with sleep-after off: nothing sleeps', async () => {
    const watching = sleeper();
    vi.setSystemTime(T0 + 61_000);
    traffic = undefined;
    await watching.checkIdleApps();
    traffic = new Map();
    markStopped(fixture.platform.state, 'shop', true);
    await watching.checkIdleApps();
    markStopped(fixture.platform.state, 'shop', false);
    setSleepAfter(fixture.platform.state, GLOBAL_SCOPE, '1m');
    setSleepAfter(fixture.platform.state, 'shop', 'off');
    await watching.checkIdleApps();
    expect(isSleeping(fixture.platform.state, 'shop')).toBe(false);
    expect(fixture.scheduler.events).toEqual([]);
  });

  test('the global sleep-after applies to apps without their own', () => {
    setSleepAfter(fixture.platform.state, 'shop', undefined);
    expect(sleepAfterOf(fixture.platform.state, 'shop')).toEqual({ ms: undefined, shown: 'off' });
    setSleepAfter(fixture.platform.state, GLOBAL_SCOPE, '2h');
    expect(sleepAfterOf(fixture.platform.state, 'shop')).toEqual({ ms: 7_200_000, shown: '2h (global)' });
    expect(() => setSleepAfter(fixture.platform.state, GLOBAL_SCOPE, '2 h')).toThrow('Invalid sleep-after 2 h');
  });

  test('a wake starts the current release as a deploy does and routes it; the app is awake', async () => {
    const watching = sleeper();
    vi.setSystemTime(T0 + 61_000);
    await watching.checkIdleApps();
    fixture.scheduler.events.length = 0;
    await Promise.all([watching.wake('shop'), watching.wake('shop')]);
    // one wake for both; its release task ran when it was released, not now
    expect(fixture.scheduler.events).toEqual([
      expect.stringMatching(/^start web v1 /),
      expect.stringMatching(/^start worker v1 /),
      expect.stringMatching(/^route 10\.0\.0\./),
    ]);
    expect(isSleeping(fixture.platform.state, 'shop')).toBe(false);
    expect(fixture.router.routes.get('shop')).toMatchObject({ sleeping: false, backends: [{ port: 5000 }] });
    expect(logged.at(-1)).toMatch(/^woken by a request: v1 answers after \d+ ms$/);
    // awake again: its start counts as a request
    vi.setSystemTime(T0 + 100_000);
    await watching.checkIdleApps();
    expect(isSleeping(fixture.platform.state, 'shop')).toBe(false);
  });

  test('a request that asks for a wake while the app is being put to sleep keeps it awake on the same containers', async () => {
    const watching = sleeper();
    const route = fixture.router.route.bind(fixture.router);
    let asked: Promise<void> | undefined;
    fixture.router.route = async (given) => {
      // The route is marked sleeping while the web container drains: a request comes now.
      if (given.sleeping && given.backends.length > 0) asked = watching.wake('shop');
      return route(given);
    };
    vi.setSystemTime(T0 + 61_000);
    await watching.checkIdleApps();
    await asked;
    expect(isSleeping(fixture.platform.state, 'shop')).toBe(false);
    expect(fixture.scheduler.running.map((i) => i.id)).toEqual(['c101', 'c102']);
    expect(fixture.router.routes.get('shop')).toMatchObject({ sleeping: false, backends: [{ host: '10.0.0.101' }] });
    expect(fixture.scheduler.events.filter((e) => /^(start|retire)/.test(e))).toEqual([]);
    expect(logged).toEqual(['stays awake: a request came while it was being put to sleep']);
  });

  test('the reconciler leaves a sleeping app asleep, and retires what still runs of one', async () => {
    const watching = sleeper();
    vi.setSystemTime(T0 + 61_000);
    await watching.checkIdleApps();
    const reconciler = new Reconciler(fixture.platform, () => {});
    expect(await reconciler.app('shop')).toEqual([]);
    expect(fixture.queue.jobs).toEqual([]);
    // a container left behind (the daemon died while putting it to sleep)
    fixture.scheduler.running.push(instance('c103', 'web'));
    expect(await reconciler.app('shop')).toEqual(['retired web.1 (v1): the app is sleeping']);
    expect(fixture.router.routes.get('shop')).toMatchObject({ sleeping: true, backends: [] });
    expect(fixture.queue.jobs).toEqual([]);
  });

  test('ps:stop of a sleeping app stops it: parked, no longer sleeping', async () => {
    const watching = sleeper();
    vi.setSystemTime(T0 + 61_000);
    await watching.checkIdleApps();
    await stopApp(fixture.platform, 'shop');
    expect(isSleeping(fixture.platform.state, 'shop')).toBe(false);
    expect(fixture.router.routes.get('shop')).toMatchObject({ parked: true, sleeping: false });
  });
});

test('a sleeping app’s backends line says so, with what still drains, and reads back', () => {
  const backends = {
    awake: { peers: [{ host: '172.18.0.2', port: 5000 }], fallback: [] },
    dozing: { peers: [{ host: '172.18.0.3', port: 5000 }], fallback: [], sleeping: true },
    sleeping: { peers: [], fallback: [], sleeping: true },
  };
  const text = renderBackends(backends);
  expect(text).toBe('awake 172.18.0.2:5000\ndozing 172.18.0.3:5000 - sleeping\nsleeping - - sleeping\n');
  expect(parseBackends(text)).toEqual(backends);
});
