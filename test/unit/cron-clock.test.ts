import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { destroyApp, type AppLifecycle } from '../../src/apps/index.js';
import { keepCronTime } from '../../src/cron/clock.js';
import { cronTasks, startCronRun } from '../../src/cron/index.js';
import { markStopped } from '../../src/deploy/desired.js';
import { setMaxOneOffs, startOneOff } from '../../src/one-offs/index.js';
import { Platform } from '../../src/platform.js';
import { oneOffsLockName } from '../../src/queue/locks.js';
import type { DockerEngine } from '../../src/runtime/docker/index.js';
import type { Instance, OneOffIo, OneOffSpec, Scheduler } from '../../src/runtime/scheduler.js';
import { MemoryLocks, unitPlatform } from '../support/fakes.js';

// The cron clock's decisions and the one-off cap, against a scheduler that keeps its
// containers in a list and locks held in memory, on an in-memory database.

/** Runs and one-offs as a list: detached ones run until stopped. */
class FakeScheduler implements Partial<Scheduler> {
  readonly name = 'docker-local';
  containers: Instance[] = [];
  private nextId = 1;

  async instances(_app: string, options: { oneOffs?: boolean } = {}) {
    return this.containers.filter((i) => options.oneOffs || !i.oneOff);
  }
  async runDetached(spec: OneOffSpec): Promise<Instance> {
    const id = `c${this.nextId++}`;
    const instance = {
      id,
      name: `swt.${spec.app}.${spec.env.DYNO}.${id}`,
      process: spec.process ?? 'run',
      index: 0,
      release: 0,
      running: true,
      restarting: false,
      endpoint: undefined,
      oneOff: true,
      created: this.nextId,
    };
    this.containers.push(instance);
    return instance;
  }
  async runOnce(spec: OneOffSpec, _io: OneOffIo, started?: () => void) {
    await this.runDetached(spec);
    started?.();
    return 0;
  }
  async retire(instances: Instance[]) {
    this.containers = this.containers.filter((c) => !instances.some((i) => i.id === c.id));
  }
  async discard(instances: Instance[]) {
    await this.retire(instances);
  }
  running(process = 'cron') {
    return this.containers.filter((c) => c.running && c.process === process);
  }
}

let dispose: () => void;
let scheduler: FakeScheduler;
let locks: MemoryLocks;
let platform: Platform;
let clock: AbortController;
const logged: string[] = [];

beforeEach(() => {
  scheduler = new FakeScheduler();
  locks = new MemoryLocks();
  clock = new AbortController();
  logged.length = 0;
  ({ platform, dispose } = unitPlatform({
    engine: {} as DockerEngine,
    schedulers: [scheduler as unknown as Scheduler],
    locks,
  }));
  platform.state.apps.create('shop');
});

afterEach(() => {
  clock.abort();
  vi.useRealTimers();
  dispose();
});

/** The current release of shop has these cron tasks (a long sleep every minute by default, allowed to overlap). */
function release(cron: object[] = [{ command: 'sleep 1000', schedule: '* * * * *', concurrency_policy: 'allow' }]) {
  const created = platform.state.releases.create({
    app: 'shop',
    kind: 'deploy',
    image: () => 'img:1',
    rev: null,
    config: {},
    meta: { cron },
    description: 'cron',
    createdBy: 'admin',
  });
  platform.state.releases.setStatus('shop', created.version, 'succeeded');
}

/** The clock running on fake time from 13:00:30. */
function startClock() {
  vi.useFakeTimers({ now: new Date('2026-12-04T13:00:30.000Z') });
  keepCronTime(platform, (line) => logged.push(line), clock.signal);
}

const minutes = (n: number) => vi.advanceTimersByTimeAsync(n * 60_000);

