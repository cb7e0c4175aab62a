import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { addUser } from '../support/pushes.js';
import { eventually, run, SlipwayUnderTest, type SshKey } from '../support/slipway.js';
import { writeSelfSigned } from '../support/tls.js';

// The daemon's git trusts the test's own certificate (GIT_SSL_CAINFO, set before it starts):
// a tenant syncs over https only.
const settings: NodeJS.ProcessEnv = {};
const slipway = new SlipwayUnderTest(inject('redisUrl'), settings);
let tenant: SshKey;
let tls: { cert: string; key: string };

beforeAll(async () => {
  tls = { cert: path.join(slipway.dir, 'outside.crt'), key: path.join(slipway.dir, 'outside.key') };
  await writeSelfSigned(tls, [OUTSIDE]);
  settings.GIT_SSL_CAINFO = tls.cert;
  await slipway.start();
  tenant = await addUser(slipway, 'tenant');
});
afterAll(() => slipway.destroy());

/**
 * An address that stands for a public server: in 3ffe::/16 (the former 6bone, returned to IANA
 * and unallocated, so no one's), held by a network namespace of the test's own, so it is none
 * of this host's addresses. The host's end of the link holds HOST_SIDE, an address of this
 * host's own that no special-purpose range covers. Both are unique to this run.
 */
const hex = slipway.instance.slice(3);
const OUTSIDE = `3ffe:0:${hex.slice(0, 4)}:${hex.slice(4)}::8`;
const HOST_SIDE = `3ffe:0:${hex.slice(0, 4)}:${hex.slice(4)}::9`;
/** What a tenant is told when its remote is refused or fails, whatever the reason. */
const notFetched = (url: string, ref = 'HEAD') =>
  `Could not fetch ${ref} from ${url}: unreachable, refused, or not a repository this key may sync from (public https:// addresses only, no redirects)`;

const revOf = async (repo: string, ref = 'HEAD') => (await run('git', ['rev-parse', ref], { cwd: repo })).stdout.trim();

