import {
  findNode,
  joinCommand,
  labelNode,
  removeNode,
  requireSwarm,
  setAvailability,
  withTasks,
} from '../../cluster/index.js';
import { format } from '../../core/output.js';
import type { NodeTask, SwarmNode } from '../../runtime/swarm/manager.js';
import { printReport } from '../report.js';
import { action, query, type Command, type ReportRows } from '../types.js';

const nodeRows = (node: SwarmNode & { tasks: NodeTask[] }): ReportRows => [
  ['Node id', node.id],
  ['Node hostname', node.hostname],
  ['Node address', node.address],
  ['Node role', node.leader ? 'manager (leader)' : node.role],
  ['Node state', node.state],
  ['Node availability', node.availability],
  [
    'Node labels',
    Object.entries(node.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  ],
  ['Node engine version', node.engineVersion],
  // `shop web.2 (v7, running)`: what runs there now, or is starting there (after a drain elsewhere).
  ['Node tasks', node.tasks.map((t) => `${t.app} ${t.process}.${t.index} (v${t.release}, ${t.state})`).join(', ')],
];

/** nodes:drain / nodes:activate: one shape, the availability they set. */
function availabilityCommand(name: string, availability: 'drain' | 'active', summary: string, done: string): Command {
  return action({
    name,
    summary,
    args: ['<node>'],
    access: 'admin',
    async run(ctx, args) {
      const node = await findNode(ctx.platform, args.named.node);
      await setAvailability(ctx.platform, node, availability);
      ctx.out.out(format.step(`${node.hostname} (${node.id.slice(0, 12)}) ${done}`));
    },
  });
}

/**
 * The hosts of the swarm (Docker Swarm nodes): list, report, join, drain, activate, label,
 * remove. Admin only: nodes are shared by every app.
 */
export const nodesNamespace = {
  name: 'nodes',
  commands: [
    action({
      name: 'nodes:join-command',
      summary: 'Print what to run on a new Debian host to make it a node of this swarm',
      args: [],
      access: 'admin',
      async run(ctx) {
        ctx.out.out(await joinCommand(ctx.platform));
      },
    }),
    query({
      name: 'nodes:list',
      summary: 'List the swarm’s nodes: address, role, state, availability, labels',
      args: [],
      access: 'admin',
      valueFlags: ['format'],
      read: async (ctx) => requireSwarm(ctx.platform),
      render: {
        text(nodes, out) {
          out.out(format.section('Nodes'));
          for (const n of nodes) {
            const labels = Object.entries(n.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(',');
            out.out(
              `${n.id.slice(0, 12)} ${n.hostname.padEnd(16)} ${n.address.padEnd(15)} ${(n.leader ? 'leader' : n.role).padEnd(8)} ${n.state.padEnd(8)} ${n.availability.padEnd(7)} ${labels}`.trimEnd(),
            );
          }
        },
      },
    }),
    query({
      name: 'nodes:report',
      summary: 'Show a node, or every node, with the app tasks on it',
      args: ['[node]'],
      access: 'admin',
      valueFlags: ['format'],
      async read(ctx, args) {
        return withTasks(
          ctx.platform,
          args.named.node ? [await findNode(ctx.platform, args.named.node)] : await requireSwarm(ctx.platform),
        );
      },
      render: {
        text(nodes, out) {
          for (const node of nodes)
            printReport(out, `${node.hostname} (${node.id.slice(0, 12)}) node information`, nodeRows(node));
        },
      },
    }),
    availabilityCommand(
      'nodes:drain',
      'drain',
      'Move a node’s tasks to other nodes and place no new ones there',
      'is draining: its tasks move to other nodes',
    ),
    availabilityCommand('nodes:activate', 'active', 'Let a drained node take tasks again', 'is active'),
    action({
      name: 'nodes:label',
      summary: 'Set labels on a node (key=value; key= removes it), for scheduler-swarm constraints',
      args: ['<node>', '<labels…>'],
      access: 'admin',
      async run(ctx, args) {
        const node = await findNode(ctx.platform, args.named.node);
        const labels = await labelNode(ctx.platform, node, args.rest);
        ctx.out.out(
          format.step(
            `${node.hostname} labels: ${
              Object.entries(labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ') || '(none)'
            }`,
          ),
        );
      },
    }),
    action({
      name: 'nodes:remove',
      summary: 'Remove a node that is down (or, with --force, one that is not) from the swarm',
      args: ['<node>'],
      access: 'admin',
      booleanFlags: ['force'],
      async run(ctx, args) {
        const node = await findNode(ctx.platform, args.named.node);
        await removeNode(ctx.platform, node, Boolean(args.flags.force));
        ctx.out.out(format.step(`${node.hostname} (${node.id.slice(0, 12)}) removed from the swarm`));
      },
    }),
  ] as Command[],
};
