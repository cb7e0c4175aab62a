import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { freePort } from '../support/ports.js';
import { pushOrThrow } from '../support/pushes.js';
import { run, SlipwayUnderTest } from '../support/slipway.js';
import { Receiver, signedBy } from '../support/webhook-receiver.js';

// What the README's "Knowing what happens" promises beyond webhooks.test.ts: a worker (a
// process that takes no traffic) is watched as a web process is, and webhooks:test pings.
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const app = 'busy';
const receiver = new Receiver();
let receiverPort = 0;

/** Adds a webhook as the admin; its id and the secret shown once. */
async function addWebhook(args: string[]): Promise<{ id: string; secret: string }> {
  const added = await slipway.ssh(['webhooks:add', ...args]);
  expect(added.code, added.output).toBe(0);
  return {
    id: /Added webhook ([0-9a-f]{12}) /.exec(added.stdout)![1]!,
    secret: added.stdout.trim().split('\n').at(-1)!,
  };
}

const processContainers = (process: string) =>
  docker.listContainers({
    filters: { label: [`slipway.instance=${slipway.instance}`, `slipway.app=${app}`, `slipway.process=${process}`] },
  });

beforeAll(async () => {
  await slipway.start();
  receiverPort = await receiver.listen();
  // The Dockerfile app with a worker beside its web process, one of each.
  const repo = await slipway.appRepo('dockerfile-app', app);
  fs.writeFileSync(
    path.join(repo, 'Procfile'),
    'web: node /app/server.js\nworker: node -e "setInterval(() => {}, 1000)"\n',
  );
  const manifest = path.join(repo, 'app.json');
  const json = JSON.parse(fs.readFileSync(manifest, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(manifest, JSON.stringify({ ...json, formation: { web: { quantity: 1 }, worker: { quantity: 1 } } }));
  expect((await run('git', ['add', 'Procfile'], { cwd: repo })).code).toBe(0);
  await slipway.commit(repo, 'a worker');
  await pushOrThrow(slipway, repo);
});
afterAll(async () => {
  receiver.close();
  await slipway.destroy();
});

describe('a worker process', () => {
  test('killed, it is app.crashed; the reconciler bringing it back is app.restarted, then app.recovered, all signed', async () => {
    const hook = await addWebhook([app, `http://127.0.0.1:${receiverPort}/crashes`, '--events', 'crash']);
    const [worker] = await processContainers('worker');
    expect(worker, 'the worker runs').toBeDefined();
    await docker.getContainer(worker!.Id).kill();

    const crashed = await receiver.event('/crashes', 'app.crashed');
    expect(crashed.event).toMatchObject({ app, process: 'worker', container: worker!.Id.slice(0, 12) });
    expect(signedBy(hook.secret, crashed)).toBe(true);
    const restarted = await receiver.event('/crashes', 'app.restarted');
    expect(restarted.event).toMatchObject({ app, release: 1, missing: ['worker.1'] });
    expect(signedBy(hook.secret, restarted)).toBe(true);
    const recovered = await receiver.event('/crashes', 'app.recovered');
    expect(recovered.event).toMatchObject({ app, release: 1 });
    expect(signedBy(hook.secret, recovered)).toBe(true);

    const [back] = await processContainers('worker');
    expect(back!.State).toBe('running');
    expect(back!.Id).not.toBe(worker!.Id);
  });
});

describe('webhooks:test', () => {
  test('POSTs a signed webhook.test to the webhook at once, whatever events it asked for, and lists it in its deliveries', async () => {
    const hook = await addWebhook(['--global', `http://127.0.0.1:${receiverPort}/ping`, '--events', 'backup.failed']);
    const tested = await slipway.ssh(['webhooks:test', hook.id]);
    expect(tested.code, tested.output).toBe(0);
    expect(tested.stdout).toMatch(/^-----> Delivered webhook\.test: HTTP 200 in \d+ ms$/m);
    // Answered before the command returned: no waiting.
    const [ping] = receiver.received.filter((r) => r.path === '/ping');
    expect(ping?.headers['slipway-event']).toBe('webhook.test');
    expect(signedBy(hook.secret, ping!)).toBe(true);
    expect(JSON.parse(ping!.body)).toMatchObject({ type: 'webhook.test', webhook: hook.id, by: 'admin' });
    const deliveries = await slipway.sshJson<{ event: string; status: number; ok: boolean }[]>([
      'webhooks:deliveries',
      hook.id,
      '--format',
      'json',
    ]);
    expect(deliveries).toEqual([expect.objectContaining({ event: 'webhook.test', status: 200, ok: true })]);
  });

  test('a receiver that does not answer: a clear error and a non-zero exit; an unknown id is refused', async () => {
    const closed = await freePort();
    const hook = await addWebhook(['--global', `http://127.0.0.1:${closed}/nobody`]);
    const tested = await slipway.ssh(['webhooks:test', hook.id]);
    expect(tested.code).not.toBe(0);
    expect(tested.stderr).toMatch(/ ! {5}The test delivery failed after \d+ ms: .*ECONNREFUSED/);
    const unknown = await slipway.ssh(['webhooks:test', '0123456789ab']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('No webhook 0123456789ab that key admin may use');
  });
});
