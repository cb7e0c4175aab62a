import { afterEach, beforeEach, expect, test } from 'vitest';
import { isTried, markTrying } from '../../src/deploy/desired.js';
import { keepConverging } from '../../src/deploy/reconcile.js';
import { closeInterruptedWork } from '../../src/deploy/recovery.js';
import type { DomainEvent } from '../../src/events/domain.js';
import type { Platform } from '../../src/platform.js';
import type { DeployQueue } from '../../src/queue/deploy-queue.js';
import { appLockName } from '../../src/queue/locks.js';
import type { DockerEngine } from '../../src/runtime/docker/index.js';
import {
  FakeQueue,
  FakeRouter,
  FakeScheduler,
  fakeLogs,
  MemoryLocks,
  succeededRelease,
  unitPlatform,
} from '../support/fakes.js';
import { webInstance } from '../support/instances.js';

// A deploy marks the containers it tries as its own, so that their end is told as its
// failure and not as a crash. A daemon that dies mid-deploy leaves that mark behind: the next
// daemon lifts it at start-up, or a crash of those containers would go untold for an hour.

let dispose: () => void;
let scheduler: FakeScheduler;
let locks: Locks;
let platform: Platform;
let told: DomainEvent[];
let controller: AbortController;

/** Locks of this process only: whether one is held is whether it is in the set. */
class Locks extends MemoryLocks {
  override async isHeld(name: string) {
    return this.held.has(name);
  }
}

/** An engine with no build containers left over (all that start-up recovery asks of it here). */
const noBuildsLeft = { images: { exists: async () => true }, containers: { list: async () => [] } };

beforeEach(() => {
  scheduler = new FakeScheduler();
  locks = new Locks();
  ({ platform, dispose } = unitPlatform(
    {
      engine: noBuildsLeft as unknown as DockerEngine,
      schedulers: [scheduler],
      router: new FakeRouter(scheduler.events),
      logs: fakeLogs,
      locks,
      queue: new FakeQueue() as unknown as DeployQueue,
    },
    { settings: { drainMs: 0, watchMs: 0 } },
  ));
  platform.state.apps.create('shop');
  succeededRelease(platform.state, 'shop');
  // The container the deploy started and routed before its daemon died.
  scheduler.running.push(webInstance('n1', 1));
  markTrying(platform.state, 'shop', [], Date.now() + 3_600_000);
  controller = new AbortController();
  told = [];
  platform.events.subscribe((event) => told.push(event));
});

afterEach(() => {
  controller.abort();
  dispose();
});

const crashed = () => told.filter((e) => e.type === 'app.crashed');
const dies = (id: string) => scheduler.emit({ action: 'die', id, app: 'shop', process: 'web' });

test('after start-up, a crash of a container an interrupted deploy tried is told', async () => {
  await closeInterruptedWork(platform, () => {});
  await keepConverging(platform, () => {}, controller.signal);
  dies('n1');
  expect(crashed()).toEqual([expect.objectContaining({ app: 'shop', process: 'web', container: 'n1' })]);
});

test('the mark of a deploy a live process still runs stays', async () => {
  locks.held.add(appLockName('shop'));
  await closeInterruptedWork(platform, () => {});
  expect(isTried(platform.state, 'shop', 'n1')).toBe(true);
});