describe('deploy sources besides a push', () => {
  test('keep-git-dir puts the repository, at the deployed commit, in the build', async () => {
    const repo = await slipway.appRepo('dockerfile-app', 'withgit');
    const dockerfile = path.join(repo, 'Dockerfile');
    fs.writeFileSync(
      dockerfile,
      fs.readFileSync(dockerfile, 'utf8').replace('COPY server.js', 'COPY .git /app/.git\nCOPY server.js'),
    );
    await slipway.commit(repo, 'the build reads .git');
    expect((await slipway.ssh(['apps:create', 'withgit'])).code).toBe(0);
    const without = await slipway.push(repo);
    expect(without.code).not.toBe(0);

    expect((await slipway.ssh(['git:set', 'withgit', 'keep-git-dir', 'true'])).code).toBe(0);
    expect((await slipway.ssh(['git:report', 'withgit'])).stdout).toMatch(/Git keep git dir: +true/);
    const pushed = await slipway.push(repo);
    expect(pushed.code, pushed.output).toBe(0);
    const head = await slipway.ssh([
      'run',
      'withgit',
      'cat /app/.git/HEAD /app/.git/refs/heads/main; ls /app/.git/objects/pack',
    ]);
    expect(head.stdout).toContain(`ref: refs/heads/main\n${await revOf(repo)}\n`);
    expect(head.stdout).toMatch(/pack-[0-9a-f]+\.pack/);
    expect((await slipway.ssh(['git:set', 'withgit', 'keep-git-dir', 'maybe'])).stderr).toContain(
      'Invalid keep-git-dir maybe: give true or false',
    );
  });

  test('git:sync fetches another repository into the app and --build deploys it; tenants may not read host paths', async () => {
    const source = await slipway.appRepo('dockerfile-app', 'synced');
    expect((await slipway.ssh(['apps:create', 'synced'])).code).toBe(0);
    const synced = await slipway.ssh(['git:sync', '--build', 'synced', source, 'main']);
    expect(synced.code, synced.output).toBe(0);
    expect(synced.stdout).toContain(
      `-----> Synced synced's main to ${(await revOf(source)).slice(0, 12)} from ${source}`,
    );
    expect((await slipway.get(slipway.appHost('synced'))).body).toMatch(/^hello from version 1/);
    const again = await slipway.ssh(['git:sync', '--build', 'synced', source]);
    expect(again.stdout).toContain('No changes: not building');

    expect((await slipway.ssh(['acl:add', 'synced', 'tenant'])).code).toBe(0);
    const hostPath = await slipway.ssh(['git:sync', 'synced', source], { key: tenant });
    expect(hostPath.code).toBe(1);
    expect(hostPath.stderr).toContain('Only an admin key may sync from a path on this host');
    for (const url of [
      'https://127.0.0.1:2222/synced',
      'https://localhost/x.git',
      'https://10.1.2.3/x.git',
      'https://[::1]/x.git',
      'https://[::ffff:127.0.0.1]/x.git',
    ]) {
      const internal = await slipway.ssh(['git:sync', 'synced', url], { key: tenant });
      expect(internal.code, url).toBe(1);
      expect(internal.stderr).toContain(notFetched(url));
    }
    for (const [repository, ref, message] of [
      ['ext::sh -c touch% /tmp/owned', 'main', 'Invalid repository ext::sh'],
      ['--upload-pack=touch /tmp/owned', 'main', 'Invalid repository --upload-pack'],
      [source, '--output=/tmp/owned', 'Invalid git ref --output=/tmp/owned'],
      [source, 'main..other', 'Invalid git ref main..other'],
      [source, 'no-such-branch', 'Could not fetch no-such-branch from'],
    ]) {
      const refused = await slipway.ssh(['git:sync', 'synced', '--', `'${repository}'`, `'${ref}'`]);
      expect(refused.code, repository).toBe(1);
      expect(refused.stderr).toContain(message);
    }
    expect(fs.existsSync('/tmp/owned')).toBe(false);
  });

  test('git:load-image deploys an image archive sent on stdin (admins only)', async () => {
    const [image] = (
      await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', `${slipway.instance}/app-synced`])
    ).stdout
      .trim()
      .split('\n');
    const archive = path.join(slipway.dir, 'image.tar');
    expect((await run('docker', ['tag', image!, `${slipway.instance}-loaded/app:1`])).code).toBe(0);
    expect((await run('docker', ['save', '-o', archive, `${slipway.instance}-loaded/app:1`])).code).toBe(0);
    await run('docker', ['rmi', `${slipway.instance}-loaded/app:1`]);
    expect((await slipway.ssh(['apps:create', 'loaded'])).code).toBe(0);
    const ssh = (key: SshKey) =>
      run(
        'ssh',
        [...slipway.sshArgs(key), 'git@127.0.0.1', 'git:load-image', 'loaded', `${slipway.instance}-loaded/app:1`],
        { inputFile: archive },
      );
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

/** A git server "outside" (at OUTSIDE, in its own network namespace): https, dumb protocol, /redirect/… answered with a redirect to `redirectTo`. */
class OutsideServer {
  private readonly namespace = slipway.instance;
  private readonly hostEnd = `${slipway.instance}a`;
  private readonly outsideEnd = `${slipway.instance}b`;
  private server?: ChildProcess;
  port = 0;
  requests: string[] = [];

  async start(root: string, redirectTo: string): Promise<void> {
    const ns = this.namespace;
    const ip = async (...args: string[]) => {
      const result = await run('ip', args);
      if (result.code !== 0) throw new Error(`ip ${args.join(' ')}: ${result.output}`);
    };
    await ip('netns', 'add', ns);
    await ip('link', 'add', this.hostEnd, 'type', 'veth', 'peer', 'name', this.outsideEnd, 'netns', ns);
    // No duplicate address detection: the link is ours alone, and it would hold the addresses back a while.
    await run('sysctl', ['-qw', `net.ipv6.conf.${this.hostEnd}.accept_dad=0`]);
    await run('nsenter', [
      `--net=/var/run/netns/${ns}`,
      'sysctl',
      '-qw',
      `net.ipv6.conf.${this.outsideEnd}.accept_dad=0`,
    ]);
    await ip('addr', 'add', `${HOST_SIDE}/128`, 'dev', this.hostEnd, 'nodad');
    await ip('link', 'set', this.hostEnd, 'up');
    await ip('-6', 'route', 'add', `${OUTSIDE}/128`, 'dev', this.hostEnd, 'src', HOST_SIDE);
    await ip('-n', ns, 'addr', 'add', `${OUTSIDE}/128`, 'dev', this.outsideEnd, 'nodad');
    await ip('-n', ns, 'link', 'set', this.outsideEnd, 'up');
    await ip('-n', ns, '-6', 'route', 'add', `${HOST_SIDE}/128`, 'dev', this.outsideEnd);
    const script = path.join(slipway.dir, 'outside-server.cjs');
    fs.writeFileSync(script, OUTSIDE_SERVER);
    this.server = spawn(
      'nsenter',
      [`--net=/var/run/netns/${ns}`, process.execPath, script, tls.cert, tls.key, root, OUTSIDE, redirectTo],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.server.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (line.startsWith('port ')) this.port = Number(line.slice(5));
        if (line.startsWith('request ')) this.requests.push(line.slice(8));
      }
    });
    await eventually(
      async () => this.port,
      (port) => port > 0,
      10_000,
    );
    // The link answers once both ends have their routes: wait for a request to get through.
    await eventually(
      () => fetchStatus(`https://[${OUTSIDE}]:${this.port}/ready`),
      (status) => status === 404,
      10_000,
    );
    this.requests = [];
  }

  async stop(): Promise<void> {
    this.server?.kill();
    await run('ip', ['netns', 'del', this.namespace]); // the link goes with it, and its routes
  }
}

/** The status of an https GET (0 when it fails), trusting the test's certificate. */
function fetchStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const request = https.get(url, { ca: fs.readFileSync(tls.cert), agent: false, timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', () => resolve(0));
    request.on('timeout', () => request.destroy());
  });
}

const OUTSIDE_SERVER = `
const fs = require('node:fs'), https = require('node:https'), path = require('node:path');
const [cert, key, root, address, redirectTo] = process.argv.slice(2);
const server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (request, response) => {
  console.log('request ' + request.url);
  const file = path.posix.normalize(request.url.split('?')[0]);
  if (file.startsWith('/redirect/')) return response.writeHead(302, { Location: redirectTo + file }).end();
  fs.readFile(path.join(root, file), (error, data) => (error ? response.writeHead(404).end() : response.writeHead(200).end(data)));
});
server.listen(0, address, () => console.log('port ' + server.address().port));
`;

/** A server on this host that counts every connection made to it, whatever it is sent. */
async function countingServer(host: string): Promise<{ port: number; connections: () => number; close: () => void }> {
  let connections = 0;
  const server = http.createServer((_, response) => response.writeHead(404).end());
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections, close: () => server.close() };
}

