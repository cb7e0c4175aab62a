import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { parseJson, type Report } from '../support/json.js';
import { addUser, pushOrThrow, sshEachOrThrow } from '../support/pushes.js';
import { eventually, makeKey, run, SlipwayUnderTest, type SshKey } from '../support/slipway.js';

// A host shared with a hostile tenant: a non-admin key granted one app, `mine`, that brings
// its own Dockerfile. Each attack goes through the real interfaces (git push, SSH, HTTP
// through nginx) and must not reach the admin's apps, services or limits.

const slipway = new SlipwayUnderTest(inject('redisUrl'), {
  SLIPWAY_SSH_LOGIN_SECONDS: '2',
  SLIPWAY_SSH_MAX_UNAUTHENTICATED: '4',
  SLIPWAY_SSH_IDLE_SECONDS: '3',
});
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let tenant: SshKey;
const asTenant = (command: string[]) => slipway.ssh(command, { key: tenant });

beforeAll(async () => {
  await slipway.start();
  tenant = await addUser(slipway, 'tenant');
  await sshEachOrThrow(slipway, [
    ['apps:create', 'mine'],
    ['acl:add', 'mine', 'tenant'],
    ['postgres:create', 'db'],
  ]);
});
afterAll(() => slipway.destroy());

/** The tenant's app, built from a Dockerfile that claims Slipway's labels and fakes the service tools. */
async function pushHostileImage(): Promise<void> {
  const repo = await slipway.appRepo('dockerfile-app', 'mine');
  const fake = '#!/bin/sh\\necho TENANT-FAKE\\n';
  fs.appendFileSync(
    path.join(repo, 'Dockerfile'),
    [
      `LABEL slipway.instance=${slipway.instance} slipway.service=postgres.db slipway.one-off=true`,
      ...['pg_dump', 'pg_restore', 'psql'].map(
        (tool) => `RUN printf '${fake}' > /usr/local/bin/${tool} && chmod +x /usr/local/bin/${tool}`,
      ),
      '',
    ].join('\n'),
  );
  await run('git', ['commit', '-qam', 'hostile'], { cwd: repo, env: slipway.gitEnv(tenant) });
  await pushOrThrow(slipway, repo, { key: tenant, args: [slipway.remote('mine'), 'main'] });
}

const containersOf = (app: string) =>
  docker.listContainers({
    all: true,
    filters: { label: [`slipway.instance=${slipway.instance}`, `slipway.app=${app}`] },
  });

describe('labels an image brings', () => {
  beforeAll(pushHostileImage);

  test('do not make the tenant’s container pass for the admin’s Postgres: export dumps the real database', async () => {
    const dump = await slipway.ssh(['postgres:export', 'db']);
    expect(dump.code, dump.stderr).toBe(0);
    expect(dump.stdout).not.toContain('TENANT-FAKE');
    expect(dump.stdout).toContain('PGDMP'); // pg_dump's custom format
  });

  test('do not hide the tenant’s containers from ps:stop or from retirement', async () => {
    expect((await asTenant(['ps:restart', 'mine'])).code).toBe(0);
    const settled = await eventually(
      () => containersOf('mine'),
      (all) => all.filter((c) => c.State === 'running').length === 1,
      15_000,
    );
    expect(settled.filter((c) => c.State === 'running')).toHaveLength(1);
    expect((await asTenant(['ps:stop', 'mine'])).code).toBe(0);
    expect((await containersOf('mine')).filter((c) => c.State === 'running')).toEqual([]);
    expect((await asTenant(['ps:start', 'mine'])).code).toBe(0);
  });
});

describe('images a tenant’s build may read', () => {
  beforeAll(async () => {
    await pushOrThrow(slipway, await slipway.appRepo('dockerfile-app', 'secret'));
  });

  test.each([
    [
      'COPY --from another app’s image',
      (victim: string) => `FROM slipway/stack:bookworm\nCOPY --from=${victim} /app /stolen\n`,
    ],
    ['FROM another app’s image through a build arg', (victim: string) => `ARG BASE=${victim}\nFROM \${BASE}\n`],
  ])('%s fails the push before building, and nothing of it reaches the output', async (_, dockerfile) => {
    const repo = await slipway.appRepo('dockerfile-app', 'thief');
    fs.writeFileSync(
      path.join(repo, 'Dockerfile'),
      dockerfile(`${slipway.instance}/app-secret:v1`) + 'RUN cat /stolen/server.js || cat /app/server.js\n',
    );
    await run('git', ['commit', '-qam', 'steal'], { cwd: repo, env: slipway.gitEnv(tenant) });
    const pushed = await slipway.push(repo, { key: tenant, args: [slipway.remote('mine'), '+main'] });
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain(
      `The Dockerfile builds from ${slipway.instance}/app-secret:v1, which this app may not use`,
    );
    expect(pushed.output).not.toContain('hello from version 1');
  });
});

