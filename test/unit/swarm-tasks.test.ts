import net from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { keepConverging, Reconciler } from '../../src/deploy/reconcile.js';
import type { DomainEvent } from '../../src/events/domain.js';
import { Platform, SCHEDULER_PROPERTY } from '../../src/platform.js';
import type { DeployQueue } from '../../src/queue/deploy-queue.js';
import type { DockerEngine, SwarmNode, SwarmServiceSummary, SwarmTask } from '../../src/runtime/docker/index.js';
import type { InstanceEvent } from '../../src/runtime/scheduler.js';
import { DockerSwarmScheduler } from '../../src/runtime/swarm/scheduler.js';
import { SwarmManager } from '../../src/runtime/swarm/manager.js';
import { taskEvents, type Reach, type WatchedTask } from '../../src/runtime/swarm/tasks.js';
import { GLOBAL_SCOPE } from '../../src/state/index.js';
import {
  FakeQueue,
  FakeRouter,
  fakeLogs,
  imagesAllHere,
  MemoryLocks,
  succeededRelease,
  unitPlatform,
} from '../support/fakes.js';

// The swarm scheduler against a manager that answers from a table of services and tasks:
// what it reports while Swarm moves a task (nodes:drain), and what the reconciler does then.

const node = (id: string, address: string): SwarmNode => ({
  id,
  hostname: `node${id.slice(1)}`,
  address,
  role: id === 'n1' ? 'manager' : 'worker',
  leader: id === 'n1',
  state: 'ready',
  availability: id === 'n3' ? 'drain' : 'active',
  labels: {},
  engineVersion: '20.10',
  version: 1,
});

const task = (
  id: string,
  slot: number,
  nodeId: string,
  state: string,
  desiredState: string,
  created: number,
): SwarmTask => ({
  id,
  serviceId: 'svc1',
  slot,
  nodeId,
  state,
  desiredState,
  error: undefined,
  exitCode: undefined,
  containerId: state === 'running' ? `c-${id}` : undefined,
  publishedPorts: state === 'running' ? [30000 + slot] : [],
  created,
});

/** A manager's view of one app's web service of v1, three slots. */
class FakeSwarm {
  nodes = [node('n1', '10.0.0.11'), node('n2', '10.0.0.12'), node('n3', '10.0.0.13')];
  services: SwarmServiceSummary[] = [
    {
      id: 'svc1',
      name: 'slipway-shop-web-abc123',
      labels: {
        'slipway.instance': 'slipway',
        'slipway.app': 'shop',
        'slipway.process': 'web',
        'slipway.release': '1',
        'slipway.port': '5000',
      },
      replicas: 3,
      version: 1,
    },
  ];
  tasks: SwarmTask[] = [
    task('t1', 1, 'n1', 'running', 'running', 100),
    task('t2', 2, 'n2', 'running', 'running', 100),
    task('t3', 3, 'n3', 'running', 'running', 100),
  ];
  calls: string[] = [];
  /** How many times the watch has listed the tasks. */
  looks = 0;

  /** What Swarm does on `nodes:drain n3`: t3 is to stop, and its slot's new task waits on node 1 until it has. */
  drainThird() {
    this.tasks = this.tasks.map((t) => (t.id === 't3' ? { ...t, desiredState: 'shutdown' } : t));
    this.tasks.push(task('t4', 3, 'n1', 'assigned', 'ready', 200));
  }

  /** The old task stopped: the new one starts. */
  startFourth() {
    this.tasks = this.tasks.map((t) =>
      t.id === 't3' ? { ...t, state: 'shutdown' } : t.id === 't4' ? task('t4', 3, 'n1', 'running', 'running', 200) : t,
    );
  }

  engine(): DockerEngine {
    const swarm = {
      info: async () => ({ state: 'active', nodeId: 'n1', isManager: true, managerAddress: '10.0.0.11' }),
      nodes: async () => this.nodes,
      services: async () => this.services,
      service: async (id: string) => this.services.find((s) => s.id === id),
      tasks: async (filter: { serviceId?: string; nodeId?: string; desiredState?: string | string[] }) => {
        if (filter.desiredState === 'running') this.looks++;
        const desired = filter.desiredState === undefined ? undefined : [filter.desiredState].flat();
        return this.tasks
          .filter(
            (t) =>
              (!filter.serviceId || t.serviceId === filter.serviceId) &&
              (!filter.nodeId || t.nodeId === filter.nodeId) &&
              (!desired || desired.includes(t.desiredState)),
          )
          .sort((a, b) => b.created - a.created);
      },
      task: async (id: string) => this.tasks.find((t) => t.id === id),
      removeService: async (id: string) => {
        this.calls.push(`remove ${id}`);
        this.services = this.services.filter((s) => s.id !== id);
        this.tasks = this.tasks.filter((t) => t.serviceId !== id);
      },
      scaleService: async (id: string, replicas: number) => {
        this.calls.push(`scale ${id} ${replicas}`);
      },
    };
    return { ...imagesAllHere, swarm } as unknown as DockerEngine;
  }
}

