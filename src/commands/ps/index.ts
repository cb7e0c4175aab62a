import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import { mayUseApp } from '../../access/index.js';
import { isSleeping, isStopped, markRetiring, OBSERVED_PROPERTIES, recentDrift } from '../../deploy/desired.js';
import { stopApp } from '../../deploy/index.js';
import { restartPolicy, setRestartPolicy } from '../../deploy/process-options.js';
import { setSleepAfter, sleepAfterOf } from '../../deploy/sleep.js';
import { deployBranchOf } from '../../git/settings.js';
import { processTypeSchema, releaseMetaSchema } from '../../model/release.js';
import { runningState, type Instance } from '../../runtime/scheduler.js';
import { GLOBAL_SCOPE, type AppRecord } from '../../state/index.js';
import { rebuildApp } from '../apps/index.js';
import { isDeployed, runDeploy } from '../deploys.js';
import { setCommand } from '../set-command.js';
import type { Platform } from '../../platform.js';
import { printQuery } from '../render.js';
import {
  action,
  type AppReport,
  type Command,
  type CommandArgs,
  type CommandContext,
  type Namespace,
  type QueryCommand,
} from '../types.js';

export const MAX_SCALE = 100;

function requireDeployed(ctx: CommandContext, app: string): void {
  if (!isDeployed(ctx, app)) throw new UserError(`${app} has not been deployed yet`);
}

/**
 * `<app>` or `--all` (every deployed app, one after another): the exit code is the worst
 * of them, and one app failing does not stop the rest.
 */
async function forAppOrAll(
  ctx: CommandContext,
  args: CommandArgs,
  action: (app: AppRecord) => Promise<number | void>,
): Promise<number> {
  if (args.app) return (await action(args.app)) ?? 0;
  let worst = 0;
  for (const app of ctx.platform.state.apps
    .list()
    .filter((a) => isDeployed(ctx, a.name) && mayUseApp(ctx.platform.state, ctx.caller, a.name))) {
    ctx.out.out(format.section(app.name));
    try {
      worst = Math.max(worst, (await action(app)) ?? 0);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      ctx.out.err(format.error(error.message));
      worst = Math.max(worst, error.exitCode);
    }
  }
  return worst;
}

const perAppCommand = (
  name: string,
  summary: string,
  forApp: (ctx: CommandContext, app: AppRecord) => Promise<number | void>,
): Command =>
  action({
    name,
    summary,
    args: ['app'],
    appOr: '--all',
    access: 'app',
    booleanFlags: ['all'],
    run: (ctx, args) => forAppOrAll(ctx, args, (app) => forApp(ctx, app)),
  });

const report: AppReport = {
  name: 'ps',
  summary: 'Show the app’s containers, whether it runs or sleeps, its restart policy and sleep-after',
  async rows(ctx, app) {
    const { state } = ctx.platform;
    const instances = (await ctx.instancesOf(app.name)).sort((a, b) => a.name.localeCompare(b.name));
    const sleeping = isSleeping(state, app.name);
    return [
      ['Deployed', String(isDeployed(ctx, app.name))],
      ['Processes', String(instances.length)],
      // While it is being put to sleep its containers still drain: it says sleeping from the start.
      ['Running', sleeping ? 'sleeping' : runningState(instances)],
      ['Ps restart policy', restartPolicy(state, app.name)],
      ['Ps sleep after', sleepAfterOf(state, app.name).shown],
      ['Ps sleeping', String(sleeping)],
      ['Ps stopped', String(isStopped(state, app.name))],
      ['Ps drift', recentDrift(state, app.name)],
      // During a swap the old release's containers show too, until they are retired.
      ...instances.map((i): [string, string] => [`Status ${i.process}.${i.index}`, statusOf(i)]),
    ];
  },
};

/**
 * Dokku's `running (CID: 0123456789a)`, the container's state as Docker names it; on a swarm
 * (where Dokku shows none), with the release and the node it runs on (or is being started on).
 */
function statusOf(instance: Instance): string {
  const state = instance.running ? 'running' : instance.restarting ? 'restarting' : 'exited';
  const cid = `CID: ${instance.id.slice(0, 11)}`;
  return `${state} (${instance.node ? `${cid}, v${instance.release}, node ${instance.node}` : cid})`;
}

/** `web=2 worker=1` as counts, each checked. */
function parseScale(pairs: string[]): Record<string, number> {
  const changes: Record<string, number> = {};
  for (const pair of pairs) {
    const [type = '', count] = pair.split('=');
    if (!processTypeSchema.safeParse(type).success) throw new UserError(`Invalid process type: ${type}`);
    if (count === undefined || count === '') throw new UserError(`Missing count for process type ${type}`);
    if (!/^\d{1,3}$/.test(count) || Number(count) > MAX_SCALE)
      throw new UserError(`Invalid count for process type ${type}`);
    changes[type] = Number(count);
  }
  return changes;
}

