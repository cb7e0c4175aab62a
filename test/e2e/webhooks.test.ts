import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { parseJson } from '../support/json.js';
import { freePort } from '../support/ports.js';
import { addUser } from '../support/pushes.js';
import { eventually, SlipwayUnderTest, type SshKey } from '../support/slipway.js';
import { Receiver, signedBy } from '../support/webhook-receiver.js';

// Retries come fast here (0.3 s, then doubling), so a receiver that was down gets its delivery within the test.
const slipway = new SlipwayUnderTest(inject('redisUrl'), { SLIPWAY_WEBHOOK_BACKOFF_MS: '300' });
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const app = 'hooked';
let tenant: SshKey;

/** Adds a webhook as `key` (the admin by default); its id and the secret shown once. */
async function addWebhook(args: string[], key?: SshKey): Promise<{ id: string; secret: string }> {
  const added = await slipway.ssh(['webhooks:add', ...args], { key });
  expect(added.code, added.output).toBe(0);
  const id = /Added webhook ([0-9a-f]{12}) /.exec(added.stdout)?.[1];
  const secret = added.stdout.trim().split('\n').at(-1)!;
  return { id: id!, secret };
}

interface DeliveryJson {
  event: string;
  attempt: number;
  status: number | null;
  ok: boolean;
  latency_ms: number;
  error: string | null;
}
const deliveries = (id: string) => slipway.sshJson<DeliveryJson[]>(['webhooks:deliveries', id, '--format', 'json']);

const receiver = new Receiver();
let receiverPort = 0;

beforeAll(async () => {
  await slipway.start();
  receiverPort = await receiver.listen();
  tenant = await addUser(slipway, 'tenant');
  for (const name of [app, 'mine']) expect((await slipway.ssh(['apps:create', name])).code).toBe(0);
  expect((await slipway.ssh(['acl:add', 'mine', 'tenant'])).code).toBe(0);
});
afterAll(async () => {
  receiver.close();
  await slipway.destroy();
});

describe('webhooks tell what happens to an app', () => {
  let hook: { id: string; secret: string };
  const hookPath = '/deploys';

  test('a failed push delivers a signed deploy.failed, after the first push delivered deploy.succeeded', async () => {
    hook = await addWebhook([app, `http://127.0.0.1:${receiverPort}${hookPath}`, '--events', 'deploy,crash']);
    expect(hook.secret).toMatch(/^[0-9a-f]{64}$/);
    const repo = await slipway.appRepo('dockerfile-app', app);
    const pushed = await slipway.push(repo);
    expect(pushed.code, pushed.output).toBe(0);
    const succeeded = await receiver.event(hookPath, 'deploy.succeeded');
    expect(succeeded.event).toMatchObject({ type: 'deploy.succeeded', app, kind: 'git', by: 'admin', release: 1 });

    fs.appendFileSync(path.join(repo, 'Dockerfile'), 'RUN exit 3\n');
    await slipway.commit(repo, 'broken');
    expect((await slipway.push(repo)).code).not.toBe(0);
    const failed = await receiver.event(hookPath, 'deploy.failed');
    expect(signedBy(hook.secret, failed)).toBe(true);
    expect(signedBy('another secret', failed)).toBe(false);
    expect(failed.headers['content-type']).toBe('application/json');
    expect(failed.event).toMatchObject({ type: 'deploy.failed', app, kind: 'git', by: 'admin' });
    expect(failed.event.error).toBe('App build failed');
    expect(failed.event.rev).toMatch(/^[0-9a-f]{40}$/);

    const attempts = await eventually(
      () => deliveries(hook.id),
      (list) => list.some((d) => d.event === 'deploy.failed'),
    );
    expect(attempts.find((d) => d.event === 'deploy.failed')).toMatchObject({ status: 200, ok: true, attempt: 1 });
    // The secret is shown once, at creation, and never listed.
    const listed = await slipway.ssh(['webhooks:list', app, '--format', 'json']);
    expect(listed.stdout).toContain(hook.id);
    expect(listed.stdout).not.toContain(hook.secret);
  });

  test('a container that goes away is app.crashed, and the reconciler bringing it back app.restarted', async () => {
    const [web] = await docker.listContainers({
      filters: { label: [`slipway.instance=${slipway.instance}`, `slipway.app=${app}`, 'slipway.process=web'] },
    });
    await docker.getContainer(web!.Id).remove({ force: true });
    const crashed = await receiver.event(hookPath, 'app.crashed');
    expect(crashed.event).toMatchObject({ app, process: 'web', container: web!.Id.slice(0, 12) });
    expect(signedBy(hook.secret, crashed)).toBe(true);
    const restarted = await receiver.event(hookPath, 'app.restarted');
    expect(restarted.event).toMatchObject({ app, release: 1, missing: ['web.1'] });
    await receiver.event(hookPath, 'app.recovered');
    expect((await slipway.get(slipway.appHost(app))).status).toBe(200);
  });

  test('a receiver that is down at first gets the event on a retry, across a daemon restart; config changes name keys, never values', async () => {
    const port = await freePort();
    const late = await addWebhook([
      '--global',
      `http://127.0.0.1:${port}/late`,
      '--events',
      'config',
      '--format',
      'json',
    ]);
    expect((await slipway.ssh(['config:set', '--no-restart', app, 'SECRET_TOKEN=hunter2'])).code).toBe(0);
    const failures = await eventually(
      () => deliveries(late.id),
      (list) => list.length > 0,
    );
    expect(failures.at(-1)).toMatchObject({ event: 'config.changed', ok: false, status: null, attempt: 1 });
    // The retries wait in Redis, not in the daemon.
    await slipway.stopDaemon();
    await slipway.startDaemon();
    const lateReceiver = new Receiver();
    await lateReceiver.listen(port);
    try {
      const changed = await lateReceiver.event('/late', 'config.changed');
      expect(changed.event).toMatchObject({ type: 'config.changed', app, keys: ['SECRET_TOKEN'], by: 'admin' });
      expect(changed.body).not.toContain('hunter2');
      expect(signedBy(late.secret, changed)).toBe(true);
      const attempts = await deliveries(late.id);
      expect(attempts[0]).toMatchObject({ ok: true, status: 200 });
      expect(attempts[0]!.attempt).toBeGreaterThan(1);
    } finally {
      lateReceiver.close();
    }
  });

  test('--format slack sends {"text"}', async () => {
    await addWebhook([app, `http://127.0.0.1:${receiverPort}/chat`, '--format', 'slack', '--events', 'scale']);
    expect((await slipway.ssh(['ps:scale', app, 'web=1'])).code).toBe(0);
    const scaled = await receiver.event('/chat', 'app.scaled');
    expect(scaled.event).toEqual({ text: `${app} scaled to web=1 by admin` });
  });
});

