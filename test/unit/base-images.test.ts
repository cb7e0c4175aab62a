import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { classifyBaseImage, resolveBaseImages } from '../../src/builder/base-images.js';
import { fullName, parseImageRef } from '../../src/model/image-ref.js';
import { parseRegistryServer, storeRegistryLogin } from '../../src/builder/registry-logins.js';
import type { ProgressLog } from '../../src/model/progress.js';
import { Platform } from '../../src/platform.js';
import { REGISTRY_PROPERTY } from '../../src/registry/index.js';
import type { DockerEngine } from '../../src/runtime/docker/index.js';
import { RegistryError } from '../../src/runtime/docker/index.js';
import { loadSettings } from '../../src/settings.js';
import { GLOBAL_SCOPE, openState } from '../../src/state/index.js';

describe('image references', () => {
  test.each([
    ['node', 'docker.io/library/node:latest'],
    ['node:20-alpine', 'docker.io/library/node:20-alpine'],
    ['docker.io/library/node:20', 'docker.io/library/node:20'],
    ['index.docker.io/myorg/app:1', 'docker.io/myorg/app:1'],
    ['127.0.0.1:15555/base:1', '127.0.0.1:15555/base:1'],
    ['127.0.0.1:15555/base', '127.0.0.1:15555/base:latest'],
    ['localhost/a/b:c', 'localhost/a/b:c'],
    ['ghcr.io/org/app__x/y-z.w:v1.2', 'ghcr.io/org/app__x/y-z.w:v1.2'],
    [`node@sha256:${'a'.repeat(64)}`, `docker.io/library/node@sha256:${'a'.repeat(64)}`],
    [`reg:5000/n:1@sha256:${'b'.repeat(64)}`, `reg:5000/n@sha256:${'b'.repeat(64)}`],
  ])('%s is %s', (text, full) => {
    expect(fullName(parseImageRef(text)!)).toBe(full);
  });

  test.each([
    ['Node'],
    ['a//b'],
    ['a:'],
    ['reg:port/x'],
    ['a@sha256:abc'],
    [`sha256:${'c'.repeat(64)}`],
    ['-a'],
    ['a/-b'],
    ['x'.repeat(600)],
  ])('%s is not one', (text) => {
    expect(parseImageRef(text)).toBeUndefined();
  });

  test.each([
    ['127.0.0.1:15555', '127.0.0.1:15555'],
    ['https://index.docker.io/v1/', 'docker.io'],
    ['ghcr.io', 'ghcr.io'],
  ])('the registry server %s is kept as %s', (server, kept) => {
    expect(parseRegistryServer(server)).toBe(kept);
  });

  test.each([['a b'], ['host:port'], ['x:1:2'], ['-bad.io']])('the registry server %s is refused', (server) => {
    expect(() => parseRegistryServer(server)).toThrow('Invalid registry server');
  });
});

const silentLog = { step() {}, section() {}, detail() {}, error() {}, output() {}, raw() {}, mark() {} } as ProgressLog;

/** A registry image whose config carries an ONBUILD trigger. */
const TRIGGERED_ID = `sha256:${'e'.repeat(64)}`;

