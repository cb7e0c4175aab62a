/**
 * Several hosts: this host's engine as a Docker Swarm manager, the nodes that join it, and
 * the image registry they pull release images from. The swarm scheduler (runtime/swarm)
 * runs apps on it; this module owns setting it up and the nodes:* operations.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConflictError, NotFoundError, UserError } from '../core/errors.js';
import { firstPublicIpv4, writeAtomically } from '../core/files.js';
import type { Platform } from '../platform.js';
import { clusterCa, clusterRegistry, REGISTRY_PROPERTY } from '../registry/index.js';
import type { NodeTask, SwarmNode } from '../runtime/swarm/manager.js';
import { constraintProblem } from '../runtime/swarm/specs.js';
import { GLOBAL_SCOPE } from '../state/index.js';

export { constraintProblem };

const REGISTRY_PORT = 5000;
const registryOf = (platform: Platform) => clusterRegistry(platform.settings, platform.state);

function defaultAdvertiseAddress(): string {
  const address = firstPublicIpv4();
  if (!address) throw new UserError('This host has no network address other hosts could reach: give --advertise-addr');
  return address;
}

export interface SwarmInitResult {
  advertiseAddress: string;
  registry: string;
  created: boolean;
}

/**
 * `scheduler-swarm:init`: makes this engine a swarm manager (unless it is one), the registry's
 * certificate and password, trusts the registry for this engine, and starts it. Safe to repeat.
 */
export async function initSwarm(
  platform: Platform,
  advertiseAddress: string | undefined,
  log: (line: string) => void,
): Promise<SwarmInitResult> {
  const { swarm } = platform;
  if (advertiseAddress !== undefined && net.isIP(advertiseAddress) === 0)
    throw new UserError(`Invalid --advertise-addr: ${advertiseAddress} (give an IP address)`);
  const info = await swarm.info();
  let created = false;
  let address = advertiseAddress;
  if (info.state === 'active' && !info.isManager)
    throw new UserError('This engine is a worker of another swarm: run init on its manager');
  if (info.state !== 'active') {
    address ??= defaultAdvertiseAddress();
    log(`Making this engine a swarm manager advertised at ${address}`);
    await swarm.init(address);
    created = true;
  } else {
    address ??= info.managerAddress ?? defaultAdvertiseAddress();
  }
  const registryAddress = platform.settings.registryAddress ?? `${address}:${REGISTRY_PORT}`;
  platform.state.properties.set(GLOBAL_SCOPE, REGISTRY_PROPERTY, registryAddress);
  const registry = registryOf(platform)!;
  await trustRegistry(platform, registryAddress);
  log(`Starting the image registry at ${registryAddress}`);
  await registry.ensureRunning();
  return { advertiseAddress: address, registry: registryAddress, created };
}

/** Docker trusts a registry's CA per address in certs.d: this engine pushes there. */
async function trustRegistry(platform: Platform, registryAddress: string): Promise<void> {
  const dir = path.join(platform.settings.dockerCertsDir, registryAddress);
  fs.mkdirSync(dir, { recursive: true });
  writeAtomically(path.join(dir, 'ca.crt'), await clusterCa(platform.settings).certificate());
}

/** What a new host runs to join: scripts/setup-node with the manager, a worker token, the registry and its CA. */
export async function joinCommand(platform: Platform): Promise<string> {
  const { swarm } = platform;
  const info = await swarm.info();
  const registry = registryOf(platform);
  if (!info.isManager || !registry)
    throw new ConflictError('This host is not a swarm manager yet: run `slipway scheduler-swarm:init` on it first');
  const tokens = await swarm.joinTokens();
  const ca = Buffer.from(await clusterCa(platform.settings).certificate()).toString('base64');
  return [
    'scripts/setup-node',
    '--manager',
    `${info.managerAddress}:2377`,
    '--token',
    tokens.worker,
    '--registry',
    registry.address,
    '--registry-ca',
    ca,
  ].join(' ');
}

/** The node named by id, id prefix or hostname; a clear error for none or several. */
export async function findNode(platform: Platform, name: string | undefined): Promise<SwarmNode> {
  if (!name) throw new UserError('Please specify a node');
  const nodes = await requireSwarm(platform);
  const exact = nodes.filter((n) => n.id === name || n.hostname === name);
  const matches = exact.length > 0 ? exact : nodes.filter((n) => n.id.startsWith(name));
  if (matches.length === 0) throw new NotFoundError(`Node ${name} does not exist`);
  if (matches.length > 1) throw new UserError(`${name} names ${matches.length} nodes: give its id (nodes:list)`);
  return matches[0]!;
}

export async function requireSwarm(platform: Platform): Promise<SwarmNode[]> {
  const info = await platform.swarm.info();
  if (!info.isManager)
    throw new ConflictError('This host is not a swarm manager: run `slipway scheduler-swarm:init` first');
  return platform.swarm.nodes();
}

/** Nodes with the tasks of this instance's apps on each (nodes:report). */
export async function withTasks(
  platform: Platform,
  nodes: SwarmNode[],
): Promise<(SwarmNode & { tasks: NodeTask[] })[]> {
  return Promise.all(nodes.map(async (node) => ({ ...node, tasks: await platform.swarm.tasksOn(node) })));
}

/** drain: its tasks move to other nodes; active: it takes tasks again; pause: it keeps what it has. */
export async function setAvailability(
  platform: Platform,
  node: SwarmNode,
  availability: 'active' | 'drain' | 'pause',
): Promise<void> {
  await platform.swarm.setAvailability(node, availability);
}

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const LABEL_VALUE = /^[A-Za-z0-9._-]{0,255}$/;

/** `nodes:label <node> key=value …` sets labels, `key=` removes one. */
export async function labelNode(platform: Platform, node: SwarmNode, pairs: string[]): Promise<Record<string, string>> {
  if (pairs.length === 0) throw new UserError('Please specify labels as key=value');
  const labels = { ...node.labels };
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const [key, value] = at < 0 ? [pair, undefined] : [pair.slice(0, at), pair.slice(at + 1)];
    if (!LABEL_KEY.test(key) || value === undefined || !LABEL_VALUE.test(value))
      throw new UserError(`Invalid label: ${pair} (give key=value of letters, digits, '.', '_' and '-')`);
    if (value === '') delete labels[key];
    else labels[key] = value;
  }
  await platform.swarm.setLabels(node, labels);
  return labels;
}

/** A node leaves the swarm's list: only one that is down, or with `force`; never the manager itself. */
export async function removeNode(platform: Platform, node: SwarmNode, force: boolean): Promise<void> {
  if (node.role === 'manager') throw new UserError(`${node.hostname} is a manager: demote it before removing it`);
  if (node.state === 'ready' && !force)
    throw new UserError(`${node.hostname} is up: drain it and leave the swarm on it first, or give --force`);
  await platform.swarm.removeNode(node.id, force);
}
