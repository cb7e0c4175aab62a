import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Report } from '../support/json.js';
import { addUser } from '../support/pushes.js';
import { makeKey, SlipwayUnderTest, type SshKey } from '../support/slipway.js';

const slipway = new SlipwayUnderTest(inject('redisUrl'));
let dev: SshKey;

beforeAll(async () => {
  await slipway.start();
  dev = await addUser(slipway, 'dev');
  for (const app of ['mine', 'theirs']) await slipway.ssh(['apps:create', app]);
  await slipway.ssh(['config:set', '--no-restart', 'theirs', 'SECRET=hunter2']);
});
afterAll(() => slipway.destroy());

describe('a non-admin key', () => {
  test('sees and manages only the apps it is granted', async () => {
    expect((await slipway.ssh(['apps:list'], { key: dev })).stderr).toContain(
      "You haven't deployed any applications yet",
    );
    const granted = await slipway.ssh(['acl:add', 'mine', 'dev']);
    expect(granted.code, granted.output).toBe(0);
    expect((await slipway.ssh(['acl:list', 'mine'])).stdout.trim()).toBe('dev');

    expect((await slipway.ssh(['apps:list'], { key: dev })).stdout.trim().split('\n')).toEqual([
      '=====> My Apps',
      'mine',
    ]);
    expect((await slipway.ssh(['config:set', '--no-restart', 'mine', 'A=1'], { key: dev })).code).toBe(0);

    const other = await slipway.ssh(['config:show', 'theirs'], { key: dev });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(' !     Key dev may not run config:show on theirs, or it does not exist');
    expect(other.output).not.toContain('hunter2');
    // A missing app reads the same, so a key cannot probe for names.
    expect((await slipway.ssh(['config:show', 'nosuchapp'], { key: dev })).stderr).toContain(
      'may not run config:show on nosuchapp, or it does not exist',
    );
  });

  test.each([
    ['ssh-keys:list'],
    ['apps:create', 'newapp'],
    ['config:set', '--global', 'X=1'],
    ['postgres:create', 'db'],
    ['domains:set-global', 'evil.example.com'],
    ['acl:add', 'mine', 'dev'],
    ['stack:build'],
    ['run:set', 'mine', 'max-one-offs', '100'],
  ])('is refused admin commands: %s', async (...command) => {
    const result = await slipway.ssh(command, { key: dev });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ ! {5}\S+ needs an admin key$/m);
  });

  test('pushes only to granted apps and creates none', async () => {
    const repo = await slipway.appRepo('dockerfile-app', 'theirs');
    const refused = await slipway.push(repo, { key: dev });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Key dev may not push to theirs, or it does not exist');
    expect((await slipway.push(repo, { key: dev, args: [slipway.remote('brand-new'), 'main'] })).code).not.toBe(0);
    expect((await slipway.ssh(['apps:exists', 'brand-new'])).code).toBe(1);

    const pushed = await slipway.push(repo, { key: dev, args: [slipway.remote('mine'), 'main'] });
    expect(pushed.code, pushed.output).toBe(0);
    expect((await slipway.get(slipway.appHost('mine'))).body).toMatch(/^hello from version 1/);
  });

  test('loses access when the grant or the key is removed', async () => {
    expect((await slipway.ssh(['acl:remove', 'mine', 'dev'])).code).toBe(0);
    expect((await slipway.ssh(['config:show', 'mine'], { key: dev })).code).toBe(1);
    expect((await slipway.ssh(['acl:add', 'mine', 'dev'])).code).toBe(0);
    expect((await slipway.ssh(['ssh-keys:remove', 'dev'])).code).toBe(0);
    expect((await slipway.ssh(['acl:list', 'mine'])).stdout).toBe('');
    expect((await slipway.ssh(['apps:list'], { key: dev })).code).not.toBe(0); // the key no longer logs in
  });

  test('grants are checked', async () => {
    expect((await slipway.ssh(['acl:add', 'mine', 'nobody'])).stderr).toContain('No key named nobody');
    expect((await slipway.ssh(['acl:add', 'nosuchapp', 'admin'])).stderr).toContain('App nosuchapp does not exist');
    expect((await slipway.ssh(['acl:add', 'mine', 'admin'])).stderr).toContain('is an admin key');
  });
});

describe('the scheduler an app runs on', () => {
  test('is docker-local unless set; only an admin sets it, for an app or for every app', async () => {
    const report = await slipway.sshJson<Report>(['scheduler:report', 'mine', '--format', 'json']);
    expect(report).toEqual({ 'computed-selected': 'docker-local', 'global-selected': 'docker-local', selected: '' });
    const tenant = await makeKey(slipway.dir, 'tenant');
    expect(
      (await slipway.ssh(['ssh-keys:add', 'tenant'], { input: fs.readFileSync(tenant.publicPath, 'utf8') })).code,
    ).toBe(0);
    expect((await slipway.ssh(['acl:add', 'mine', 'tenant'])).code).toBe(0);
    const byTenant = await slipway.ssh(['scheduler:set', 'mine', 'selected', 'docker-local'], { key: tenant });
    expect(byTenant.code).toBe(1);
    expect(byTenant.stderr).toContain('scheduler:set needs an admin key');
    expect((await slipway.ssh(['scheduler:set', 'mine', 'selected', 'docker-local'])).stdout).toContain(
      'Setting scheduler selected to docker-local',
    );
    expect((await slipway.ssh(['scheduler:set', '--global', 'selected', 'nomad'])).stderr).toContain(
      'Invalid scheduler: nomad (docker-local, swarm)',
    );
    expect((await slipway.ssh(['scheduler:report', 'mine', '--scheduler-selected'])).stdout).toBe('docker-local\n');
  });
});
