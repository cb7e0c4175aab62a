import fs from 'node:fs';
import os from 'node:os';
import { ignoreMissing, isConflict, isRefused, unlessMissing, orEmpty, type DockerApi } from './api.js';
import { KeyedMutex } from '../../core/keyed-mutex.js';
import { sleep } from '../../core/process.js';
import { freeSubnet } from './subnets.js';

/** Where networks' subnets come from: a pool, cut into networks of `prefix` bits. */
export interface SubnetPool {
  pool: string;
  prefix: number;
}

/**
 * Two processes may pick the same free subnet at once; the engine refuses the second, which
 * waits a random moment (so racing daemons stop picking in step) and picks another. Inside one
 * process networks are made one at a time: concurrent deploys of new apps would otherwise all
 * pick the same lowest free subnet, attempt after attempt.
 */
const CREATE_ATTEMPTS = 16;
const RETRY_JITTER_MS = 100;
const creating = new KeyedMutex();

/** Bridge networks: made with a subnet from Slipway's pool, joined, left and removed. */
export class DockerNetworks {
  constructor(
    private readonly api: DockerApi,
    private readonly subnets: SubnetPool,
  ) {}

  /** Makes the network unless it exists (someone else may be making it at the same moment). */
  ensure(name: string, labels: Record<string, string>): Promise<void> {
    return creating.run('networks', () => this.create(name, labels));
  }

  private async create(name: string, labels: Record<string, string>): Promise<void> {
    // Subnets the engine refused here. One may be held by a network another process is still
    // making: the engine refuses the subnet before it lists that network (seen on Docker 20.10,
    // the request refused with the network listed neither before nor after it). Picked again,
    // the same lowest free subnet is refused for as long as that creation takes (longer on a
    // busy engine, as just after dockerd restarted), and every attempt here may be spent on it.
    const refused: string[] = [];
    for (let attempt = 1; ; attempt++) {
      if (await this.exists(name)) return;
      const subnet = freeSubnet(this.subnets.pool, this.subnets.prefix, [...(await this.takenRanges()), ...refused]);
      if (!subnet)
        throw new Error(
          `No free /${this.subnets.prefix} network is left in ${this.subnets.pool} (SLIPWAY_NETWORK_POOL)`,
        );
      try {
        await this.api.createNetwork({
          Name: name,
          Driver: 'bridge',
          Labels: labels,
          CheckDuplicate: true,
          IPAM: { Config: [{ Subnet: subnet }] },
        });
        return;
      } catch (error) {
        if (isConflict(error)) return; // made concurrently under this name
        if (!isRefused(error) || attempt >= CREATE_ATTEMPTS) throw error; // the subnet was taken meanwhile
        refused.push(subnet);
        await sleep(Math.random() * RETRY_JITTER_MS * Math.min(attempt, 5));
      }
    }
  }

  async exists(name: string): Promise<boolean> {
    return (await this.inspect(name)) !== undefined;
  }

  /** The ids of the containers attached to a network; none when it does not exist. */
  async members(name: string): Promise<string[]> {
    return Object.keys((await this.inspect(name))?.Containers ?? {});
  }

  /** The network of exactly this name, or undefined (inspect also matches id prefixes). */
  private async inspect(name: string) {
    const info = await unlessMissing(this.api.getNetwork(name).inspect());
    return info?.Name === name ? info : undefined;
  }

  /** The names of the networks a container is attached to. */
  async of(containerId: string): Promise<string[]> {
    const info = await this.api.getContainer(containerId).inspect();
    return Object.keys(orEmpty(info.NetworkSettings.Networks, {}));
  }

  /** Attaches a running container, reachable there under `aliases` too; already attached is fine. */
  async connect(name: string, containerId: string, aliases: string[] = []): Promise<void> {
    try {
      await this.api.getNetwork(name).connect({ Container: containerId, EndpointConfig: { Aliases: aliases } });
    } catch (error) {
      if (!/already exists|already attached/i.test(String((error as Error).message))) throw error;
    }
  }

  async disconnect(name: string, containerId: string): Promise<void> {
    await ignoreMissing(this.api.getNetwork(name).disconnect({ Container: containerId, Force: true }));
  }

  /**
   * Removes the network of exactly this name, if there is one, first detaching whatever is
   * still on it. By its id: a name that is also some other network's id prefix (an instance
   * named `abc`) must not remove that one.
   */
  async remove(name: string): Promise<void> {
    const info = await this.inspect(name);
    if (!info) return;
    for (const id of Object.keys(info.Containers ?? {})) await this.disconnect(info.Id, id);
    await ignoreMissing(this.api.getNetwork(info.Id).remove());
  }

  /** Ranges a new subnet must not overlap: every network's, and the host's own addresses and routes. */
  private async takenRanges(): Promise<string[]> {
    const networks = await this.api.listNetworks();
    const subnets = networks.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '')).filter(Boolean);
    const addresses = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.cidr ?? ''));
    return [...subnets, ...addresses.filter(Boolean), ...hostRoutes()];
  }
}

/** The host's IPv4 routes other than the default one, as CIDRs (a VPN's, say), from /proc/net/route. */
function hostRoutes(): string[] {
  let table: string;
  try {
    table = fs.readFileSync('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  const fromHex = (hex: string) => Buffer.from(hex, 'hex').reverse(); // little-endian
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 8 && fields[7] !== '00000000')
    .map((fields) => {
      const mask = fromHex(fields[7]!).reduce((bits, byte) => bits + byte.toString(2).replace(/0/g, '').length, 0);
      return `${[...fromHex(fields[1]!)].join('.')}/${mask}`;
    });
}
