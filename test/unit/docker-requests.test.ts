import { describe, expect, test } from 'vitest';
import { containerRequest, execRequest, oneOffRequest } from '../../src/runtime/docker/index.js';
import { oneOffContainer, processContainer, serviceContainer } from '../../src/runtime/local/specs.js';
import type { ProcessSpec } from '../../src/runtime/scheduler.js';

// What the local scheduler asks Docker for, asserted whole, as Kamal asserts its docker lines.
const target = { instance: 'slipway', pidsLimit: 4096 };

const web: ProcessSpec = {
  app: 'shop',
  release: 7,
  image: 'slipway/app-shop:v7',
  process: 'web',
  env: { GREETING: 'a b "c"', SLIPWAY_APP: 'shop' },
  port: 5000,
  cmd: ['/usr/local/bin/slipway-launch', 'node server.js'],
  options: {
    restartPolicy: { name: 'on-failure', maximumRetryCount: 5 },
    memoryBytes: 512 * 1024 ** 2,
    nanoCpus: 500_000_000,
  },
  binds: ['/var/lib/slipway/storage/shop:/data:ro'],
};

const NO_LABELS = {
  'slipway.instance': '',
  'slipway.app': '',
  'slipway.process': '',
  'slipway.index': '',
  'slipway.release': '',
  'slipway.deploy': '',
  'slipway.service': '',
  'slipway.port': '',
  'slipway.one-off': '',
};

describe('an app process container', () => {
  test('carries its labels, environment, limits, restart policy, mounts and network', () => {
    expect(containerRequest(processContainer(target, web, 2, 'a1b2c3'))).toEqual({
      name: 'slipway.shop.web.2.a1b2c3',
      body: {
        Image: 'slipway/app-shop:v7',
        Env: ['GREETING=a b "c"', 'SLIPWAY_APP=shop', 'DYNO=web.2', 'PORT=5000'],
        // Every Slipway label is set, empty when it does not apply: none comes from the image.
        Labels: {
          'slipway.instance': 'slipway',
          'slipway.app': 'shop',
          'slipway.process': 'web',
          'slipway.index': '2',
          'slipway.release': '7',
          'slipway.deploy': '',
          'slipway.service': '',
          'slipway.port': '5000',
          'slipway.one-off': '',
        },
        Cmd: ['/usr/local/bin/slipway-launch', 'node server.js'],
        ExposedPorts: undefined,
        HostConfig: {
          NetworkMode: 'slipway.app.shop',
          RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 },
          Memory: 536870912,
          NanoCpus: 500000000,
          PidsLimit: 4096,
          Init: true,
          Binds: ['/var/lib/slipway/storage/shop:/data:ro'],
          PortBindings: undefined,
          LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
        },
        NetworkingConfig: { EndpointsConfig: { 'slipway.app.shop': { Aliases: undefined } } },
      },
    });
  });

  test('a worker gets no PORT and runs the image’s own command when the Procfile has none', () => {
    const { body } = containerRequest(
      processContainer(target, { ...web, process: 'worker', port: undefined, cmd: undefined }, 1, 'x'),
    );
    expect(body.Env).toEqual(['GREETING=a b "c"', 'SLIPWAY_APP=shop', 'DYNO=worker.1', 'PORT=']);
    expect(body.Cmd).toBeUndefined();
  });
});

