import fs from 'node:fs';
import os from 'node:os';
import { ignoreMissing, isConflict, unlessMissing, type DockerApi } from './api.js';
import { freeSubnet } from './subnets.js';

/** Where networks' subnets come from: a pool, cut into networks of `prefix` bits. */
export interface SubnetPool {
  pool: string;
  prefix: number;
}

/** Two processes may pick the same free subnet at once; the engine refuses the second, which picks again. */
const CREATE_ATTEMPTS = 8;

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;

/** Bridge networks: made with a subnet from Slipway's pool, joined, left and removed. */
export class DockerNetworks {
  constructor(
    private readonly api: DockerApi,
    private readonly subnets: SubnetPool,
  ) {}

  /** Makes the network unless it exists (someone else may be making it at the same moment). */
  async ensure(name: string, labels: Record<string, string>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (await this.exists(name)) return;
      const subnet = freeSubnet(this.subnets.pool, this.subnets.prefix, await this.takenRanges());
      if (!subnet) throw new Error(`No free /${this.subnets.prefix} network is left in ${this.subnets.pool} (SLIPWAY_NETWORK_POOL)`);
      try {
        await this.api.createNetwork({ Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true, IPAM: { Config: [{ Subnet: subnet }] } });
        return;
      } catch (error) {
        if (isConflict(error)) return; // made concurrently under this name
        if (statusOf(error) !== 403 || attempt >= CREATE_ATTEMPTS) throw error; // 403: the subnet was taken meanwhile
      }
    }
  }

  async exists(name: string): Promise<boolean> {
    const info = await unlessMissing(this.api.getNetwork(name).inspect());
    return info?.Name === name; // inspect also matches id prefixes
  }

  /** The ids of the containers attached to a network; none when it does not exist. */
  async members(name: string): Promise<string[]> {
    const info = await unlessMissing(this.api.getNetwork(name).inspect());
    return info?.Name === name ? Object.keys(info.Containers ?? {}) : [];
  }

  /** The names of the networks a container is attached to. */
  async of(containerId: string): Promise<string[]> {
    const info = await this.api.getContainer(containerId).inspect();
    return Object.keys(info.NetworkSettings.Networks ?? {});
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

  /** Removes a network, first detaching whatever is still on it. */
  async remove(name: string): Promise<void> {
    for (const id of await this.members(name)) await this.disconnect(name, id);
    await ignoreMissing(this.api.getNetwork(name).remove());
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
