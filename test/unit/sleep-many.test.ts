import { beforeEach, expect, test, vi } from 'vitest';
import { isSleeping } from '../../src/deploy/desired.js';
import { setSleepAfter, Sleeper, SLEEPS_AT_ONCE } from '../../src/deploy/sleep.js';
import { deployingEachTest, succeededRelease } from '../support/fakes.js';
import { webInstance } from '../support/instances.js';

const T0 = Date.UTC(2026, 0, 1);
const APPS = Array.from({ length: 20 }, (_, i) => `app${i + 1}`);
const fixture = deployingEachTest({ meta: { processes: { web: 'node web.js' } }, now: T0 });
/** Puts to sleep under way at once (between the route marked sleeping and the containers retired), and the most seen. */
let underWay = 0;
let most = 0;

beforeEach(() => {
  for (const app of APPS) {
    fixture.platform.state.apps.create(app);
    succeededRelease(fixture.platform.state, app, { processes: { web: 'node web.js' } });
    fixture.platform.state.apps.setFormation(app, { web: 1 });
    setSleepAfter(fixture.platform.state, app, '1m');
    fixture.scheduler.running.push({ ...webInstance(`c${app}`, 1, app), created: T0 / 1000 - 3600 });
  }
  // Each app's own containers; its drain is the moment its retire waits.
  fixture.scheduler.instances = (app: string) =>
    Promise.resolve(fixture.scheduler.running.filter((i) => i.name.startsWith(`${app}.`)));
  const retire = fixture.scheduler.retire.bind(fixture.scheduler);
  fixture.scheduler.retire = async (instances) => {
    most = Math.max(most, ++underWay);
    await new Promise((resolve) => setTimeout(resolve, 20));
    underWay--;
    return retire(instances);
  };
  underWay = most = 0;
});

test('apps going idle together are put to sleep several at a time, never more than the bound', async () => {
  const logged: string[] = [];
  const sleeper = new Sleeper(
    fixture.platform,
    (line) => logged.push(line),
    () => Promise.resolve(new Map(APPS.map((app) => [app, T0 - 1000]))),
  );
  vi.setSystemTime(T0 + 61_000);
  await sleeper.checkIdleApps();
  expect(APPS.filter((app) => isSleeping(fixture.platform.state, app))).toEqual(APPS);
  expect(fixture.scheduler.running).toEqual([]);
  expect(APPS.every((app) => fixture.router.routes.get(app)?.sleeping)).toBe(true);
  expect(logged).toHaveLength(APPS.length);
  expect(most).toBeGreaterThan(1);
  expect(most).toBeLessThanOrEqual(SLEEPS_AT_ONCE);
});
