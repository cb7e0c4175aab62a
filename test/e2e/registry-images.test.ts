import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { orEmpty } from '../../src/runtime/docker/api.js';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { ClusterCa, ImageRegistry } from '../../src/registry/index.js';
import { freePort } from '../support/ports.js';
import { addUser, pushOrThrow, sshEachOrThrow } from '../support/pushes.js';
import { run, SlipwayUnderTest, type SshKey } from '../support/slipway.js';

// A Dockerfile that starts FROM an image in a registry, as most do: here Debian's
// docker-registry on loopback (no other registry can be reached), with a password (htpasswd),
// holding the stack image as `base:1`. The tenant's builds pull it with the app's
// registry:login; images of this host that are not the app's own stay out of reach.

const port = await freePort();
const server = `127.0.0.1:${port}`;
const settings: NodeJS.ProcessEnv = {};
const slipway = new SlipwayUnderTest(inject('redisUrl'), settings);
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const registry = new ImageRegistry({
  dir: path.join(slipway.dir, 'registry'),
  address: server,
  bin: 'docker-registry',
  ca: new ClusterCa(path.join(slipway.dir, 'registry-ca')),
});
const localOnly = `localonly-${slipway.instance}/base:1`;
// The allow-list names a registry with a port, and even a local tag: a local tag is still refused.
settings.SLIPWAY_BUILD_IMAGES = `${server}/base,${server}/missing,${localOnly}`;
let tenant: SshKey;

/** Pushes the stack image to the registry as base:1, then drops the local tag: a build must pull it. */
async function seedRegistry(): Promise<void> {
  await docker.getImage('slipway/stack:bookworm').tag({ repo: `${server}/base`, tag: '1' });
  const stream = await docker
    .getImage(`${server}/base:1`)
    .push({ authconfig: registry.auth() } as Docker.ImagePushOptions);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
      const failed = error?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(failed));
      else resolve();
    }),
  );
  await docker.getImage(`${server}/base:1`).remove();
}

/** The tenant's app `mine` at a commit whose Dockerfile is `dockerfile`. */
async function pushAsTenant(dockerfile: string) {
  const repo = await slipway.appRepo('dockerfile-app', `mine-${Date.now()}`);
  fs.writeFileSync(path.join(repo, 'Dockerfile'), dockerfile);
  await run('git', ['commit', '-qam', 'base image'], { cwd: repo, env: slipway.gitEnv(tenant) });
  return slipway.push(repo, { key: tenant, args: [slipway.remote('mine'), '+main'] });
}

const appOn = (image: string) =>
  `FROM ${image}\nWORKDIR /app\nCOPY server.js probe.js /app/\nCMD ["node", "/app/server.js"]\n`;

beforeAll(async () => {
  await registry.ensureRunning();
  await seedRegistry();
  await docker.getImage('slipway/stack:bookworm').tag({ repo: localOnly.split(':')[0]!, tag: '1' });
  await slipway.start();
  tenant = await addUser(slipway, 'tenant');
  await sshEachOrThrow(slipway, [
    ['apps:create', 'mine'],
    ['acl:add', 'mine', 'tenant'],
  ]);
});

afterAll(async () => {
  registry.stop();
  // The push left the stack image a digest reference under the registry's name too.
  const digests = orEmpty((await docker.getImage('slipway/stack:bookworm').inspect()).RepoDigests, []).filter((d) =>
    d.startsWith(`${server}/`),
  );
  for (const ref of [`${server}/base:1`, localOnly, ...digests])
    await docker
      .getImage(ref)
      .remove()
      .catch(() => {});
  await slipway.destroy();
});

