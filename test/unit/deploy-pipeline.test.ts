import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runDeployJob } from '../../src/deploy/index.js';
import { Platform } from '../../src/platform.js';
import type { DeployJob } from '../../src/queue/deploy-queue.js';
import type { Instance } from '../../src/runtime/scheduler.js';
import { FakeRouter, FakeScheduler, fakeLogs, imagesAllHere, unitPlatform } from '../support/fakes.js';

// The deploy pipeline against a scheduler and a router that only record what they are
// asked, on an in-memory database: what a deploy starts, routes, retires and records.

let dispose: () => void;
let scheduler: FakeScheduler;
let router: FakeRouter;
let platform: Platform;

beforeEach(() => {
  scheduler = new FakeScheduler();
  router = new FakeRouter(scheduler.events);
  ({ platform, dispose } = unitPlatform(
    { engine: imagesAllHere, schedulers: [scheduler], router, logs: fakeLogs },
    { settings: { drainMs: 0, watchMs: 300 } },
  ));
  platform.state.apps.create('shop');
});

afterEach(() => dispose());

/** Runs a deploy job as the worker does, the old release's retirement included. */
type JobRequest = DeployJob extends infer J
  ? J extends DeployJob
    ? Omit<J, 'deployId' | 'requestedBy' | 'app'>
    : never
  : never;

async function deploy(job: JobRequest): Promise<boolean> {
  const full = { ...job, app: 'shop', deployId: randomUUID(), requestedBy: 'admin' } as DeployJob;
  platform.state.deploys.create({ id: full.deployId, app: 'shop', kind: full.kind, rev: null, requestedBy: 'admin' });
  await (
    await runDeployJob(platform, full)
  )();
  return platform.state.deploys.list('shop')[0]!.status === 'succeeded';
}

/** v1: the image `img:1` with config A=1, deployed. */
async function firstRelease(meta: object = {}) {
  platform.state.config.set('shop', { A: '1' });
  const release = platform.state.releases.create({
    app: 'shop',
    kind: 'deploy',
    image: () => 'img:1',
    rev: null,
    config: { A: '1' },
    meta,
    description: 'first',
    createdBy: 'admin',
  });
  platform.state.releases.setStatus('shop', release.version, 'succeeded');
  expect(await deploy({ kind: 'restart', reason: 'restart' })).toBe(true);
  scheduler.events.length = 0;
}

const ids = (instances: Instance[]) => instances.map((i) => i.id);

describe('the deploy pipeline', () => {
  test('a release whose checks fail is discarded; the old containers keep serving and the old release stays current', async () => {
    await firstRelease();
    const before = ids(await scheduler.instances('shop'));
    scheduler.failing.add('web');
    platform.state.config.set('shop', { A: '2' });
    expect(await deploy({ kind: 'config', description: 'Set A' })).toBe(false);
    expect(ids(await scheduler.instances('shop'))).toEqual(before);
    expect(scheduler.events).toEqual(['discard c2']);
    expect(router.routes.get('shop')!.backends).toEqual([{ host: '10.0.0.1', port: 5000 }]);
    expect(platform.state.releases.current('shop')!.version).toBe(1);
    expect(platform.state.releases.get('shop', 2)!.status).toBe('failed');
  });

  test('the old containers retire only after traffic moved to the new ones', async () => {
    await firstRelease();
    expect(await deploy({ kind: 'config', description: 'again' })).toBe(true);
    // The old container takes the retry of any failed request until the watch ends, then retires.
    expect(scheduler.events).toEqual([
      'start web v2 c2',
      'route 10.0.0.2 (fallback 10.0.0.1)',
      'route 10.0.0.2',
      'retire c1',
    ]);
    expect(platform.state.releases.current('shop')!.version).toBe(2);
  });

  test('scaling up and down starts the new count and retires every old container', async () => {
    await firstRelease({ processes: { web: 'serve', worker: 'work' } });
    platform.state.apps.setFormation('shop', { web: 3, worker: 1 });
    expect(await deploy({ kind: 'restart', reason: 'scale' })).toBe(true);
    expect(scheduler.events).toEqual([
      'start web v1 c2,c3,c4',
      'start worker v1 c5',
      'route 10.0.0.2,10.0.0.3,10.0.0.4 (fallback 10.0.0.1)',
      'route 10.0.0.2,10.0.0.3,10.0.0.4',
      'retire c1',
    ]);
    expect((await scheduler.instances('shop')).map((i) => `${i.process}.${i.index}`)).toEqual([
      'web.1',
      'web.2',
      'web.3',
      'worker.1',
    ]);

    scheduler.events.length = 0;
    platform.state.apps.setFormation('shop', { web: 1, worker: 0 });
    expect(await deploy({ kind: 'restart', reason: 'scale' })).toBe(true);
    expect(scheduler.events).toEqual([
      'start web v1 c6',
      'route 10.0.0.6 (fallback 10.0.0.2,10.0.0.3,10.0.0.4)',
      'route 10.0.0.6',
      'retire c2,c3,c4,c5',
    ]);
  });

  test('a rollback deploys the target release’s image and config as a new release, and the app’s config follows', async () => {
    await firstRelease();
    platform.state.config.set('shop', { A: '2', B: 'new' });
    const v2 = platform.state.releases.create({
      app: 'shop',
      kind: 'deploy',
      image: () => 'img:2',
      rev: null,
      config: { A: '2', B: 'new' },
      meta: {},
      description: 'second',
      createdBy: 'admin',
    });
    platform.state.releases.setStatus('shop', v2.version, 'succeeded');

    expect(await deploy({ kind: 'rollback', version: 1 })).toBe(true);
    const current = platform.state.releases.current('shop')!;
    expect(current).toMatchObject({
      version: 3,
      kind: 'rollback',
      image: 'img:1',
      config: { A: '1' },
      description: 'Rollback to v1',
    });
    expect(platform.state.config.get('shop')).toEqual({ A: '1' });
  });

  test('a one-off run in progress is never retired by a deploy', async () => {
    await firstRelease();
    const oneOff = await scheduler.runDetached();
    expect(await deploy({ kind: 'restart', reason: 'restart' })).toBe(true);
    expect(ids(await scheduler.instances('shop', { oneOffs: true }))).toContain(oneOff.id);
    expect(scheduler.events).toEqual([
      'start web v1 c3',
      'route 10.0.0.3 (fallback 10.0.0.1)',
      'route 10.0.0.3',
      'retire c1',
    ]);
  });

  test('a release task runs before the new containers start, and a failing check of a worker fails the whole release', async () => {
    await firstRelease({ processes: { web: 'serve', worker: 'work', release: 'migrate' } });
    platform.state.apps.setFormation('shop', { web: 1, worker: 1 });
    scheduler.failing.add('worker');
    expect(await deploy({ kind: 'config', description: 'x' })).toBe(false);
    // The web container that passed is discarded with the worker: nothing of the new release is left.
    expect(scheduler.events).toEqual(['task release.1', 'start web v2 c2', 'discard c3', 'discard c2']);
    expect(ids(await scheduler.instances('shop'))).toEqual(['c1']);
  });

  test('a new container that goes down just after the swap sends traffic back to the old ones, and the release fails', async () => {
    await firstRelease();
    scheduler.crashing.add('web');
    expect(await deploy({ kind: 'config', description: 'crashes after its checks' })).toBe(false);
    expect(scheduler.events).toEqual([
      'start web v2 c2',
      'route 10.0.0.2 (fallback 10.0.0.1)',
      'route 10.0.0.1',
      'discard c2',
    ]);
    expect(router.routes.get('shop')!.backends).toEqual([{ host: '10.0.0.1', port: 5000 }]);
    expect(platform.state.releases.current('shop')!.version).toBe(1);
  });
});