describe('the cron clock', () => {
  test('a task runs once at each minute of its schedule; runs of a task that may overlap pile up only to the cap', async () => {
    release();
    startClock();
    await vi.advanceTimersByTimeAsync(29_000);
    expect(scheduler.running()).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000); // 13:01:01
    expect(scheduler.running().length).toBe(1);
    await minutes(1);
    expect(scheduler.running().length).toBe(2);
    await minutes(5);
    // SLIPWAY_MAX_ONE_OFFS is 4 by default: the next runs are skipped, and say why.
    expect(scheduler.running().length).toBe(4);
    expect(
      logged.filter((l) => l.includes('not started: shop runs 4 one-off containers and may run at most 4 at once'))
        .length,
    ).toBe(3);
  });

  test('the cap is the app’s own when set, and counts every one-off of the app (run:detached too)', async () => {
    release();
    setMaxOneOffs(platform, 'shop', '2');
    await scheduler.runDetached({
      app: 'shop',
      image: 'img:1',
      cmd: ['sleep', '1000'],
      env: { DYNO: 'run.1' },
      binds: [],
    });
    startClock();
    await minutes(2);
    expect(scheduler.running().length).toBe(1);
    expect(logged.at(-1)).toMatch(/not started: shop runs 2 one-off containers and may run at most 2 at once/);
    expect(() => setMaxOneOffs(platform, 'shop', '101')).toThrow('Invalid max-one-offs: give a number from 0 to 100');
    expect(() => setMaxOneOffs(platform, 'shop', '-1')).toThrow('Invalid max-one-offs');
  });

  test('starts at the same moment never go past the cap together', async () => {
    release();
    const [task] = cronTasks(platform, 'shop');
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => startCronRun(platform, task!)));
    expect(outcomes.filter((o) => 'started' in o).length).toBe(4);
    expect(scheduler.running().length).toBe(4);
    const run = startOneOff(platform, 'shop', {
      start: (started) =>
        scheduler.runOnce(
          { app: 'shop', image: 'img:1', cmd: ['true'], env: { DYNO: 'run.1' }, binds: [] },
          { onLine() {} },
          started,
        ),
    });
    await expect(run).rejects.toThrow('shop runs 4 one-off containers and may run at most 4 at once');
  });

  test('a stopped app runs no cron, and says nothing about it every minute', async () => {
    release();
    markStopped(platform.state, 'shop', true);
    startClock();
    await minutes(3);
    expect(scheduler.running()).toEqual([]);
    expect(logged).toEqual([]);
    const [task] = cronTasks(platform, 'shop');
    expect(await startCronRun(platform, task!)).toEqual({ skipped: 'shop is stopped (ps:start starts it again)' });
    markStopped(platform.state, 'shop', false);
    await minutes(1);
    expect(scheduler.running().length).toBe(1);
  });

  test('no run starts while the app is being destroyed; a start that waited finds the app gone', async () => {
    release();
    const [task] = cronTasks(platform, 'shop');
    const destroying = await locks.acquire(oneOffsLockName('shop'), 0);
    const start = startCronRun(platform, task!);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(scheduler.containers).toEqual([]);
    platform.state.apps.delete('shop');
    await destroying.release();
    expect(await start).toEqual({ skipped: 'App shop does not exist' });
    expect(scheduler.containers).toEqual([]);
  });

  test('a seconds schedule kept with an earlier release is listed suspended and never runs', async () => {
    release([{ command: 'date', schedule: '* * * * * *' }]);
    expect(cronTasks(platform, 'shop').map((t) => t.suspended)).toEqual([true]);
    startClock();
    await minutes(2);
    expect(scheduler.containers).toEqual([]);
  });
});

describe('apps:destroy', () => {
  /** What ps's destroy hook does: every container of the app goes, then its network. */
  const removeContainers = (fail: () => boolean): AppLifecycle => ({
    async destroy() {
      await scheduler.discard(await scheduler.instances('shop', { oneOffs: true }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (fail()) throw new Error('network has active endpoints');
    },
  });

  test('no one-off starts while the app goes: one that asked meanwhile finds it gone', async () => {
    release();
    const [task] = cronTasks(platform, 'shop');
    await startCronRun(platform, task!);
    let asked: Promise<unknown> | undefined;
    const startDuringDestroy: AppLifecycle = {
      async destroy() {
        asked = startCronRun(platform, task!);
      },
    };
    await destroyApp(
      platform,
      platform.state.apps.get('shop')!,
      [startDuringDestroy, removeContainers(() => false)],
      () => {},
    );
    expect(await asked).toEqual({ skipped: 'App shop does not exist' });
    expect(scheduler.containers).toEqual([]);
    expect(platform.state.apps.get('shop')).toBeUndefined();
  });

  test('a step that fails leaves the app, says so, and destroying it again finishes', async () => {
    release();
    let failures = 1;
    const hooks = [removeContainers(() => failures-- > 0)];
    await expect(destroyApp(platform, platform.state.apps.get('shop')!, hooks, () => {})).rejects.toThrow(
      'shop was not destroyed entirely (network has active endpoints): it stays until apps:destroy removes the rest',
    );
    expect(platform.state.apps.get('shop')).toBeDefined();
    await destroyApp(platform, platform.state.apps.get('shop')!, hooks, () => {});
    expect(platform.state.apps.get('shop')).toBeUndefined();
  });
});
