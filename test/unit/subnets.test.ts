import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { freeSubnet, parseCidr } from '../../src/runtime/docker/subnets.js';
import type { DockerApi } from '../../src/runtime/docker/api.js';
import { DockerNetworks } from '../../src/runtime/docker/networks.js';
import { MAX_SCALE } from '../../src/commands/ps/index.js';
import { loadSettings } from '../../src/settings.js';

describe('the subnet of a new network', () => {
  test('is the first of the pool that nothing uses', () => {
    expect(freeSubnet('10.210.0.0/16', 24, [])).toBe('10.210.0.0/24');
    expect(freeSubnet('10.210.0.0/16', 24, ['10.210.0.0/24', '10.210.1.0/24', '172.17.0.0/16'])).toBe('10.210.2.0/24');
  });

  test('skips ranges that overlap any taken one, larger or smaller', () => {
    expect(freeSubnet('10.210.0.0/16', 24, ['10.210.0.0/23'])).toBe('10.210.2.0/24');
    expect(freeSubnet('10.210.0.0/16', 24, ['10.210.0.77/32', '10.210.1.5/28'])).toBe('10.210.2.0/24');
    expect(freeSubnet('10.210.0.0/16', 24, ['10.0.0.0/8'])).toBeUndefined();
  });

  test('runs out when the pool is full', () => {
    expect(freeSubnet('10.210.0.0/23', 24, ['10.210.0.0/24', '10.210.1.0/24'])).toBeUndefined();
  });

  test('other pool sizes and network sizes', () => {
    expect(freeSubnet('192.168.100.0/22', 26, ['192.168.100.0/26'])).toBe('192.168.100.64/26');
    expect(() => freeSubnet('10.210.0.0/28', 24, [])).toThrow(/smaller than one \/24/);
    expect(() => freeSubnet('not-a-network', 24, [])).toThrow(/not an IPv4 network/);
  });

  test('what is not an IPv4 network is ignored when taken', () => {
    expect(parseCidr('fd00::/64')).toBeUndefined();
    expect(parseCidr('300.1.1.1/8')).toBeUndefined();
    expect(parseCidr('10.210.3.9/24')).toEqual(parseCidr('10.210.3.0/24'));
    expect(freeSubnet('10.210.0.0/16', 24, ['fd00::/64', ''])).toBe('10.210.0.0/24');
  });
});

describe('the default pool', () => {
  const { subnets, maxOneOffs } = loadSettings({});

  test('holds thousands of apps and services, each network beside the host’s own ranges', () => {
    // What a host typically has: Docker's default bridge, a LAN, a VPN in 10/8.
    const taken = ['172.17.0.0/16', '192.168.1.0/24', '10.8.0.0/24'];
    const made = new Set<string>();
    for (let n = 0; n < 2000; n++) {
      const subnet = freeSubnet(subnets.pool, subnets.prefix, taken);
      expect(subnet).toBeDefined();
      made.add(subnet!);
      taken.push(subnet!);
    }
    expect(made.size).toBe(2000);
    const [, poolPrefix] = subnets.pool.split('/');
    expect(2 ** (subnets.prefix - Number(poolPrefix))).toBeGreaterThanOrEqual(4000);
  });

  test('gives each network room for a process type at the most ps:scale allows, twice during a deploy, and its one-offs', () => {
    const addresses = 2 ** (32 - subnets.prefix) - 3; // the network's own, its broadcast and its gateway
    expect(addresses).toBeGreaterThanOrEqual(2 * MAX_SCALE + maxOneOffs + 10);
  });
});

describe('making a network while other daemons on the engine make theirs', () => {
  /** An engine whose pool check refuses the first `refusals` creations, as when another daemon took the subnet first. */
  function engine(refusals: number) {
    const created: string[] = [];
    let attempts = 0;
    const api = {
      listNetworks: () => Promise.resolve([]),
      getNetwork: (name: string) => ({
        inspect: () =>
          created.includes(name)
            ? Promise.resolve({ Name: name })
            : Promise.reject(Object.assign(new Error('missing'), { statusCode: 404 })),
      }),
      createNetwork: (options: { Name: string }) => {
        attempts++;
        if (attempts <= refusals) {
          return Promise.reject(
            Object.assign(new Error('Pool overlaps with other one on this address space'), { statusCode: 403 }),
          );
        }
        created.push(options.Name);
        return Promise.resolve({});
      },
    };
    const networks = new DockerNetworks(api as unknown as DockerApi, { pool: '10.210.0.0/16', prefix: 24 });
    return { networks, created, attempts: () => attempts };
  }

  // The waits between attempts (random, up to half a second) pass on fake time.
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test('picks again after each refusal, more than the eight times that once failed a deploy', async () => {
    const { networks, created, attempts } = engine(10);
    const made = networks.ensure('swtx-app', {});
    await vi.runAllTimersAsync();
    await made;
    expect(created).toEqual(['swtx-app']);
    expect(attempts()).toBe(11);
  });

  test('a subnet the engine refused is not picked again: another daemon’s network still being made holds it unlisted', async () => {
    // The engine reserves a subnet before it lists the network that takes it: for as long as
    // the other daemon's creation takes, the list shows the subnet free and the engine refuses it.
    const held = '10.210.0.0/24';
    const tried: string[] = [];
    const created: { name: string; subnet: string }[] = [];
    const api = {
      listNetworks: () => Promise.resolve([]),
      getNetwork: (name: string) => ({
        inspect: () =>
          created.some((n) => n.name === name)
            ? Promise.resolve({ Name: name })
            : Promise.reject(Object.assign(new Error('missing'), { statusCode: 404 })),
      }),
      createNetwork: (options: { Name: string; IPAM: { Config: { Subnet: string }[] } }) => {
        const subnet = options.IPAM.Config[0]!.Subnet;
        tried.push(subnet);
        if (subnet === held)
          return Promise.reject(
            Object.assign(new Error('Pool overlaps with other one on this address space'), { statusCode: 403 }),
          );
        created.push({ name: options.Name, subnet });
        return Promise.resolve({});
      },
    };
    const networks = new DockerNetworks(api as unknown as DockerApi, { pool: '10.210.0.0/16', prefix: 24 });
    const made = networks.ensure('swtx-app', {});
    await vi.runAllTimersAsync();
    await made;
    expect(created).toEqual([{ name: 'swtx-app', subnet: '10.210.1.0/24' }]);
    expect(tried).toEqual([held, '10.210.1.0/24']);
  });

  test('gives up with the engine’s refusal when it never stops', async () => {
    const { networks, created } = engine(Infinity);
    const refused = expect(networks.ensure('swtx-app', {})).rejects.toThrow('Pool overlaps');
    await vi.runAllTimersAsync();
    await refused;
    expect(created).toEqual([]);
  });
});
