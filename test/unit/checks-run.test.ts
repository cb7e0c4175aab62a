import { afterEach, beforeEach, expect, test } from 'vitest';
import { checkRunning } from '../../src/deploy/checks-run.js';
import type { Platform } from '../../src/platform.js';
import type { Instance } from '../../src/runtime/scheduler.js';
import {
  FakeRouter,
  FakeScheduler,
  fakeLogs,
  imagesAllHere,
  succeededRelease,
  unitPlatform,
} from '../support/fakes.js';
import { webInstance } from '../support/instances.js';

// checks:run checks what serves the current release: not a container of the same slot that
// still drains after a restart deploy (it exits while it is checked, a false failure).

let dispose: () => void;
let scheduler: FakeScheduler;
let platform: Platform;

beforeEach(() => {
  scheduler = new FakeScheduler();
  ({ platform, dispose } = unitPlatform(
    { engine: imagesAllHere, schedulers: [scheduler], router: new FakeRouter(scheduler.events), logs: fakeLogs },
    { settings: { drainMs: 0, watchMs: 300 } },
  ));
  platform.state.apps.create('shop');
  succeededRelease(platform.state, 'shop');
});

afterEach(() => dispose());

const web1 = (id: string, created: number): Instance => ({ ...webInstance(id, 1), created });

test('checks:run checks the newest container of a slot, not the one still draining beside it', async () => {
  scheduler.running.push(web1('draining', 100), web1('serving', 200));
  const outcomes = await checkRunning(platform, 'shop', [], () => {});
  expect(scheduler.verified.map((i) => i.id)).toEqual(['serving']);
  expect(outcomes.map((o) => o.label)).toEqual(['web.1']);
});

test('checks:run <app> web.2 checks that one instance; a type or index that does not run is Dokku’s error', async () => {
  const web = (id: string, index: number) => ({ ...web1(id, 100 + index), index, name: `shop.web.${index}.${id}` });
  scheduler.running.push(web('a', 1), web('b', 2));
  platform.state.apps.setFormation('shop', { web: 2 });
  const outcomes = await checkRunning(platform, 'shop', ['web.2'], () => {});
  expect(outcomes.map((o) => o.label)).toEqual(['web.2']);
  expect(scheduler.verified.map((i) => i.id)).toEqual(['b']);
  await expect(checkRunning(platform, 'shop', ['web.3'], () => {})).rejects.toThrow(
    'Invalid container index specified (shop.web.3)',
  );
  await expect(checkRunning(platform, 'shop', ['web2'], () => {})).rejects.toThrow(
    'Invalid process type specified (shop.web2)',
  );
});