describe("a tenant's git:sync reaches only public https:// destinations", () => {
  const outside = new OutsideServer();
  let loopback: Awaited<ReturnType<typeof countingServer>>;
  let ownAddress: Awaited<ReturnType<typeof countingServer>>;
  let repoUrl: string;
  let rev: string;

  beforeAll(async () => {
    loopback = await countingServer('127.0.0.1');
    const work = await slipway.appRepo('dockerfile-app', 'fromurl');
    rev = await revOf(work);
    const root = path.join(slipway.dir, 'outside-root');
    fs.mkdirSync(root);
    for (const args of [
      ['clone', '-q', '--bare', work, path.join(root, 'repo.git')],
      ['-C', path.join(root, 'repo.git'), 'update-server-info'],
    ]) {
      const result = await run('git', args);
      if (result.code !== 0) throw new Error(result.output);
    }
    await outside.start(root, `http://127.0.0.1:${loopback.port}`);
    ownAddress = await countingServer(HOST_SIDE);
    repoUrl = `https://[${OUTSIDE}]:${outside.port}/repo.git`;
    expect((await slipway.ssh(['apps:create', 'fromurl'])).code).toBe(0);
    expect((await slipway.ssh(['acl:add', 'fromurl', 'tenant'])).code).toBe(0);
  });
  afterAll(async () => {
    // Unset when the setup failed before starting them.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    loopback?.close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    ownAddress?.close();
    await outside.stop();
  });

  test('a public https repository syncs', async () => {
    const synced = await slipway.ssh(['git:sync', 'fromurl', repoUrl, 'main'], { key: tenant });
    expect(synced.code, synced.output).toBe(0);
    expect(synced.stdout).toContain(`Synced fromurl's main to ${rev.slice(0, 12)} from ${repoUrl}`);
    expect(outside.requests.length).toBeGreaterThan(0);
  });

  test('a URL that git would read apart from the check (`\\@`) is refused, and nothing reaches the host it names', async () => {
    for (const url of [
      `https://1.2.3.4\\@127.0.0.1:${loopback.port}/r.git`,
      `https://[${OUTSIDE}]:${outside.port}\\@127.0.0.1:${loopback.port}/r.git`,
    ]) {
      const refused = await slipway.ssh(['git:sync', 'fromurl', `'${url}'`], { key: tenant });
      expect(refused.code, url).toBe(1);
      expect(refused.stderr).toContain(`Invalid repository ${url}: give the URL as https://HOST[:PORT]/PATH`);
    }
    expect(loopback.connections()).toBe(0);
  });

  test("this host's own addresses are refused, public-looking ones too", async () => {
    const url = `https://[${HOST_SIDE}]:${ownAddress.port}/repo.git`;
    const refused = await slipway.ssh(['git:sync', 'fromurl', url], { key: tenant });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(notFetched(url));
    expect(ownAddress.connections()).toBe(0);
  });

  test('plain http is for admins', async () => {
    const url = `http://[${OUTSIDE}]:${outside.port}/repo.git`;
    const refused = await slipway.ssh(['git:sync', 'fromurl', url], { key: tenant });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Only an admin key may sync from http URLs');
    outside.requests = [];
  });

  test('one text for every remote refused or failed: a closed port, a private address, this host, an error or a redirect', async () => {
    const texts = new Set<string>();
    for (const [url, ref] of [
      [`https://[${OUTSIDE}]:1/repo.git`, 'main'],
      [`https://[${OUTSIDE}]:${outside.port}/missing.git`, 'main'],
      [repoUrl, 'no-such-branch'],
      [`https://[${OUTSIDE}]:${outside.port}/redirect/repo.git`, 'main'],
      ['https://10.1.2.3/repo.git', 'main'],
      [`https://127.0.0.1:${loopback.port}/repo.git`, 'main'],
      [`https://[::ffff:127.0.0.1]:${loopback.port}/repo.git`, 'main'],
      [`https://[${HOST_SIDE}]:${ownAddress.port}/repo.git`, 'main'],
    ] as const) {
      const refused = await slipway.ssh(['git:sync', 'fromurl', url, ref], { key: tenant });
      expect(refused.code, url).toBe(1);
      expect(refused.stderr, url).toContain(notFetched(url, ref));
      texts.add(refused.stderr.replace(url, 'URL').replace(ref, 'REF'));
    }
    expect([...texts]).toHaveLength(1);
    // The redirect was asked for, and not followed to this host.
    expect(outside.requests.some((request) => request.startsWith('/redirect/'))).toBe(true);
    expect(loopback.connections()).toBe(0);
    expect(ownAddress.connections()).toBe(0);
  });

  test("an admin's sync follows redirects and is told git's reason", async () => {
    const redirected = await slipway.ssh([
      'git:sync',
      'fromurl',
      `https://[${OUTSIDE}]:${outside.port}/redirect/repo.git`,
    ]);
    expect(redirected.code).toBe(1);
    expect(redirected.stderr).toMatch(/Could not fetch HEAD from .*: (fatal|error): /);
    expect(loopback.connections()).toBeGreaterThan(0);
  });
});
