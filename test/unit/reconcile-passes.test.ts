import { expect, test } from 'vitest';
import { keepConverging } from '../../src/deploy/reconcile.js';
import { deployingEachTest } from '../support/fakes.js';

const fixture = deployingEachTest();

test('a reconcile pass that takes longer than SLIPWAY_RECONCILE_SECONDS is not joined by another', async () => {
  const { platform, scheduler } = fixture;
  Object.assign(platform.settings, { reconcileMs: 10 });
  // Each look at the app's containers takes 50 ms, as a thousand apps' looks make a pass slow.
  let looking = 0;
  let most = 0;
  let counting = false;
  const instances = scheduler.instances.bind(scheduler);
  scheduler.instances = async (app, options) => {
    if (counting) most = Math.max(most, ++looking);
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (counting) looking--;
    return instances(app, options);
  };
  const controller = new AbortController();
  try {
    await keepConverging(platform, () => {}, controller.signal); // its routes given at start
    counting = true;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(most).toBe(1);
  } finally {
    controller.abort();
  }
});
