import { constraintProblem, initSwarm } from '../../cluster/index.js';
import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import { SWARM_CONSTRAINTS_PROPERTY, SWARM_ENCRYPTED_PROPERTY, swarmConstraints } from '../../platform.js';
import { GLOBAL_SCOPE } from '../../state/index.js';
import { reportCommand } from '../report.js';
import { setCommand } from '../set-command.js';
import { action, type AppReport, type Namespace } from '../types.js';

const report: AppReport = {
  name: 'scheduler-swarm',
  summary: 'Show the app’s swarm settings',
  rows(ctx, app) {
    const { properties } = ctx.platform.state;
    return [
      ['Scheduler swarm computed constraints', swarmConstraints(ctx.platform.state, app.name).join(',')],
      ['Scheduler swarm global constraints', properties.get(GLOBAL_SCOPE, SWARM_CONSTRAINTS_PROPERTY) ?? ''],
      ['Scheduler swarm constraints', properties.get(app.name, SWARM_CONSTRAINTS_PROPERTY) ?? ''],
      ['Scheduler swarm encrypted', properties.get(app.name, SWARM_ENCRYPTED_PROPERTY) ?? 'false'],
    ];
  },
};

/** Comma-separated Swarm placement constraints, each checked before it is kept. */
function parseConstraints(value: string): string {
  const constraints = value
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  for (const constraint of constraints) {
    const problem = constraintProblem(constraint);
    if (problem) throw new UserError(problem);
  }
  return constraints.join(',');
}

/** Docker Swarm as a scheduler: setting up the manager, and per-app placement. */
export const schedulerSwarmNamespace: Namespace = {
  name: 'scheduler-swarm',
  commands: [
    action({
      name: 'scheduler-swarm:init',
      summary: 'Make this host’s engine a swarm manager and start the cluster’s image registry',
      args: [],
      access: 'admin',
      valueFlags: ['advertise-addr'],
      async run(ctx, args) {
        const flag = args.flags['advertise-addr'];
        const result = await initSwarm(ctx.platform, typeof flag === 'string' ? flag : undefined, (line) =>
          ctx.out.out(format.detail(line)),
        );
        ctx.out.out(
          format.step(
            `${result.created ? 'Swarm created' : 'Swarm already set up'}: manager at ${result.advertiseAddress}, registry at ${result.registry}`,
          ),
        );
        ctx.out.out(
          format.detail(
            'Add a host: run what `nodes:join-command` prints on it; then `scheduler:set <app> selected swarm`',
          ),
        );
      },
    }),
    reportCommand(report),
    setCommand({
      name: 'scheduler-swarm:set',
      summary:
        'Set where the app’s tasks may run (constraints node.labels.tier==web,…) or encrypt its overlay network (encrypted true)',
      property: ['constraints', 'encrypted'] as const,
      values: 'value',
      global: true,
      access: 'admin',
      set(ctx, scope, value, property) {
        const { properties } = ctx.platform.state;
        if (property === 'constraints')
          return properties.set(
            scope,
            SWARM_CONSTRAINTS_PROPERTY,
            value === undefined ? undefined : parseConstraints(value),
          );
        if (scope === GLOBAL_SCOPE) throw new UserError('encrypted is set per app');
        if (value !== undefined && value !== 'true' && value !== 'false')
          throw new UserError('Invalid encrypted: give true or false');
        properties.set(scope, SWARM_ENCRYPTED_PROPERTY, value);
      },
    }),
  ],
};
