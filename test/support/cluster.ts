import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { freePort } from './ports.js';
import { run, type RunResult } from './slipway.js';

const SCRIPT = new URL('../../scripts/test-cluster', import.meta.url).pathname;

export interface ClusterNode {
  socket: string;
  address: string;
  docker: Docker;
}

/**
 * The cluster of scripts/test-cluster for one test file: engines in network namespaces on a
 * bridge, the host at `hostAddress` on it. The swarm is made by the Slipway under test.
 */
export class TestCluster {
  hostAddress = '';
  nodes: ClusterNode[] = [];
  private release?: () => void;
  /** The network namespace of a host on the nodes' network that is neither the manager nor a node. */
  outsider = '';

  async up(count: number): Promise<void> {
    this.release = await clusterTurn();
    await run(SCRIPT, ['down']); // one a crashed run left behind
    const started = await run(SCRIPT, ['up', String(count)]);
    if (started.code !== 0) throw new Error(`scripts/test-cluster up failed:\n${started.output}`);
    const env = Object.fromEntries(
      started.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('=') as [string, string]),
    );
    this.hostAddress = env.SLIPWAY_CLUSTER_HOST_ADDRESS!;
    this.outsider = env.SLIPWAY_CLUSTER_OUTSIDER_NETNS!;
    this.nodes = Array.from({ length: count }, (_, i) => {
      const socket = env[`SLIPWAY_CLUSTER_NODE${i + 1}_SOCKET`]!;
      return {
        socket,
        address: env[`SLIPWAY_CLUSTER_NODE${i + 1}_ADDRESS`]!,
        docker: new Docker({ socketPath: socket, version: 'v1.41' }),
      };
    });
  }

  async down(): Promise<void> {
    await run(SCRIPT, ['down']);
    this.release?.();
  }

  /** Copies images from the host's engine into a node's (there is no registry to pull them from). */
  async loadImages(node: ClusterNode, images: string[]): Promise<void> {
    // `docker save` of several images; dockerode has the call but not its type.
    const host = new Docker({ socketPath: '/var/run/docker.sock' }) as unknown as {
      getImages(options: { names: string[] }): Promise<NodeJS.ReadableStream>;
    };
    const archive = await host.getImages({ names: images });
    const stream = await node.docker.loadImage(archive);
    await new Promise<void>((resolve, reject) =>
      node.docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** The node drops off the network, as a host that loses power or its link. */
  async cut(node: ClusterNode): Promise<void> {
    const index = this.nodes.indexOf(node) + 1;
    const cut = await run('ip', ['-n', `slwcl-n${index}`, 'link', 'set', 'eth0', 'down']);
    if (cut.code !== 0) throw new Error(cut.output);
  }

  /** Whether a TCP connection to address:port opens from the outsider's namespace (within 3 s), and from this host's. */
  async connects(address: string, port: number): Promise<{ fromOutsider: boolean; fromHost: boolean }> {
    const probe = `const s = require('net').connect({ host: '${address}', port: ${port}, timeout: 3000 });
      s.on('connect', () => process.exit(0)); s.on('timeout', () => process.exit(1)); s.on('error', () => process.exit(1));`;
    const [outside, inside] = await Promise.all([
      run('nsenter', [`--net=/var/run/netns/${this.outsider}`, process.execPath, '-e', probe]),
      run(process.execPath, ['-e', probe]),
    ]);
    return { fromOutsider: outside.code === 0, fromHost: inside.code === 0 };
  }

  /** Runs what `nodes:join-command` printed on a node, as an operator would on a new host (its engine is up already). */
  async join(node: ClusterNode, joinCommand: string): Promise<void> {
    const [script, ...args] = joinCommand.trim().split(/\s+/);
    const joined = await run(
      new URL(`../../${script}`, import.meta.url).pathname,
      [...args, '--advertise-addr', node.address],
      {
        env: { ...process.env, DOCKER_HOST: `unix://${node.socket}` },
      },
    );
    if (joined.code !== 0) throw new Error(`${script} failed:\n${joined.output}`);
  }
}

/**
 * Waits for this process's turn at the cluster and holds it until the returned function is
 * called (or the process ends): the cluster's bridge, namespaces and addresses are fixed, so
 * one test file at a time on this machine may have it up (swarm.test.ts, walkthrough.test.ts,
 * the benchmarks), also when files run in parallel or another checkout runs its tests.
 */
export async function clusterTurn(): Promise<() => void> {
  // flock(1) holds the lock while `cat` waits for its input: ending that input releases it.
  const holder = spawn('flock', [CLUSTER_LOCK, 'sh', '-c', 'echo held; exec cat'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`flock ${CLUSTER_LOCK} exited with ${code}`)));
  });
  return () => holder.stdin.end();
}
const CLUSTER_LOCK = '/tmp/slipway-cluster.lock';

/**
 * A Slipway under test as a swarm manager's host: node 1's engine is its own (it builds
 * there), its registry listens on the host's bridge address. Call before `slipway.start()`.
 */
export async function asManagerOf(cluster: TestCluster, settings: NodeJS.ProcessEnv): Promise<void> {
  const manager = cluster.nodes[0]!;
  await cluster.loadImages(manager, ['slipway/stack:bookworm', 'slipway/stack:bookworm-postgres']);
  Object.assign(settings, {
    SLIPWAY_DOCKER_SOCKET: manager.socket,
    SLIPWAY_REGISTRY_ADDRESS: `${cluster.hostAddress}:${await freePort()}`,
  });
}

/** scheduler-swarm:init on node 1, the other nodes joined with what nodes:join-command prints. */
export async function makeSwarm(cluster: TestCluster, ssh: (command: string[]) => Promise<RunResult>): Promise<void> {
  const init = await ssh(['scheduler-swarm:init', '--advertise-addr', cluster.nodes[0]!.address]);
  if (init.code !== 0) throw new Error(init.output);
  const join = await ssh(['nodes:join-command']);
  if (join.code !== 0) throw new Error(join.output);
  for (const node of cluster.nodes.slice(1)) await cluster.join(node, join.stdout);
}

/** What the daemon leaves behind on purpose (its registry, the registry's CA in certs.d) goes. */
export function removeRegistry(dataDir: string, settings: NodeJS.ProcessEnv): void {
  stopRegistry(dataDir);
  fs.rmSync(path.join('/etc/docker/certs.d', settings.SLIPWAY_REGISTRY_ADDRESS ?? 'none'), {
    recursive: true,
    force: true,
  });
}

/** Stops the registry a daemon under test started (it outlives the daemon on purpose). */
export function stopRegistry(dataDir: string): void {
  const pidFile = path.join(dataDir, 'registry', 'registry.pid');
  if (!fs.existsSync(pidFile)) return;
  try {
    process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGTERM');
  } catch {
    /* gone already */
  }
}
