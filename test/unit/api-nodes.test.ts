import { expect, test } from 'vitest';
import { nodesJson } from '../../src/api/resources.js';
import { nodeSchema } from '../../src/api/schemas.js';
import { ConflictError } from '../../src/core/errors.js';
import type { Platform } from '../../src/platform.js';
import type { NodeTask, SwarmNode } from '../../src/runtime/swarm/manager.js';

// GET /nodes is what the dashboard's nodes page reads: each node with the app tasks on it,
// in the API's one shape for a node.

const manager: SwarmNode = {
  id: 'n1abcdefabcdef',
  hostname: 'alpha',
  address: '10.0.0.1',
  role: 'manager',
  leader: true,
  state: 'ready',
  availability: 'active',
  labels: { zone: 'a' },
  engineVersion: '20.10.24',
  version: 12,
};
const worker: SwarmNode = { ...manager, id: 'n2', hostname: 'beta', role: 'worker', leader: false, labels: {} };
const shopWeb: NodeTask = { app: 'shop', process: 'web', index: 2, release: 7, state: 'running' };

/** A platform whose swarm has these nodes and tasks (and says whether this host manages it). */
function swarmOf(nodes: SwarmNode[], tasks: Record<string, NodeTask[]>, isManager = true): Platform {
  const swarm = {
    info: async () => ({ isManager }),
    nodes: async () => nodes,
    tasksOn: async (node: SwarmNode) => tasks[node.id] ?? [],
  };
  return { swarm } as unknown as Platform;
}

test('each node comes with the app tasks on it, in the schema the API answers with', async () => {
  const nodes = await nodesJson(swarmOf([manager, worker], { [worker.id]: [shopWeb] }));
  const { engineVersion, version: _version, ...fields } = manager;
  expect(nodes).toEqual([
    { ...fields, engine_version: engineVersion, tasks: [] },
    expect.objectContaining({ hostname: 'beta', role: 'worker', tasks: [shopWeb] }),
  ]);
  for (const node of nodes) expect(nodeSchema.parse(node)).toEqual(node);
});

test('a host that manages no swarm answers a conflict (409), which the dashboard reads as one host', async () => {
  await expect(nodesJson(swarmOf([], {}, false))).rejects.toBeInstanceOf(ConflictError);
});
