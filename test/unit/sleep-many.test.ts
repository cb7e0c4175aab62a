import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { isSleeping } from '../../src/deploy/desired.js';
import { setSleepAfter, Sleeper, SLEEPS_AT_ONCE } from '../../src/deploy/sleep.js';
import type { Platform } from '../../src/platform.js';
import { deployingPlatform, succeededRelease, type FakeRouter, type FakeScheduler } from '../support/fakes.js';

const T0 = Date.UTC(2026, 0, 1);
const APPS = Array.from({ length: 20 }, (_, i) => `app${i + 1}`);
let dispose: () => void;
let platform: Platform;
let scheduler: FakeScheduler;
let router: FakeRouter;
/** Puts to sleep under way at once (between the route marked sleeping and the containers retired), and the most seen. */
let underWay = 0;
let most = 0;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  ({ platform, dispose, scheduler, router } = deployingPlatform({ processes: { web: 'node web.js' } }));
  for (const app of APPS) {
    platform.state.apps.create(app);
    succeededRelease(platform.state, app, { processes: { web: 'node web.js' } });
    platform.state.apps.setFormation(app, { web: 1 });
    setSleepAfter(platform.state, app, '1m');
    scheduler.running.push({
      id: `c${app}`,
      name: `${app}.web.1.c${app}`,
      process: 'web',
      index: 1,
      release: 1,
      running: true,
      restarting: false,
      endpoint: { host: '10.0.0.1', port: 5000 },
      created: T0 / 1000 - 3600,
    });
  }
  // Each app's own containers; its drain is the moment its retire waits.
  scheduler.instances = (app: string) => Promise.resolve(scheduler.running.filter((i) => i.name.startsWith(`${app}.`)));
  const retire = scheduler.retire.bind(scheduler);
  scheduler.retire = async (instances) => {
    most = Math.max(most, ++underWay);
    await new Promise((resolve) => setTimeout(resolve, 20));
    underWay--;
    return retire(instances);
  };
  underWay = most = 0;
});

afterEach(() => {
  vi.useRealTimers();
  dispose();
});

test('apps going idle together are put to sleep several at a time, never more than the bound', async () => {
  const logged: string[] = [];
  const sleeper = new Sleeper(
    platform,
    (line) => logged.push(line),
    () => Promise.resolve(new Map(APPS.map((app) => [app, T0 - 1000]))),
  );
  vi.setSystemTime(T0 + 61_000);
  await sleeper.checkIdleApps();
  expect(APPS.filter((app) => isSleeping(platform.state, app))).toEqual(APPS);
  expect(scheduler.running).toEqual([]);
  expect(APPS.every((app) => router.routes.get(app)?.sleeping)).toBe(true);
  expect(logged).toHaveLength(APPS.length);
  expect(most).toBeGreaterThan(1);
  expect(most).toBeLessThanOrEqual(SLEEPS_AT_ONCE);
});
