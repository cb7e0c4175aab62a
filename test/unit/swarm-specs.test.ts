import { describe, expect, test } from 'vitest';
import type { ProcessSpec } from '../../src/runtime/scheduler.js';
import {
  constraintProblem,
  literalTemplateText,
  processService,
  processServiceName,
  swarmAppNetworkName,
} from '../../src/runtime/swarm/specs.js';

// What the swarm scheduler asks a manager for, asserted whole.
const target = { instance: 'slipway', pidsLimit: 4096, stopTimeoutSeconds: 10 };

const web: ProcessSpec = {
  app: 'shop',
  release: 7,
  image: 'slipway/app-shop:v7',
  process: 'web',
  env: { GREETING: 'a {{.Node.Hostname}} b', SLIPWAY_APP: 'shop' },
  port: 5000,
  cmd: ['/usr/local/bin/slipway-launch', 'node server.js'],
  options: {
    restartPolicy: { name: 'on-failure', maximumRetryCount: 5 },
    memoryBytes: 512 * 1024 ** 2,
    nanoCpus: 500_000_000,
  },
  binds: ['/var/lib/slipway/storage/shop:/data:ro'],
};

const labels = {
  'slipway.instance': 'slipway',
  'slipway.app': 'shop',
  'slipway.process': 'web',
  'slipway.release': '7',
  'slipway.port': '5000',
};

describe('the service of a process type', () => {
  test('runs the image by digest on the app’s overlay network, publishing web in host mode', () => {
    const body = processService(target, web, {
      name: 'slipway-shop-web-a1b2c3',
      image: '10.0.0.5:5000/slipway/shop@sha256:abc',
      count: 3,
      network: 'slipway-swarm-shop',
      constraints: ['node.labels.tier==web'],
    });
    expect(body).toEqual({
      Name: 'slipway-shop-web-a1b2c3',
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: {
          Image: '10.0.0.5:5000/slipway/shop@sha256:abc',
          Args: ['/usr/local/bin/slipway-launch', 'node server.js'],
          // The app's values are text, never templates; DYNO is the one template, from the slot.
          Env: ['GREETING=a {{"{{"}}.Node.Hostname}} b', 'SLIPWAY_APP=shop', 'DYNO=web.{{.Task.Slot}}', 'PORT=5000'],
          Labels: {
            ...labels,
            'slipway.index': '',
            'slipway.deploy': '',
            'slipway.service': '',
            'slipway.one-off': '',
          },
          Init: true,
          Mounts: [{ Type: 'bind', Source: '/var/lib/slipway/storage/shop', Target: '/data', ReadOnly: true }],
          StopGracePeriod: 10e9,
        },
        Resources: { Limits: { MemoryBytes: 512 * 1024 ** 2, NanoCPUs: 500_000_000, Pids: 4096 } },
        RestartPolicy: { Condition: 'on-failure', Delay: 1e9, MaxAttempts: 5 },
        Placement: { Constraints: ['node.labels.tier==web'] },
        Networks: [{ Target: 'slipway-swarm-shop' }],
        LogDriver: { Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '3' } },
      },
      Mode: { Replicated: { Replicas: 3 } },
      UpdateConfig: { Parallelism: 1, Order: 'start-first', FailureAction: 'rollback', Monitor: 5e9 },
      RollbackConfig: { Parallelism: 1, Order: 'start-first' },
      EndpointSpec: { Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: 5000, PublishMode: 'host' }] },
    });
  });

  test('a worker publishes nothing, and `no` restarts are none', () => {
    const worker = { ...web, process: 'worker', port: undefined, options: { restartPolicy: { name: 'no' } } };
    const body = processService(target, worker, {
      name: 'n',
      image: 'i',
      count: 1,
      network: 'net',
      constraints: [],
    }) as {
      EndpointSpec: unknown;
      TaskTemplate: { RestartPolicy: unknown };
    };
    expect(body.EndpointSpec).toEqual({ Mode: 'dnsrr' });
    expect(body.TaskTemplate.RestartPolicy).toEqual({ Condition: 'none', Delay: 1e9, MaxAttempts: 0 });
  });
});

describe('names', () => {
  test('service and network names are DNS name components of at most 63 characters', () => {
    expect(processServiceName(target, 'shop', 'web', 'a1b2c3')).toBe('slipway-shop-web-a1b2c3');
    expect(processServiceName(target, 'shop', 'queue_worker', 'a1b2c3')).toBe('slipway-shop-queue-worker-a1b2c3');
    const long = processServiceName(target, 'a'.repeat(60), 'web', 'a1b2c3');
    expect(long).toHaveLength(63);
    expect(long.endsWith('-a1b2c3')).toBe(true);
    expect(swarmAppNetworkName(target, 'shop')).toBe('slipway-swarm-shop');
  });

  test('template text in a value is kept literal', () => {
    expect(literalTemplateText('{{x}} and {{')).toBe('{{"{{"}}x}} and {{"{{"}}');
    expect(literalTemplateText('plain }}')).toBe('plain }}');
  });
});

describe('placement constraints', () => {
  test.each([
    'node.labels.tier==web',
    'node.hostname!=node2',
    'node.role==manager',
    'engine.labels.ssd==true',
    'node.id==abc123',
  ])('%s is taken', (c) => {
    expect(constraintProblem(c)).toBeUndefined();
  });
  test.each(['rm -rf /', 'node.labels.tier', 'node.labels.a==b;c', 'node.cpus>2', `node.labels.x==${'y\n'}`])(
    '%j is refused',
    (c) => {
      expect(constraintProblem(c)).toMatch(/^Invalid constraint/);
    },
  );
});