describe('a service container', () => {
  const postgres = {
    kind: 'postgres',
    name: 'db',
    title: 'Postgres',
    image: 'slipway/stack:bookworm-postgres',
    env: { SLIPWAY_SERVICE_PASSWORD: 'secret', SLIPWAY_SERVICE_DATABASE: 'db' },
    dataPath: '/var/lib/postgresql/data',
    port: 5432,
    exposedPort: null,
    host: 'postgres-db',
    appNetworks: ['slipway.app.shop'],
  };

  test('has its volume, its own network with its DNS name, and no host port', () => {
    expect(containerRequest(serviceContainer(target, postgres))).toEqual({
      name: 'slipway.postgres.db',
      body: {
        Image: 'slipway/stack:bookworm-postgres',
        Env: ['SLIPWAY_SERVICE_PASSWORD=secret', 'SLIPWAY_SERVICE_DATABASE=db'],
        Labels: { ...NO_LABELS, 'slipway.instance': 'slipway', 'slipway.service': 'postgres.db' },
        Cmd: undefined,
        ExposedPorts: undefined,
        HostConfig: {
          NetworkMode: 'slipway.service.postgres.db',
          RestartPolicy: { Name: 'unless-stopped' },
          Memory: undefined,
          NanoCpus: undefined,
          PidsLimit: 4096,
          Init: true,
          Binds: ['slipway-postgres-db:/var/lib/postgresql/data'],
          PortBindings: undefined,
          LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
        },
        NetworkingConfig: { EndpointsConfig: { 'slipway.service.postgres.db': { Aliases: ['postgres-db'] } } },
      },
    });
  });

  test('is published on the host port it is exposed on', () => {
    const { body } = containerRequest(serviceContainer(target, { ...postgres, exposedPort: 15432 }));
    expect(body.ExposedPorts).toEqual({ '5432/tcp': {} });
    expect((body.HostConfig as Record<string, unknown>).PortBindings).toEqual({ '5432/tcp': [{ HostPort: '15432' }] });
  });
});

describe('a one-off container', () => {
  const run = oneOffContainer(
    target,
    {
      app: 'shop',
      image: 'slipway/app-shop:v7',
      cmd: ['/bin/sh', '-c', 'rake db:migrate'],
      env: { DYNO: 'run.42', A: '1' },
      binds: [],
    },
    'ff00aa',
  );

  test('is labelled a one-off, so no deploy retires it', () => {
    expect(oneOffRequest(run, 'output')).toEqual({
      name: 'slipway.shop.run.42.ff00aa',
      body: {
        Image: 'slipway/app-shop:v7',
        Cmd: ['/bin/sh', '-c', 'rake db:migrate'],
        Env: ['DYNO=run.42', 'A=1'],
        Labels: {
          ...NO_LABELS,
          'slipway.instance': 'slipway',
          'slipway.app': 'shop',
          'slipway.process': 'run',
          'slipway.one-off': 'true',
        },
        Tty: false,
        HostConfig: { Binds: [], NetworkMode: 'slipway.app.shop', Init: true, PidsLimit: 4096 },
      },
    });
  });

  test('on a terminal, takes the client’s input and terminal type', () => {
    const { body } = oneOffRequest(run, 'terminal', 'screen-256color');
    expect(body).toMatchObject({
      Tty: true,
      OpenStdin: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    expect(body.Env).toEqual(['DYNO=run.42', 'A=1', 'TERM=screen-256color']);
  });

  test('detached, keeps its logs bounded like a process container', () => {
    expect(oneOffRequest(run, 'detached').body.HostConfig).toEqual({
      Binds: [],
      NetworkMode: 'slipway.app.shop',
      Init: true,
      PidsLimit: 4096,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    });
  });

  test('a standby is removed by the engine once its command ends', () => {
    expect(oneOffRequest(run, 'standby').body.HostConfig).toEqual({
      Binds: [],
      NetworkMode: 'slipway.app.shop',
      Init: true,
      PidsLimit: 4096,
      AutoRemove: true,
    });
  });
});

test('an exec runs its command as the given user, with a terminal only when asked', () => {
  expect(execRequest(['psql', '-d', 'db'], { user: 'postgres', env: { PGX: '1' }, stdin: true })).toEqual({
    Cmd: ['psql', '-d', 'db'],
    User: 'postgres',
    Env: ['PGX=1'],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  expect(execRequest(['bash'], { stdin: true, term: 'xterm' })).toMatchObject({ Env: ['TERM=xterm'], Tty: true });
});