/** `ps:scale <app>` with no counts: the formation. */
const scaleView: Pick<QueryCommand<[string, number][], ['app'], undefined>, 'read' | 'render'> = {
  read: (_ctx, { app }) => Object.entries(app.formation).sort(([a], [b]) => a.localeCompare(b)),
  render: {
    text(rows, out, { app }) {
      out.out(format.step(`Scaling for ${app.name}`));
      // Dokku's columns, which scripts read: `web:  1` (the name padded to 5); --quiet has no header.
      const header: [string, string | number][] = out.quiet
        ? []
        : [
            ['proctype', 'qty'],
            ['--------', '---'],
          ];
      for (const [type, count] of [...header, ...rows]) out.out(`${`${type}:`.padEnd(5)} ${count}`);
    },
    json: (rows) => rows.map(([type, quantity]) => ({ process_type: type, quantity })),
  },
};

const commands: Command[] = [
  perAppCommand(
    'ps:restart',
    'Replace the app’s containers with fresh ones of the current release, zero-downtime',
    (ctx, app) => {
      requireDeployed(ctx, app.name);
      return runDeploy(ctx, { kind: 'restart', app: app.name, reason: 'restart' });
    },
  ),
  perAppCommand('ps:start', 'Start a stopped app’s containers again (the current release)', async (ctx, app) => {
    requireDeployed(ctx, app.name);
    if ((await ctx.platform.schedulerFor(app.name).instances(app.name)).some((i) => i.running)) {
      ctx.out.out(format.step(`App ${app.name} already running`));
      return 0;
    }
    return runDeploy(ctx, { kind: 'restart', app: app.name, reason: 'restart' });
  }),
  perAppCommand(
    'ps:stop',
    'Stop the app: it takes no traffic and its containers go until ps:start',
    async (ctx, app) => {
      ctx.out.out(format.step(`Stopping ${app.name}`));
      const stopped = await stopApp(ctx.platform, app.name);
      ctx.out.out(format.detail(`Stopped ${stopped} container${stopped === 1 ? '' : 's'}`));
    },
  ),
  perAppCommand('ps:rebuild', 'Build the deploy branch again and deploy it (no push needed)', (ctx, app) =>
    rebuildApp(ctx, app.name, deployBranchOf(ctx.platform, app.name)),
  ),
  setCommand({
    name: 'ps:set',
    summary:
      'Set restart-policy (no, always, unless-stopped, on-failure[:N]; applies on the next deploy or restart) or sleep-after (90s, 30m, 2h, off; also --global); no value resets it',
    property: ['restart-policy', 'sleep-after'],
    values: '<value>',
    global: true,
    set(ctx, scope, value, property) {
      if (property === 'sleep-after') return setSleepAfter(ctx.platform.state, scope, value);
      if (scope === GLOBAL_SCOPE) throw new UserError('restart-policy is set per app, not with --global');
      setRestartPolicy(ctx.platform.state, scope, value);
    },
  }),
  action({
    name: 'ps:scale',
    summary: 'Show or set how many containers each process type runs',
    args: ['app', '[type=count…]'],
    access: 'app',
    valueFlags: ['format'],
    async run(ctx, args) {
      const app = args.app;
      if (args.rest.length === 0) return printQuery(ctx, args, scaleView);
      const current = ctx.platform.state.releases.current(app.name);
      if (current && Object.keys(releaseMetaSchema.parse(current.meta).formation).length > 0) {
        throw new UserError(
          `App ${app.name} contains an app.json file with a formations key and cannot be manually scaled`,
        );
      }
      const changes = parseScale(args.rest);
      const formation = { ...app.formation, ...changes };
      ctx.platform.state.apps.setFormation(app.name, formation);
      ctx.platform.events.publish('app.scaled', { app: app.name, formation, by: ctx.caller.name });
      ctx.out.out(format.step(`Scaling ${app.name} processes: ${args.rest.join(' ')}`));
      if (!isDeployed(ctx, app.name)) return 0;
      return runDeploy(ctx, { kind: 'restart', app: app.name, reason: 'scale' });
    },
  }),
];

/** Long enough for the engine to report the discarded containers' deaths. */
const DISCARD_NOTICE_MS = 60_000;

/** Every process of the app goes at once, one-off runs too, and then what the engine kept for it. */
async function discardAll(platform: Platform, app: string): Promise<void> {
  const scheduler = platform.schedulerFor(app);
  const instances = await scheduler.instances(app, { oneOffs: true });
  // Going by design: their ends are no crash (app.crashed) for the reconciler to tell of.
  markRetiring(
    platform.state,
    app,
    instances.map((i) => i.id),
    Date.now() + DISCARD_NOTICE_MS,
  );
  await scheduler.discard(instances);
  await scheduler.forget(app);
}

export const psNamespace: Namespace = {
  name: 'ps',
  commands,
  report,
  lifecycle: {
    notCloned: OBSERVED_PROPERTIES,
    // Every process goes at once, one-off runs too.
    destroy: discardAll,
    // The records have not moved yet: the app runs on its scheduler under the old name.
    beforeRename: (platform, from) => discardAll(platform, from),
  },
};