describe('a database link that was taken away', () => {
  test('does not come back with a rollback to a release that had it', async () => {
    const pushed = await slipway.push(await slipway.appRepo('dockerfile-app', 'linked'));
    expect(pushed.code, pushed.output).toBe(0);
    for (const command of [
      ['postgres:link', 'db', 'linked'],
      ['postgres:unlink', 'db', 'linked'],
      ['releases:rollback', 'linked', 'v2'],
    ]) {
      const result = await slipway.ssh(command);
      expect(result.code, result.output).toBe(0);
    }
    const releases = JSON.parse((await slipway.ssh(['releases', 'linked', '--format', 'json'])).stdout) as {
      version: number;
      current: boolean;
    }[];
    expect(releases.find((r) => r.current)!.version).toBe(4);
    expect((await slipway.ssh(['config:get', 'linked', 'DATABASE_URL'])).stdout).toBe('');
    expect((await slipway.get(slipway.appHost('linked'), '/env/DATABASE_URL')).status).toBe(404);
  });
});

describe('what a tenant’s containers can reach', () => {
  /** What `node /app/probe.js host port` says from a one-off of the app: `open` or `closed (…)`. */
  const probe = async (app: string, host: string, port: number, key?: SshKey) => {
    const result = await slipway.ssh(['run', app, 'node', '/app/probe.js', host, String(port)], { key });
    expect(result.code, result.output).toBe(0);
    return result.stdout.trim();
  };
  const webAddress = async (app: string) => {
    const [web] = (await containersOf(app)).filter((c) => c.State === 'running');
    return Object.values(web!.NetworkSettings.Networks)[0]!.IPAddress;
  };

  beforeAll(async () => {
    await pushOrThrow(slipway, await slipway.appRepo('dockerfile-app', 'neighbour'));
    const linked = await slipway.ssh(['postgres:link', 'db', 'neighbour']);
    if (linked.code !== 0) throw new Error(linked.output);
  });

  test('not another app’s containers, nor a database linked to another app', async () => {
    expect(await probe('neighbour', 'postgres-db', 5432)).toBe('open');
    expect(await probe('neighbour', await webAddress('neighbour'), 5000)).toBe('open');
    expect(await probe('mine', await webAddress('neighbour'), 5000, tenant)).toMatch(/^closed/);
    expect(await probe('mine', 'postgres-db', 5432, tenant)).toMatch(/^closed/);
  });

  test('a database while it is linked, and not once it is unlinked; the other linked app keeps it', async () => {
    expect((await slipway.ssh(['postgres:link', 'db', 'mine'])).code).toBe(0);
    expect(await probe('mine', 'postgres-db', 5432, tenant)).toBe('open');
    expect((await slipway.ssh(['postgres:unlink', 'db', 'mine'])).code).toBe(0);
    expect(await probe('mine', 'postgres-db', 5432, tenant)).toMatch(/^closed/);
    expect(await probe('neighbour', 'postgres-db', 5432)).toBe('open');
  });

  test('a renamed app keeps its database, and its old network goes', async () => {
    expect((await slipway.ssh(['apps:rename', 'neighbour', 'moved'])).code).toBe(0);
    expect(await probe('moved', 'postgres-db', 5432)).toBe('open');
    const networks = (await docker.listNetworks({ filters: { label: [`slipway.instance=${slipway.instance}`] } })).map(
      (n) => n.Name,
    );
    expect(networks).toContain(`${slipway.instance}.app.moved`);
    expect(networks).not.toContain(`${slipway.instance}.app.neighbour`);
  });
});