describe('tenants', () => {
  test("a tenant may not add a webhook to another's app, nor a global one, nor see or remove the admin's", async () => {
    const other = await slipway.ssh(['webhooks:add', app, 'https://93.184.215.14/hook'], { key: tenant });
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain(`Key tenant may not run webhooks:add on ${app}, or it does not exist`);
    const global = await slipway.ssh(['webhooks:add', '--global', 'https://93.184.215.14/hook'], { key: tenant });
    expect(global.code).not.toBe(0);
    expect(global.stderr).toContain('needs an admin key');
    const admins = parseJson<{ id: string }[]>((await slipway.ssh(['webhooks:list', app, '--format', 'json'])).stdout);
    for (const command of ['webhooks:remove', 'webhooks:deliveries']) {
      const refused = await slipway.ssh([command, admins[0]!.id], { key: tenant });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`No webhook ${admins[0]!.id} that key tenant may use`);
    }
    expect((await slipway.ssh(['webhooks:list', app], { key: tenant })).code).not.toBe(0);
  });

  test("a tenant's webhook URL must be a public https:// address: loopback, private and plain http are refused", async () => {
    const refusedUrls = [
      `https://127.0.0.1:${receiverPort}/x`,
      'https://10.1.2.3/x',
      'https://[::1]/x',
      'https://localhost/x',
      'https://169.254.169.254/latest',
    ];
    for (const url of refusedUrls) {
      const refused = await slipway.ssh(['webhooks:add', 'mine', url], { key: tenant });
      expect(refused.code, url).not.toBe(0);
      expect(refused.stderr).toContain('not a public https:// address this key may send to');
    }
    const plain = await slipway.ssh(['webhooks:add', 'mine', `http://127.0.0.1:${receiverPort}/x`], { key: tenant });
    expect(plain.stderr).toContain('http:// URLs are not accepted here (only https://)');
    const form = await slipway.ssh(['webhooks:add', 'mine', 'https://user@example.com/x'], { key: tenant });
    expect(form.stderr).toContain('Invalid webhook URL: give the URL as https://HOST[:PORT]/PATH');
    expect(receiver.received.filter((r) => r.path === '/x')).toEqual([]);

    // A public address is fine; the tenant lists and removes its own.
    const own = await addWebhook(
      ['mine', 'https://93.184.215.14/hook', '--secret', 'a-secret-of-my-own-choosing'],
      tenant,
    );
    const listed = await slipway.ssh(['webhooks:list', 'mine'], { key: tenant });
    expect(listed.stdout).toContain(own.id);
    expect(listed.stdout).not.toContain('a-secret-of-my-own-choosing');
    expect((await slipway.ssh(['webhooks:remove', own.id], { key: tenant })).code).toBe(0);
  });
});

test('destroying an app is no crash', async () => {
  const watcher = await addWebhook(['--global', `http://127.0.0.1:${receiverPort}/everything`]);
  expect((await slipway.ssh(['apps:destroy', app, '--force'])).code).toBe(0);
  // An event after the destroy: once it was delivered, any crash told before it was too.
  expect((await slipway.ssh(['config:set', 'mine', 'AFTER=1'])).code).toBe(0);
  await receiver.event('/everything', 'config.changed');
  const told = await eventually(
    () => deliveries(watcher.id),
    (list) => list.some((d) => d.event === 'config.changed' && d.ok),
  );
  expect(told.map((d) => d.event)).not.toContain('app.crashed');
  const events = receiver.received.filter((r) => r.path === '/everything').map((r) => r.headers['slipway-event']);
  expect(events).not.toContain('app.crashed');
});