describe('an image that becomes a new release (git:from-image, as a build)', () => {
  /** An engine where every image is here; `tagFails` makes tagging a release (v<N>) fail. */
  function recordingEngine(tagFails = false) {
    const calls: string[] = [];
    const images = {
      exists: () => Promise.resolve(true),
      hasCommand: () => Promise.resolve(true),
      exposedPorts: () => Promise.resolve([]),
      tag: (image: string, _repository: string, tag: string) => {
        if (tagFails && /^v\d+$/.test(tag)) return Promise.reject(new Error('no space left on device'));
        calls.push(`tag ${image} ${tag}`);
        return Promise.resolve();
      },
      remove: (image: string) => {
        calls.push(`remove ${image}`);
        return Promise.resolve();
      },
    };
    return { calls, engine: { images } as unknown as Platform['engine'] };
  }

  function platformWith(engine: Platform['engine']) {
    dispose();
    ({ platform, dispose } = unitPlatform(
      { engine, schedulers: [scheduler], router, logs: fakeLogs },
      { settings: { drainMs: 0, watchMs: 300 } },
    ));
    platform.state.apps.create('shop');
  }

  test('is tagged as its version and goes live', async () => {
    const { engine, calls } = recordingEngine();
    platformWith(engine);
    expect(await deploy({ kind: 'image', image: 'ready:1' })).toBe(true);
    expect(calls.filter((c) => c.startsWith('tag')).map((c) => c.split(' ')[2])).toEqual([expect.any(String), 'v1']);
    expect(platform.state.releases.current('shop')).toMatchObject({
      version: 1,
      status: 'succeeded',
      description: 'Deploy image ready:1',
    });
    expect(platform.state.deploys.find('shop', { release: 1 })!.log).toContain('Releasing shop (v1)...');
  });

  test('a release whose image cannot be tagged is marked failed, not left pending', async () => {
    platformWith(recordingEngine(true).engine);
    expect(await deploy({ kind: 'image', image: 'ready:1' })).toBe(false);
    expect(platform.state.releases.get('shop', 1)!.status).toBe('failed');
    expect(scheduler.events).toEqual([]);
  });

  test('a release that fails its checks is marked failed and its image removed', async () => {
    const { engine, calls } = recordingEngine();
    platformWith(engine);
    scheduler.failing.add('web');
    expect(await deploy({ kind: 'image', image: 'ready:1' })).toBe(false);
    expect(platform.state.releases.get('shop', 1)!.status).toBe('failed');
    expect(calls.at(-1)).toBe(`remove ${platform.state.releases.get('shop', 1)!.image}`);
  });
});