let swarm: FakeSwarm;
let scheduler: DockerSwarmScheduler;

beforeEach(() => {
  swarm = new FakeSwarm();
  scheduler = new DockerSwarmScheduler(swarm.engine(), {
    instance: 'slipway',
    pidsLimit: 4096,
    stopTimeoutSeconds: 10,
    registry: () => undefined,
    checksTimeoutMs: 1000,
    checksSettleMs: 0,
    startTimeoutMs: 1000,
    constraintsOf: () => [],
    encryptedOf: () => false,
    guardImage: 'slipway/stack:bookworm',
  });
});

describe('while Swarm moves a task off a drained node', () => {
  test('each slot shows once, with its node: the moving one as restarting on the node it goes to', async () => {
    swarm.drainThird();
    const instances = await scheduler.instances('shop');
    expect(instances.map((i) => [i.name, i.running, i.restarting, i.node, i.endpoint?.host])).toEqual([
      ['slipway-shop-web-abc123.1', true, false, 'node1', '10.0.0.11'],
      ['slipway-shop-web-abc123.2', true, false, 'node2', '10.0.0.12'],
      ['slipway-shop-web-abc123.3', false, true, 'node1', undefined],
    ]);
  });

  test('retiring what was listed then removes the whole service, though the moved task has started since', async () => {
    swarm.drainThird();
    const listed = await scheduler.instances('shop');
    swarm.startFourth();
    await scheduler.retire(listed);
    expect(swarm.calls).toEqual(['remove svc1']);
  });

  test('nodes:report lists the tasks on a node, the one starting there too', async () => {
    swarm.drainThird();
    const manager = new SwarmManager(swarm.engine(), 'slipway');
    expect(await manager.tasksOn(swarm.nodes[0]!)).toEqual([
      { app: 'shop', process: 'web', index: 1, release: 1, state: 'running' },
      { app: 'shop', process: 'web', index: 3, release: 1, state: 'assigned' },
    ]);
    expect(await manager.tasksOn(swarm.nodes[2]!)).toEqual([]);
  });
});

describe('the reconciler on a swarm', () => {
  let dispose: () => void;
  let platform: Platform;
  let queue: FakeQueue;

  beforeEach(() => {
    queue = new FakeQueue();
    ({ platform, dispose } = unitPlatform(
      {
        engine: swarm.engine(),
        schedulers: [scheduler],
        router: new FakeRouter([]),
        logs: fakeLogs,
        locks: new MemoryLocks(),
        queue: queue as unknown as DeployQueue,
      },
      { env: { SLIPWAY_INSTANCE: 'slipway' } },
    ));
    platform.state.properties.set(GLOBAL_SCOPE, SCHEDULER_PROPERTY, 'swarm');
    platform.state.apps.create('shop');
    platform.state.apps.setFormation('shop', { web: 3 });
    succeededRelease(platform.state, 'shop');
  });

  afterEach(() => dispose());

  test('leaves a slot Swarm is moving to Swarm: no restart deploy, nothing retired', async () => {
    swarm.drainThird();
    const found = await new Reconciler(platform, () => {}).app('shop');
    expect(found.filter((line) => !line.startsWith('routed'))).toEqual([]);
    expect(queue.jobs).toEqual([]);
    expect(swarm.calls).toEqual([]);
  });

  test('a task that exits on a node that is up is app.crashed, naming its process; the tasks of a node that goes down are not (node.down tells it)', async () => {
    // No published ports: nothing to probe, a task is live while it runs on a node that is up.
    swarm.tasks = swarm.tasks.map((t) => ({ ...t, publishedPorts: [] }));
    const told: DomainEvent[] = [];
    platform.events.subscribe((event) => told.push(event));
    const watching = new AbortController();
    try {
      await keepConverging(platform, () => {}, watching.signal);
      const looked = async (after: number) => until(() => swarm.looks > after + 1);
      await looked(swarm.looks);
      swarm.tasks = swarm.tasks.map((t) => (t.id === 't2' ? { ...t, state: 'failed', exitCode: 1 } : t));
      await until(() => told.some((e) => e.type === 'app.crashed'));
      swarm.nodes = swarm.nodes.map((n) => (n.id === 'n3' ? { ...n, state: 'down' } : n));
      await until(() => told.some((e) => e.type === 'node.down'));
      await looked(swarm.looks);
    } finally {
      watching.abort();
    }
    expect(told.filter((e) => e.type === 'app.crashed' || e.type === 'node.down')).toEqual([
      expect.objectContaining({ type: 'app.crashed', app: 'shop', process: 'web', container: 't2' }),
      expect.objectContaining({ type: 'node.down', node: 'node3', address: '10.0.0.13' }),
    ]);
  }, 20_000);
});

