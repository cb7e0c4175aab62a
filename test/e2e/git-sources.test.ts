import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { makeKey, run, SlipwayUnderTest, type SshKey } from '../support/slipway.js';

const slipway = new SlipwayUnderTest(inject('redisUrl'));
let tenant: SshKey;

beforeAll(async () => {
  await slipway.start();
  tenant = await makeKey(slipway.dir, 'tenant');
  const added = await slipway.ssh(['ssh-keys:add', 'tenant'], { input: fs.readFileSync(tenant.publicPath, 'utf8') });
  if (added.code !== 0) throw new Error(added.output);
});
afterAll(() => slipway.destroy());

const revOf = async (repo: string, ref = 'HEAD') => (await run('git', ['rev-parse', ref], { cwd: repo })).stdout.trim();

describe('deploy sources besides a push', () => {
  test('keep-git-dir puts the repository, at the deployed commit, in the build', async () => {
    const repo = await slipway.appRepo('dockerfile-app', 'withgit');
    const dockerfile = path.join(repo, 'Dockerfile');
    fs.writeFileSync(dockerfile, fs.readFileSync(dockerfile, 'utf8').replace('COPY server.js', 'COPY .git /app/.git\nCOPY server.js'));
    await slipway.commit(repo, 'the build reads .git');
    expect((await slipway.ssh(['apps:create', 'withgit'])).code).toBe(0);
    const without = await slipway.push(repo);
    expect(without.code).not.toBe(0);

    expect((await slipway.ssh(['git:set', 'withgit', 'keep-git-dir', 'true'])).code).toBe(0);
    expect((await slipway.ssh(['git:report', 'withgit'])).stdout).toMatch(/Git keep git dir: +true/);
    const pushed = await slipway.push(repo);
    expect(pushed.code, pushed.output).toBe(0);
    const head = await slipway.ssh(['run', 'withgit', 'cat /app/.git/HEAD /app/.git/refs/heads/main; ls /app/.git/objects/pack']);
    expect(head.stdout).toContain(`ref: refs/heads/main\n${await revOf(repo)}\n`);
    expect(head.stdout).toMatch(/pack-[0-9a-f]+\.pack/);
    expect((await slipway.ssh(['git:set', 'withgit', 'keep-git-dir', 'maybe'])).stderr).toContain('Invalid keep-git-dir maybe: give true or false');
  });

  test('git:sync fetches another repository into the app and --build deploys it; tenants may not read host paths', async () => {
    const source = await slipway.appRepo('dockerfile-app', 'synced');
    expect((await slipway.ssh(['apps:create', 'synced'])).code).toBe(0);
    const synced = await slipway.ssh(['git:sync', '--build', 'synced', source, 'main']);
    expect(synced.code, synced.output).toBe(0);
    expect(synced.stdout).toContain(`-----> Synced synced's main to ${(await revOf(source)).slice(0, 12)} from ${source}`);
    expect((await slipway.get(slipway.appHost('synced'))).body).toMatch(/^hello from version 1/);
    const again = await slipway.ssh(['git:sync', '--build', 'synced', source]);
    expect(again.stdout).toContain('No changes: not building');

    expect((await slipway.ssh(['acl:add', 'synced', 'tenant'])).code).toBe(0);
    const hostPath = await slipway.ssh(['git:sync', 'synced', source], { key: tenant });
    expect(hostPath.code).toBe(1);
    expect(hostPath.stderr).toContain('Only an admin key may sync from a path on this host');
    for (const url of ['https://127.0.0.1:2222/synced', 'https://localhost/x.git', 'http://10.1.2.3/x.git', 'https://[::1]/x.git', 'https://[::ffff:127.0.0.1]/x.git']) {
      const internal = await slipway.ssh(['git:sync', 'synced', url], { key: tenant });
      expect(internal.code, url).toBe(1);
      expect(internal.stderr).toContain('is this host or a private network');
    }
    for (const [repository, ref, message] of [
      ['ext::sh -c touch% /tmp/owned', 'main', 'Invalid repository ext::sh'],
      ['--upload-pack=touch /tmp/owned', 'main', 'Invalid repository --upload-pack'],
      [source, '--output=/tmp/owned', 'Invalid git ref --output=/tmp/owned'],
      [source, 'main..other', 'Invalid git ref main..other'],
      [source, 'no-such-branch', "Could not fetch no-such-branch from"],
    ]) {
      const refused = await slipway.ssh(['git:sync', 'synced', '--', `'${repository}'`, `'${ref}'`]);
      expect(refused.code, repository).toBe(1);
      expect(refused.stderr).toContain(message);
    }
    expect(fs.existsSync('/tmp/owned')).toBe(false);
  });

  test("a tenant's sync follows no redirect: a public server cannot send the daemon to this host", async () => {
    // A server at an address that is not private (TEST-NET-2, put on loopback for the test)
    // answers every request with a redirect to one on this host, which counts what reaches it.
    let reachedInside = 0;
    const inside = http.createServer((_, response) => {
      reachedInside++;
      response.writeHead(404).end();
    });
    const outsideAddress = '198.51.100.7';
    const listen = (server: http.Server, host: string) =>
      new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as { port: number }).port)));
    const insidePort = await listen(inside, '127.0.0.1');
    const outside = http.createServer((request, response) => response.writeHead(302, { Location: `http://127.0.0.1:${insidePort}${request.url}` }).end());
    expect((await run('ip', ['addr', 'add', `${outsideAddress}/32`, 'dev', 'lo'])).code).toBe(0);
    try {
      const outsidePort = await listen(outside, outsideAddress);
      const url = `http://${outsideAddress}:${outsidePort}/repo.git`;
      const refused = await slipway.ssh(['git:sync', 'synced', url], { key: tenant });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`${url} redirects elsewhere: give the repository's own URL`);
      expect(reachedInside).toBe(0);
      // An admin's sync follows it, as git does.
      await slipway.ssh(['git:sync', 'synced', url]);
      expect(reachedInside).toBeGreaterThan(0);
    } finally {
      outside.close();
      inside.close();
      await run('ip', ['addr', 'del', `${outsideAddress}/32`, 'dev', 'lo']);
    }
  });

  test('git:load-image deploys an image archive sent on stdin (admins only)', async () => {
    const [image] = (await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', `${slipway.instance}/app-synced`])).stdout.trim().split('\n');
    const archive = path.join(slipway.dir, 'image.tar');
    expect((await run('docker', ['tag', image!, `${slipway.instance}-loaded/app:1`])).code).toBe(0);
    expect((await run('docker', ['save', '-o', archive, `${slipway.instance}-loaded/app:1`])).code).toBe(0);
    await run('docker', ['rmi', `${slipway.instance}-loaded/app:1`]);
    expect((await slipway.ssh(['apps:create', 'loaded'])).code).toBe(0);
    const ssh = (key: SshKey) => run('ssh', [...slipway.sshArgs(key), 'git@127.0.0.1', 'git:load-image', 'loaded', `${slipway.instance}-loaded/app:1`], { inputFile: archive });
    const loaded = await ssh(slipway.admin);
    expect(loaded.code, loaded.output).toBe(0);
    expect(loaded.stdout).toContain(`Loaded image: ${slipway.instance}-loaded/app:1`);
    expect((await slipway.get(slipway.appHost('loaded'))).body).toMatch(/^hello from version 1/);
    expect((await ssh(tenant)).stderr).toContain('needs an admin key');

    const garbage = await slipway.ssh(['git:load-image', 'loaded', 'some/image:1'], { input: 'not an image archive' });
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toContain('The image archive could not be loaded');
    await run('docker', ['rmi', `${slipway.instance}-loaded/app:1`]);
  });
});
