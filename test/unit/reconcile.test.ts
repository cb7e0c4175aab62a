import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, test } from 'vitest';
import { runDeployJob } from '../../src/deploy/index.js';
import { keepConverging, Reconciler } from '../../src/deploy/reconcile.js';
import type { DeployJob } from '../../src/queue/deploy-queue.js';
import { deployingEachTest, type FakeInstance } from '../support/fakes.js';

// The reconciler against a scheduler, router and queue that only record what they are asked:
// what it does when the engine restarts under the apps.

const fixture = deployingEachTest();
const logged: string[] = [];

beforeEach(() => {
  logged.length = 0;
});

/** web.1 of v1, running at 10.0.0.<n> (or down, as when its engine stopped it). */
function webInstance(id: string, running = true): FakeInstance {
  return {
    id,
    name: `shop.web.1.${id}`,
    process: 'web',
    index: 1,
    release: 1,
    running,
    restarting: false,
    endpoint: running ? { host: `10.0.0.${id.slice(1)}`, port: 5000 } : undefined,
  };
}

const until = async (done: () => boolean) => {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
};

describe('after the engine restarts', () => {
  test('a missing process is brought back at once, not held back by a restart asked for while the engine went down', async () => {
    const reconciler = new Reconciler(fixture.platform, (line) => logged.push(line));
    // The engine stops web.1 as it goes down: a restart is asked for.
    expect(await reconciler.app('shop')).toEqual([
      'missing web.1 of v1',
      expect.stringMatching(/^restart deploy \w+ queued$/),
    ]);
    expect(await reconciler.app('shop')).toEqual([
      'missing web.1 of v1',
      expect.stringMatching(/^restart held back until/),
    ]);
    reconciler.engineBack();
    expect(await reconciler.app('shop')).toEqual([
      'missing web.1 of v1',
      expect.stringMatching(/^restart deploy \w+ queued$/),
    ]);
    expect(fixture.queue.jobs).toHaveLength(2);
  });

  test('a restart asked for while the engine went down does nothing when the engine brought the process back itself', async () => {
    fixture.scheduler.running.push(webInstance('c7'));
    const job = {
      kind: 'restart',
      reason: 'reconcile',
      app: 'shop',
      deployId: randomUUID(),
      requestedBy: 'slipway',
    } as DeployJob;
    fixture.platform.state.deploys.create({
      id: job.deployId,
      app: 'shop',
      kind: 'restart',
      rev: null,
      requestedBy: 'slipway',
    });
    await (
      await runDeployJob(fixture.platform, job)
    )();
    expect(fixture.platform.state.deploys.get(job.deployId)!.status).toBe('succeeded');
    expect(fixture.scheduler.events).toEqual([]);
    expect(fixture.scheduler.running.map((i) => i.id)).toEqual(['c7']);
  });

  test('an instance the engine starts is routed when it starts, though no route remembered it', async () => {
    const controller = new AbortController();
    try {
      // The daemon starts while the engine has nothing of the app running (it is still starting them).
      await keepConverging(fixture.platform, (line) => logged.push(line), controller.signal);
      await until(() => fixture.queue.jobs.length === 1);
      fixture.scheduler.running.push(webInstance('c2'));
      fixture.scheduler.emit({ action: 'start', id: 'c2', app: 'shop' });
      await until(() => fixture.router.routes.get('shop')?.backends.length === 1);
      expect(fixture.router.routes.get('shop')!.backends).toEqual([{ host: '10.0.0.2', port: 5000 }]);
    } finally {
      controller.abort();
    }
  });
});