describe('what only an admin may do', () => {
  test.each([
    [['apps:rename', 'mine', 'api']],
    [['apps:destroy', 'mine', '--force']],
    [['resource:limit', 'mine', '--memory', '4g']],
    [['resource:limit-clear', 'mine']],
    [['proxy:disable', 'mine']],
  ])('%j is refused to the tenant', async (command) => {
    const refused = await asTenant(command);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${command[0]} needs an admin key`);
    expect((await slipway.ssh(['apps:exists', 'mine'])).code).toBe(0);
  });

  test.each([
    ['access-log-path', '/etc/passwd'],
    ['error-log-path', '/root/.ssh/authorized_keys'],
    ['bind-address-ipv4', '127.0.0.1'],
  ])(
    'nginx:set %s (a host file nginx opens as root, or an address other apps answer on) is refused to the tenant',
    async (property, value) => {
      const refused = await asTenant(['nginx:set', 'mine', property, value]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`Only an admin key may set ${property}`);
      expect(parseJson<Report>((await asTenant(['nginx:report', 'mine', '--format', 'json'])).stdout)[property]).toBe(
        '',
      );
    },
  );

  test('a port mapping on a host port other than Slipway’s HTTP and HTTPS ports is refused to the tenant', async () => {
    const refused = await asTenant(['ports:add', 'mine', 'http:2223:5000']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Only an admin key may map host port 2223');
    expect((await asTenant(['ports:report', 'mine', '--ports-map'])).stdout.trim()).toBe('');
  });

  test('every container of the tenant’s app runs under a pids limit', async () => {
    const running = (await containersOf('mine')).filter((c) => c.State === 'running');
    expect(running.length).toBeGreaterThan(0);
    for (const c of running) expect((await docker.getContainer(c.Id).inspect()).HostConfig.PidsLimit).toBe(4096);
  });

  test('wait-to-retire has a ceiling: no hour of doubled containers', async () => {
    const refused = await asTenant(['checks:set', 'mine', 'wait-to-retire', '3600']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('from 0 to 600');
  });
});

describe('domains a tenant may give its app', () => {
  beforeAll(async () => {
    for (const command of [
      ['apps:create', 'keeper'],
      ['domains:set', 'keeper', 'keeper.example.com'],
      ['apps:create', 'owner'],
      ['domains:add', 'owner', 'shop.example.com'],
    ]) {
      expect((await slipway.ssh(command)).code).toBe(0);
    }
  });

  test.each([
    ['a wildcard over the global domain', () => `*.${slipway.domain}`, 'only an admin key may add a wildcard domain'],
    [
      'another name under the global domain',
      () => `foo.${slipway.domain}`,
      `this app may only use mine.${slipway.domain}`,
    ],
    [
      'a name inside another app’s default name',
      () => `login.owner.${slipway.domain}`,
      `this app may only use mine.${slipway.domain}`,
    ],
    ['a subdomain of another app’s domain', () => 'login.shop.example.com', 'is under a domain of another app'],
    ['another app’s domain, without learning which app', () => 'shop.example.com', 'is already used by another app'],
  ])('%s is refused', async (_, domain, message) => {
    const refused = await asTenant(['domains:add', 'mine', domain()]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(message);
    expect(refused.stderr).not.toMatch(/app (owner|keeper)/);
  });

  test('its own name and names under it, and domains of its own, are fine', async () => {
    expect((await asTenant(['domains:add', 'mine', `api.mine.${slipway.domain}`, 'mine.example.org'])).code).toBe(0);
    expect((await asTenant(['domains:remove', 'mine', `api.mine.${slipway.domain}`])).code).toBe(0);
    // An admin is told who holds a domain; an app's default name stays its own while it answers on others.
    expect((await slipway.ssh(['domains:add', 'mine', 'shop.example.com'])).stderr).toContain(
      'already used by app owner',
    );
    expect((await slipway.ssh(['domains:add', 'owner', `keeper.${slipway.domain}`])).stderr).toContain(
      'already used by app keeper',
    );
  });
});

describe('the client address an app is told', () => {
  const forwardedFor = () =>
    run('curl', [
      '-s',
      '-H',
      `Host: ${slipway.appHost('mine')}`,
      '-H',
      'X-Forwarded-For: 6.6.6.6',
      `http://127.0.0.1:${slipway.httpPort}/headers/x-forwarded-for`,
    ]);

  test('is the connecting address, whatever the client claims; a host behind a proxy opts in with nginx:set', async () => {
    expect((await forwardedFor()).stdout).toBe('127.0.0.1');
    const set = await asTenant(['nginx:set', 'mine', 'x-forwarded-for-value', '$proxy_add_x_forwarded_for']);
    expect(set.code, set.output).toBe(0);
    expect((await forwardedFor()).stdout).toBe('6.6.6.6, 127.0.0.1');
    const report = parseJson<Report>((await asTenant(['nginx:report', 'mine', '--format', 'json'])).stdout);
    expect(report['x-forwarded-for-value']).toBe('$proxy_add_x_forwarded_for');
    const injected = await asTenant(['nginx:set', 'mine', 'x-forwarded-for-value', '$remote_addr;return']);
    expect(injected.code).not.toBe(0);
    expect(injected.stderr).toContain('give one nginx variable');
    expect((await asTenant(['nginx:set', 'mine', 'x-forwarded-for-value'])).code).toBe(0);
    expect((await forwardedFor()).stdout).toBe('127.0.0.1');
  });
});

