import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { DomainEvent } from '../../src/events/domain.js';
import { runDeployJob } from '../../src/deploy/index.js';
import { markRetiring, retiringNow } from '../../src/deploy/desired.js';
import { keepConverging } from '../../src/deploy/reconcile.js';
import type { DeployJob } from '../../src/queue/deploy-queue.js';
import { deployingEachTest, type FakeInstance } from '../support/fakes.js';
import { webInstance } from '../support/instances.js';

// Containers Slipway stops by design (surplus the reconciler retires, the new containers of a
// failed deploy) end with a `die` like a crash: only a real crash is told as app.crashed
// (and so goes to the user's webhooks).

const fixture = deployingEachTest();
let told: DomainEvent[];
let controller: AbortController;

beforeEach(() => {
  controller = new AbortController();
  told = [];
  fixture.platform.events.subscribe((event) => told.push(event));
});

afterEach(() => controller.abort());

const web = (id: string, index: number): FakeInstance => webInstance(id, index);

const until = async (done: () => boolean) => {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
};

const crashed = () => told.filter((e) => e.type === 'app.crashed');

/** What the engine reports when the container stops, for whatever reason. */
const dies = (id: string) => fixture.scheduler.emit({ action: 'die', id, app: 'shop', process: 'web' });

describe('a container stopped by design is no crash', () => {
  test('surplus the reconciler retires after a scale-down', async () => {
    fixture.scheduler.running.push(web('a1', 1), web('a2', 2)); // the formation says web=1
    await keepConverging(fixture.platform, () => {}, controller.signal);
    await until(() => fixture.scheduler.events.includes('retire a2'));
    dies('a2');
    expect(crashed()).toEqual([]);
    // A container that was not retired and stops did crash.
    dies('a1');
    expect(crashed()).toEqual([expect.objectContaining({ type: 'app.crashed' })]);
  });

  test('the new container a failed deploy throws away', async () => {
    fixture.scheduler.running.push(web('a1', 1));
    fixture.scheduler.failing.add('web');
    const job = { kind: 'restart', reason: 'restart', app: 'shop', deployId: randomUUID(), requestedBy: 'admin' };
    fixture.platform.state.deploys.create({
      id: job.deployId,
      app: 'shop',
      kind: 'restart',
      rev: null,
      requestedBy: 'admin',
    });
    await (
      await runDeployJob(fixture.platform, job as DeployJob)
    )();
    expect(fixture.platform.state.deploys.get(job.deployId)!.status).toBe('failed');
    const discarded = fixture.scheduler.events.find((e) => e.startsWith('discard '))!.split(' ')[1]!;
    await keepConverging(fixture.platform, () => {}, controller.signal);
    dies(discarded);
    expect(crashed()).toEqual([]);
    expect(told.map((e) => e.type)).toContain('deploy.failed');
    dies('a1');
    expect(crashed()).toHaveLength(1);
  });
});

test('the reconciler retiring a stray leaves a draining release marked as retiring', () => {
  const later = Date.now() + 60_000;
  markRetiring(fixture.platform.state, 'shop', ['old1'], later);
  markRetiring(fixture.platform.state, 'shop', ['stray'], Date.now() + 1_000);
  expect([...retiringNow(fixture.platform.state, 'shop')].sort()).toEqual(['old1', 'stray']);
  expect([...retiringNow(fixture.platform.state, 'shop', later - 1)].sort()).toEqual(['old1', 'stray']);
});