describe('what a Dockerfile may build from', () => {
  let dataDir: string;
  let platform: Platform;
  let pulls: { name: string; version: string; auth?: object; platform?: string }[];
  let local: Map<string, string[]>;

  const engine = {
    images: {
      async repoDigests(ref: string) {
        return local.get(ref);
      },
      async pull(name: string, version: string, options: { auth?: object; platform?: string }) {
        pulls.push({ name, version, auth: options.auth, platform: options.platform });
        if (name.endsWith('/missing')) throw new RegistryError('manifest unknown');
        return name.endsWith('/triggered') ? TRIGGERED_ID : `sha256:${String(pulls.length).repeat(64)}`;
      },
      async configOf(id: string) {
        return { config: { OnBuild: id === TRIGGERED_ID ? ['COPY --from=swtest/app-victim:latest / /loot'] : null } };
      },
    },
  } as unknown as DockerEngine;

  const open = (env: Record<string, string> = {}) => {
    const settings = loadSettings({
      SLIPWAY_DATA_DIR: dataDir,
      SLIPWAY_DOMAIN: 'example.test',
      SLIPWAY_INSTANCE: 'swtest',
      ...env,
    });
    platform = new Platform(settings, { state: openState(':memory:'), engine });
  };

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-base-images-'));
    pulls = [];
    local = new Map();
    open();
  });
  afterEach(() => {
    platform.state.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const kind = (ref: string) => classifyBaseImage(platform, 'shop', ref).kind;

  test('the stack images (and the service images beside them), the app’s own and scratch build as they are here', () => {
    for (const ref of [
      'slipway/stack:bookworm',
      'slipway/stack:bookworm-run',
      'slipway/stack:bookworm-postgres',
      'swtest/app-shop:v3',
      'scratch',
    ])
      expect(kind(ref)).toBe('local');
  });

  test('public images and images of a registry with a port are pulled', () => {
    for (const ref of ['node:20-alpine', '127.0.0.1:15555/base:1', `node@sha256:${'a'.repeat(64)}`])
      expect(kind(ref)).toBe('registry');
  });

  test.each([
    ['another app’s image', 'swtest/app-victim:v1', "it is an image of this host (another app's or Slipway's)"],
    [
      'a name in this host’s namespace, even one not made yet',
      'docker.io/swtest/app-later:v1',
      'it is an image of this host',
    ],
    ['an image ID', 'a'.repeat(64), 'an image ID names an image of this host'],
  ])('%s is refused', (_, ref, why) => {
    expect(() => kind(ref)).toThrow(`The Dockerfile builds from ${ref}, which this app may not use: ${why}`);
  });

  test('the cluster registry’s images are refused', () => {
    platform.state.properties.set(GLOBAL_SCOPE, REGISTRY_PROPERTY, '10.0.0.1:5000');
    expect(() => kind('10.0.0.1:5000/swtest/victim:v1')).toThrow('it is an image of this host');
  });

  test('SLIPWAY_BUILD_IMAGES, when set, is the only list: a registry with a port, a repository with every tag, one tag', () => {
    open({ SLIPWAY_BUILD_IMAGES: '127.0.0.1:15555/base, docker.io/library/node:20' });
    expect(kind('127.0.0.1:15555/base:1')).toBe('registry');
    expect(kind('node:20')).toBe('registry');
    expect(() => kind('node:21')).toThrow('SLIPWAY_BUILD_IMAGES does not list it');
    expect(() => kind('127.0.0.1:15556/base:1')).toThrow('SLIPWAY_BUILD_IMAGES does not list it');
    expect(kind('slipway/stack:bookworm')).toBe('local');
  });

  test('SLIPWAY_BUILD_IMAGES must name images', () => {
    expect(() => loadSettings({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BUILD_IMAGES: 'ok,Not An Image' })).toThrow();
  });

  test('a registry image is pulled with the app’s credentials for its registry (else the global ones) and pinned by ID', async () => {
    storeRegistryLogin(platform, GLOBAL_SCOPE, '127.0.0.1:15555', { username: 'everyone', password: 'g' });
    storeRegistryLogin(platform, GLOBAL_SCOPE, 'ghcr.io', { username: 'hub', password: 'h' });
    platform.state.apps.create('shop');
    storeRegistryLogin(platform, 'shop', '127.0.0.1:15555', { username: 'shop', password: 's3cret' });
    const dockerfile =
      'FROM --platform=linux/amd64 127.0.0.1:15555/base:1 AS b\nFROM ghcr.io/o/x\nCOPY --from=b /a /a\nCOPY --from=node:20 /n /n\n';
    const built = await resolveBaseImages(platform, 'shop', dockerfile, silentLog);
    expect(pulls).toEqual([
      {
        name: '127.0.0.1:15555/base',
        version: '1',
        auth: { username: 'shop', password: 's3cret', serveraddress: '127.0.0.1:15555' },
        platform: 'linux/amd64',
      },
      {
        name: 'ghcr.io/o/x',
        version: 'latest',
        auth: { username: 'hub', password: 'h', serveraddress: 'ghcr.io' },
        platform: undefined,
      },
      { name: 'docker.io/library/node', version: '20', auth: undefined, platform: undefined },
    ]);
    expect(built).toBe(
      `FROM --platform=linux/amd64 sha256:${'1'.repeat(64)} AS b\nFROM sha256:${'2'.repeat(64)}\nCOPY --from=b /a /a\nCOPY --from=sha256:${'3'.repeat(64)} /n /n\n`,
    );
  });

  test('a tag made on this host is refused, not pulled over; one pulled from its registry is pulled again', async () => {
    local.set('docker.io/library/mine:1', []);
    local.set('docker.io/library/node:20', ['node@sha256:' + 'd'.repeat(64)]);
    await expect(
      resolveBaseImages(platform, 'shop', 'FROM node:20\nCOPY --from=mine:1 /a /a\n', silentLog),
    ).rejects.toThrow(
      'The Dockerfile builds from mine:1, which this app may not use: it is an image made on this host, not one from a registry',
    );
    expect(await resolveBaseImages(platform, 'shop', 'FROM node:20\n', silentLog)).toMatch(/^FROM sha256:/);
  });

  test('a registry on this host or a private network needs an admin’s word: a global login, or the allow-list', async () => {
    for (const image of ['127.0.0.1:15555/base:1', 'localhost:5000/base:1', '10.1.2.3:5000/x']) {
      await expect(resolveBaseImages(platform, 'shop', `FROM ${image}\n`, silentLog)).rejects.toThrow(
        'its registry is on this host or a private network',
      );
    }
    expect(pulls).toEqual([]);
    storeRegistryLogin(platform, GLOBAL_SCOPE, '127.0.0.1:15555', { username: 'admin', password: 'a' });
    await resolveBaseImages(platform, 'shop', 'FROM 127.0.0.1:15555/base:1\n', silentLog);
    open({ SLIPWAY_BUILD_IMAGES: '10.1.2.3:5000/x' });
    await resolveBaseImages(platform, 'shop', 'FROM 10.1.2.3:5000/x\n', silentLog);
    expect(pulls.map((p) => p.name)).toEqual(['127.0.0.1:15555/base', '10.1.2.3:5000/x']);
  });

  test('nothing is pulled for a Dockerfile that is refused; a failed pull says which image and why', async () => {
    storeRegistryLogin(platform, GLOBAL_SCOPE, '127.0.0.1:15555', { username: 'admin', password: 'a' });
    await expect(
      resolveBaseImages(platform, 'shop', 'FROM node:20\nCOPY --from=swtest/app-victim:v1 /a /a\n', silentLog),
    ).rejects.toThrow('which this app may not use');
    expect(pulls).toEqual([]);
    await expect(resolveBaseImages(platform, 'shop', 'FROM 127.0.0.1:15555/missing:1\n', silentLog)).rejects.toThrow(
      'Pulling 127.0.0.1:15555/missing:1 from 127.0.0.1:15555 failed: manifest unknown',
    );
  });

  test('a variable with no default names no image', () => {
    expect(() => kind('$BASE')).toThrow('through a variable with no default');
  });
  test('no build has ONBUILD triggers: none in the Dockerfile, none in an image it pulls', async () => {
    const written = resolveBaseImages(
      platform,
      'shop',
      'FROM slipway/stack:bookworm\nONBUILD COPY --from=swtest/app-victim:latest / /loot\n',
      silentLog,
    );
    await expect(written).rejects.toThrow('The Dockerfile has ONBUILD on line 2');
    expect(pulls).toEqual([]);
    await expect(resolveBaseImages(platform, 'shop', 'FROM ghcr.io/someone/triggered:1\n', silentLog)).rejects.toThrow(
      'The Dockerfile builds from ghcr.io/someone/triggered:1, which this app may not use: it has ONBUILD triggers (1)',
    );
  });
});
