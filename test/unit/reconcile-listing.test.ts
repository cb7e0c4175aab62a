import { expect, test } from 'vitest';
import { markSleeping } from '../../src/deploy/desired.js';
import { Reconciler } from '../../src/deploy/reconcile.js';
import { routeTo } from '../../src/deploy/routes.js';
import { deployingEachTest, succeededRelease, type FakeInstance } from '../support/fakes.js';

// A reconcile pass over a thousand apps asked the engine what runs once per app, every
// SLIPWAY_RECONCILE_SECONDS. It lists once per scheduler now; an app the listing shows out of
// order is listed again, under its lock, before anything is done to it.

const APPS = 30;
const fixture = deployingEachTest();

/** web.1 of v1 of the app, running. */
function web(app: string, n: number): FakeInstance {
  const id = `c${100 + n}`;
  return {
    id,
    name: `${app}.web.1.${id}`,
    process: 'web',
    index: 1,
    release: 1,
    running: true,
    restarting: false,
    endpoint: { host: `10.0.1.${n}`, port: 5000 },
  };
}

/**
 * `shop` and APPS more, each deployed and routed to its web.1, a third of them asleep (nothing
 * runs); the fake scheduler lists each app's own instances (by name), as the engine does.
 */
async function manyApps(): Promise<string[]> {
  const { platform, scheduler } = fixture;
  const ofApp = (app: string) => scheduler.running.filter((i) => i.name.startsWith(`${app}.`));
  const instances = scheduler.instances.bind(scheduler);
  scheduler.instances = async (app, options) => (await instances(app, options)).filter((i) => ofApp(app).includes(i));
  const instancesOfApps = scheduler.instancesOfApps.bind(scheduler);
  scheduler.instancesOfApps = async (apps) =>
    new Map(
      [...(await instancesOfApps(apps))].map(([app, found]) => [app, found.filter((i) => ofApp(app).includes(i))]),
    );
  const apps = ['shop'];
  for (let n = 1; n <= APPS; n++) {
    const app = `app${n}`;
    platform.state.apps.create(app);
    succeededRelease(platform.state, app);
    apps.push(app);
  }
  for (const [n, app] of apps.entries()) {
    if (n % 3 === 2) markSleeping(platform.state, app, true);
    else {
      scheduler.running.push(web(app, n));
      await routeTo(platform, app, [web(app, n)]);
    }
  }
  scheduler.listings = 0;
  return apps;
}

test('a pass over many apps in order lists what runs once, and finds nothing to do', async () => {
  const { platform, scheduler, queue } = fixture;
  await manyApps();
  const logged: string[] = [];
  const events = scheduler.events.length;
  await new Reconciler(platform, (line) => logged.push(line)).all();
  expect(scheduler.listings).toBe(1);
  expect(logged).toEqual([]);
  expect(scheduler.events.slice(events)).toEqual([]);
  expect(queue.jobs).toEqual([]);
});

test('an app out of order in a pass is still put right: a process missing, a sleeping app still running', async () => {
  const { platform, scheduler, queue } = fixture;
  await manyApps();
  scheduler.running = scheduler.running.filter((i) => !i.name.startsWith('app4.')); // its web.1 went
  scheduler.running.push(web('app5', 5)); // asleep, yet running
  const logged: string[] = [];
  await new Reconciler(platform, (line, fields) => logged.push(`${fields?.app}: ${line}`)).all();
  expect(logged).toEqual([
    'app4: missing web.1 of v1',
    expect.stringMatching(/^app4: restart deploy \w+ queued$/),
    'app5: retired web.1 (v1): the app is sleeping',
  ]);
  expect(queue.jobs).toEqual([expect.objectContaining({ kind: 'restart', app: 'app4' })]);
  expect(scheduler.running.some((i) => i.name.startsWith('app5.'))).toBe(false);
  expect(scheduler.listings).toBe(3); // the pass's, and each app's own under its lock
});

test('an app the listing shows out of order, put right since, is listed again and left alone', async () => {
  const { platform, scheduler, queue } = fixture;
  await manyApps();
  const gone = scheduler.running.find((i) => i.name.startsWith('app4.'))!;
  scheduler.running = scheduler.running.filter((i) => i !== gone);
  // A deploy brings app4's web.1 back right after the pass's listing was taken.
  const instancesOfApps = scheduler.instancesOfApps.bind(scheduler);
  scheduler.instancesOfApps = async (apps) => {
    const listed = await instancesOfApps(apps);
    scheduler.running.push(gone);
    return listed;
  };
  const logged: string[] = [];
  await new Reconciler(platform, (line) => logged.push(line)).all();
  expect(logged).toEqual([]);
  expect(queue.jobs).toEqual([]);
});