describe('SSH', () => {
  test('a key removed while its multiplexed connection stays open is refused on that connection', async () => {
    const removed = await makeKey(slipway.dir, 'leaving');
    expect(
      (await slipway.ssh(['ssh-keys:add', 'leaving'], { input: fs.readFileSync(removed.publicPath, 'utf8') })).code,
    ).toBe(0);
    expect((await slipway.ssh(['acl:add', 'mine', 'leaving'])).code).toBe(0);
    const control = path.join(slipway.dir, 'leaving.mux');
    const master = spawn(
      'ssh',
      [...slipway.sshArgs(removed), '-o', 'ControlMaster=yes', '-o', `ControlPath=${control}`, '-N', 'git@127.0.0.1'],
      { stdio: 'ignore' },
    );
    try {
      await eventually(async () => fs.existsSync(control), Boolean, 10_000);
      const overMux = (command: string[]) =>
        run('ssh', [
          ...slipway.sshArgs(removed),
          '-o',
          'ControlMaster=no',
          '-o',
          `ControlPath=${control}`,
          'git@127.0.0.1',
          ...command,
        ]);
      expect((await overMux(['config:show', 'mine'])).code).toBe(0);
      expect((await slipway.ssh(['ssh-keys:remove', 'leaving'])).code).toBe(0);
      const refused = await overMux(['config:show', 'mine']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('This key is no longer authorized');
    } finally {
      master.kill();
    }
  });

  test('a connection that does not authenticate in time is closed', async () => {
    const socket = net.connect(slipway.sshPort, '127.0.0.1');
    socket.on('data', () => {}); // the server's banner; the client says nothing back
    const closed = await new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 15_000);
    });
    expect(closed).toBe(true);
  });

  test('connections beyond SLIPWAY_SSH_MAX_UNAUTHENTICATED still authenticating are closed at once', async () => {
    const silent = () => {
      const socket = net.connect(slipway.sshPort, '127.0.0.1');
      socket.on('data', () => {});
      return new Promise<string>((resolve) => socket.once('close', () => resolve('closed')));
    };
    const waiting = [silent(), silent(), silent(), silent()];
    await new Promise((resolve) => setTimeout(resolve, 300)); // all four are seen before the fifth
    const closedFirst = await Promise.race([
      silent().then(() => 'the fifth'),
      ...waiting.map((w) => w.then(() => 'one of the four')),
    ]);
    expect(closedFirst).toBe('the fifth');
    await Promise.all(waiting); // and they go at the login timeout
  });

  test('an authenticated connection with nothing open is closed after SLIPWAY_SSH_IDLE_SECONDS', async () => {
    const idle = spawn('ssh', [...slipway.sshArgs(tenant), '-N', 'git@127.0.0.1'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    idle.stderr.on('data', (chunk) => (stderr += chunk));
    const opened = Date.now();
    const exited = await new Promise<boolean>((resolve) => {
      idle.once('exit', () => resolve(true));
      setTimeout(() => resolve(false), 20_000);
    });
    idle.kill();
    expect(exited).toBe(true);
    expect(stderr).not.toContain('Permission denied');
    expect(Date.now() - opened).toBeGreaterThanOrEqual(2_500); // it was let in, and stayed until idle
  });

  test('a push to an app the key may not use is refused before it waits in that app’s queue', async () => {
    const slow = await slipway.appRepo('dockerfile-app', 'victim');
    fs.appendFileSync(path.join(slow, 'Dockerfile'), 'RUN sleep 6\n');
    await run('git', ['commit', '-qam', 'slow'], { cwd: slow, env: slipway.gitEnv() });
    const adminPush = slipway.push(slow);
    await eventually(
      () => slipway.ssh(['builds:list', 'victim', '--format', 'json']),
      (r) => r.code === 0 && r.stdout.includes('running'),
      60_000,
    );
    const probe = await slipway.push(await slipway.appRepo('dockerfile-app', 'probe'), {
      key: tenant,
      args: [slipway.remote('victim'), 'main'],
    });
    expect(probe.code).not.toBe(0);
    expect(probe.output).toContain('may not push to victim, or it does not exist');
    expect(probe.output).not.toContain('Waiting for the push in progress');
    expect((await adminPush).code).toBe(0);
  });
});