describe('a Dockerfile FROM an image in a registry', () => {
  test('is pulled from its registry, which refuses a build that has no login for it', async () => {
    const pushed = await pushAsTenant(appOn(`${server}/base:1`));
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain(
      `Pulling ${server}/base:1 from ${server} failed (no registry:login for ${server}):`,
    );
    expect(pushed.output).not.toContain('Building mine from Dockerfile');
  });

  test('registry:login, checked with the registry first, lets the app’s builds pull it; the password is never shown', async () => {
    const password = registry.auth().password;
    const wrong = await slipway.ssh(['registry:login', 'mine', server, 'slipway', 'not-the-password'], { key: tenant });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain(`Login to ${server} failed`);
    expect(
      (await slipway.ssh(['registry:login', '--global', server, 'slipway', password], { key: tenant })).stderr,
    ).toContain('needs an admin key');
    // A registry an admin did not allow, on this host: the engine is not sent there, so no port is told apart from another.
    for (const elsewhere of ['127.0.0.1:1', `127.0.0.1:${slipway.sshPort}`]) {
      const probe = await slipway.ssh(['registry:login', 'mine', elsewhere, 'slipway', 'x'], { key: tenant });
      expect(probe.stderr).toContain(
        `Only an admin may log in to ${elsewhere}: it is not a registry at a public address`,
      );
    }

    const login = await slipway.ssh(['registry:login', '--password-stdin', 'mine', server, 'slipway'], {
      key: tenant,
      input: `${password}\n`,
    });
    expect(login.code, login.output).toBe(0);
    const report = await slipway.ssh(['registry:report', 'mine'], { key: tenant });
    expect(report.stdout).toContain(`${server} (slipway)`);
    expect(report.output).not.toContain(password);

    const pushed = await pushAsTenant(appOn(`${server}/base:1`));
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toContain(`Pulling ${server}/base:1 from ${server} as slipway`);
    expect(pushed.output).toMatch(/Step 1\/\d+ : FROM sha256:[a-f0-9]{64}/); // the image pulled, by its ID
    expect((await slipway.get(slipway.appHost('mine'))).body).toContain('hello from version 1');
    expect(pushed.output).not.toContain(password);
    expect((await slipway.ssh(['config:show', 'mine'])).output).not.toContain(password);
  });

  test('a pull that fails (an unknown image, the registry down) fails the push before building, and the app keeps serving', async () => {
    const unknown = await pushAsTenant(appOn(`${server}/missing:1`));
    expect(unknown.code).not.toBe(0);
    expect(unknown.output).toMatch(
      new RegExp(`Pulling ${server}/missing:1 from ${server} failed: .*(not found|unknown)`),
    );
    registry.stop();
    try {
      // The image pulled before is still here: the build does not fall back on it.
      const down = await pushAsTenant(appOn(`${server}/base:1`));
      expect(down.code).not.toBe(0);
      expect(down.output).toContain(`Pulling ${server}/base:1 from ${server} failed:`);
      expect(down.output).not.toContain('Building mine from Dockerfile');
    } finally {
      await registry.ensureRunning();
    }
    expect(unknown.output).not.toContain('Building mine from Dockerfile');
    expect((await slipway.get(slipway.appHost('mine'))).body).toContain('hello from version 1');
  });

  test('another app with no login cannot build on the copy this one pulled', async () => {
    const repo = await slipway.appRepo('dockerfile-app', 'nologin');
    fs.writeFileSync(path.join(repo, 'Dockerfile'), appOn(`${server}/base:1`));
    await slipway.commit(repo, 'base image');
    const pushed = await slipway.push(repo);
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain(
      `Pulling ${server}/base:1 from ${server} failed (no registry:login for ${server}):`,
    );
  });

  test('SLIPWAY_BUILD_IMAGES, when set, names the only registry images builds may pull (here a registry with a port)', async () => {
    const pushed = await pushAsTenant(appOn('node:20-alpine'));
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain(
      'The Dockerfile builds from node:20-alpine, which this app may not use: SLIPWAY_BUILD_IMAGES does not list it',
    );
  });
});

describe('images of this host', () => {
  let victimId: string;
  beforeAll(async () => {
    await pushOrThrow(slipway, await slipway.appRepo('dockerfile-app', 'secret'));
    victimId = (await docker.getImage(`${slipway.instance}/app-secret:v1`).inspect()).Id;
  });

  test.each([
    [
      'another app’s image',
      () => `${slipway.instance}/app-secret:v1`,
      "it is an image of this host (another app's or Slipway's)",
    ],
    ['another app’s image by its ID', () => victimId, 'an image ID names an image of this host'],
    ['a tag made on this host', () => localOnly, 'it is an image made on this host, not one from a registry'],
  ])('%s is refused before anything is pulled or built', async (_, image, why) => {
    const pushed = await pushAsTenant(`${appOn('slipway/stack:bookworm')}COPY --from=${image()} /app /stolen\n`);
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain(`The Dockerfile builds from ${image()}, which this app may not use: ${why}`);
    expect(pushed.output).not.toContain('Pulling');
    expect(pushed.output).not.toContain('Building mine from Dockerfile');
  });
});
