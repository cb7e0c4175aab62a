import Docker from 'dockerode';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { pushOrThrow } from '../support/pushes.js';
import { eventually, SlipwayUnderTest } from '../support/slipway.js';

const slipway = new SlipwayUnderTest(inject('redisUrl'));
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const app = 'moves';

beforeAll(async () => {
  await slipway.start();
  await pushOrThrow(slipway, await slipway.appRepo('dockerfile-app', app));
});
afterAll(() => slipway.destroy());

async function webContainer() {
  const [found] = await docker.listContainers({
    filters: { label: [`slipway.instance=${slipway.instance}`, `slipway.app=${app}`] },
  });
  const info = await docker.getContainer(found!.Id).inspect();
  return { id: found!.Id, ip: info.NetworkSettings.Networks[`${slipway.instance}.app.${app}`]?.IPAddress };
}

test('when a web container comes back at a new address, and its old one went to another container, nginx follows the app', async () => {
  const before = await webContainer();
  await docker.getContainer(before.id).stop({ t: 1 });
  // something else takes the freed address, as after an engine or host restart
  const squatter = await docker.createContainer({
    Image: 'slipway/stack:bookworm',
    Cmd: ['sleep', '120'],
    Labels: { 'slipway.instance': slipway.instance },
    HostConfig: { NetworkMode: `${slipway.instance}.app.${app}` },
  });
  await squatter.start();
  // Docker starts it again, unless the reconciler has replaced it already: either way the
  // app answers from a container at another address.
  await docker
    .getContainer(before.id)
    .start()
    .catch(() => undefined);
  const response = await eventually(
    () => slipway.get(slipway.appHost(app)),
    (r) => r.status === 200,
    10_000,
  );
  expect(response.body).toBe('hello from version 1 (v1 web.1)\n');
  const after = await eventually(webContainer, (c) => c.ip !== undefined && c.ip !== before.ip, 10_000);
  expect(after.ip).not.toBe(before.ip);
});

test('after a daemon restart the routes are restored from what runs', async () => {
  await slipway.stopDaemon();
  await slipway.startDaemon();
  await slipway.routesRestored();
  expect((await slipway.get(slipway.appHost(app))).status).toBe(200);
  const restarted = await slipway.ssh(['ps:restart', app]);
  expect(restarted.code, restarted.output).toBe(0);
  expect((await slipway.get(slipway.appHost(app))).status).toBe(200);
});

/** One HTTP request, to nginx's port or to a unix socket; status, headers and body. */
function request(
  options: http.RequestOptions,
  body = '',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = http.request({ agent: false, ...options }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

test('while an app has no running container its hosts answer 503 with Retry-After, and serve once it has one', async () => {
  // What nginx holds while every container of the app is coming back (after a crash or an
  // engine restart): no backends for it. Set here through nginx's control socket.
  const nginxDir = path.join(slipway.dir, 'data', 'nginx');
  const control = { socketPath: path.join(nginxDir, 'run', 'status.sock'), method: 'POST', path: '/backends' };
  const routed = fs.readFileSync(path.join(nginxDir, 'backends.txt'), 'utf8');
  // The shared host map's lines stay: the app's domains are still its own.
  const hostsOnly = routed
    .split('\n')
    .filter((line) => line.startsWith('host:'))
    .join('\n');
  expect((await request(control, hostsOnly)).body).toContain('ok');
  const page = () =>
    request({ host: '127.0.0.1', port: slipway.httpPort, path: '/', headers: { host: slipway.appHost(app) } });
  const unavailable = await page();
  expect([unavailable.status, unavailable.headers['retry-after']]).toEqual([503, '5']);
  expect((await request(control, routed)).body).toContain('ok');
  expect((await page()).status).toBe(200);
});

test('containers of an older Slipway, on the one network all apps once shared, move to their app’s network', async () => {
  const appNetwork = `${slipway.instance}.app.${app}`;
  await slipway.stopDaemon();
  const legacy = await docker.createNetwork({
    Name: slipway.instance,
    Labels: { 'slipway.instance': slipway.instance },
  });
  const { id } = await webContainer();
  await legacy.connect({ Container: id });
  await docker.getNetwork(appNetwork).disconnect({ Container: id, Force: true });
  await slipway.startDaemon();
  await slipway.routesRestored();
  expect((await slipway.get(slipway.appHost(app))).status).toBe(200);
  expect(Object.keys((await docker.getContainer(id).inspect()).NetworkSettings.Networks).sort()).toEqual(
    [appNetwork, slipway.instance].sort(),
  );
  // Its next containers are on the app's network alone; the old network goes once empty.
  expect((await slipway.ssh(['ps:restart', app])).code).toBe(0);
  await slipway.stopDaemon();
  await slipway.startDaemon();
  await slipway.routesRestored();
  expect((await docker.listNetworks({ filters: { name: [slipway.instance] } })).map((n) => n.Name)).not.toContain(
    slipway.instance,
  );
  expect((await slipway.get(slipway.appHost(app))).status).toBe(200);
});
