import { describe, expect, test } from 'vitest';
import type { DockerApi } from '../../src/runtime/docker/api.js';
import { DockerContainers } from '../../src/runtime/docker/containers.js';

/** An engine whose listing is the given answer (as Docker sends it: nulls where Go has nil). */
const engineListing = (answer: unknown[]) =>
  ({ listContainers: () => Promise.resolve(answer) }) as unknown as DockerApi;

describe('a container listing', () => {
  test('gives each container’s address on each network and its published host ports, with no call per container', async () => {
    const listed = await new DockerContainers(
      engineListing([
        {
          Id: 'a1',
          Names: ['/swt.shop.web.1'],
          Labels: { app: 'shop' },
          State: 'running',
          Created: 100,
          NetworkSettings: { Networks: { 'swt-shop': { IPAddress: '10.210.3.2' }, bridge: { IPAddress: '' } } },
          Ports: [
            { PrivatePort: 5000, Type: 'tcp' },
            { IP: '0.0.0.0', PrivatePort: 5000, PublicPort: 32768, Type: 'tcp' },
          ],
        },
        {
          Id: 'b2',
          Names: ['/swt.shop.web.2'],
          Labels: { app: 'shop' },
          State: 'exited',
          Created: 90,
          NetworkSettings: { Networks: null },
          Ports: null,
        },
      ]),
    ).list({});
    expect(listed).toEqual([
      {
        id: 'a1',
        name: 'swt.shop.web.1',
        labels: { app: 'shop' },
        state: 'running',
        created: 100,
        addresses: { 'swt-shop': '10.210.3.2' },
        hostPorts: [32768],
      },
      {
        id: 'b2',
        name: 'swt.shop.web.2',
        labels: { app: 'shop' },
        state: 'exited',
        created: 90,
        addresses: {},
        hostPorts: [],
      },
    ]);
  });
});