describe('the watch: a task nginx cannot reach is out at once', () => {
  const reachable: Reach = { nodeDown: () => false, unanswered: () => false };
  const watched = (running = true): WatchedTask => ({
    app: 'shop',
    process: 'web',
    running,
    nodeId: 'n3',
    endpoint: '10.0.0.13:30003',
  });

  test('a task whose endpoint stops answering, or whose node is down, dies unreachable; one that answers again starts', () => {
    const tasks = new Map([['t3', watched()]]);
    expect(taskEvents(tasks, tasks, reachable, { ...reachable, unanswered: (e) => e === '10.0.0.13:30003' })).toEqual([
      { action: 'die', id: 't3', app: 'shop', process: 'web', unreachable: true },
    ]);
    expect(taskEvents(tasks, new Map(), reachable, { ...reachable, nodeDown: (id) => id === 'n3' })).toEqual([
      { action: 'die', id: 't3', app: 'shop', process: 'web', unreachable: true },
    ]);
    expect(taskEvents(tasks, tasks, { ...reachable, unanswered: () => true }, reachable)).toEqual([
      { action: 'start', id: 't3', app: 'shop', process: 'web' },
    ]);
  });

  test('a task that stops or goes on a node that is up just dies; nothing changed, nothing said', () => {
    const tasks = new Map([['t3', watched()]]);
    expect(taskEvents(tasks, new Map([['t3', watched(false)]]), reachable, reachable)).toEqual([
      { action: 'die', id: 't3', app: 'shop', process: 'web' },
    ]);
    expect(taskEvents(tasks, new Map(), reachable, reachable)).toEqual([
      { action: 'die', id: 't3', app: 'shop', process: 'web' },
    ]);
    expect(taskEvents(tasks, tasks, reachable, reachable)).toEqual([]);
  });

  test('the scheduler probes every web task: one whose port stops answering dies unreachable and loses its endpoint until it answers again', async () => {
    const servers = await Promise.all([1, 2, 3].map(() => listening()));
    swarm.nodes = swarm.nodes.map((n) => ({ ...n, address: '127.0.0.1' }));
    const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
    swarm.tasks = swarm.tasks.map((t, i) => ({ ...t, publishedPorts: [ports[i]!] }));
    const events: InstanceEvent[] = [];
    const watching = new AbortController();
    await scheduler.watch((event) => events.push(event), watching.signal);
    try {
      await until(() => events.filter((e) => e.action === 'start').length === 3);
      await new Promise((resolve) => servers[2]!.close(resolve));
      await until(() => events.some((e) => e.action === 'die'));
      expect(events.filter((e) => e.action === 'die')).toEqual([
        { action: 'die', id: 't3', app: 'shop', process: 'web', unreachable: true },
      ]);
      expect((await scheduler.instances('shop')).map((i) => i.endpoint?.port)).toEqual([ports[0], ports[1], undefined]);

      servers[2] = await listening(ports[2]);
      await until(() => events.filter((e) => e.action === 'start').length === 4);
      expect(events.at(-1)).toEqual({ action: 'start', id: 't3', app: 'shop', process: 'web' });
      expect((await scheduler.instances('shop'))[2]?.endpoint).toEqual({ host: '127.0.0.1', port: ports[2] });
    } finally {
      watching.abort();
      servers.forEach((server) => server.close());
    }
  }, 20_000);
});

function listening(port = 0): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => socket.destroy()).listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > 15_000) throw new Error('not within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
