import { columnize, format } from '../../core/output.js';
import { releaseMetaSchema } from '../../model/release.js';
import {
  detectedMappings,
  formatMapping,
  ownMappings,
  parseMapping,
  setMappings,
  type PortMapping,
} from '../../proxy/ports.js';
import { isDeployed, runDeploy } from '../deploys.js';
import {
  action,
  type AppReport,
  type Command,
  type CommandArgs,
  type CommandContext,
  type Namespace,
} from '../types.js';

/** What the app's current release detects: the first port its image EXPOSEs, else 5000. */
function detected(ctx: CommandContext, app: string): PortMapping[] {
  const current = ctx.platform.state.releases.current(app);
  return detectedMappings(ctx.platform.settings, current ? releaseMetaSchema.parse(current.meta) : undefined);
}

const report: AppReport = {
  name: 'ports',
  summary: 'Show which container port each scheme’s traffic goes to',
  rows(ctx, app) {
    return [
      ['Ports map', ownMappings(ctx.platform.state, app.name).map(formatMapping).join(' ')],
      ['Ports map detected', detected(ctx, app.name).map(formatMapping).join(' ')],
    ];
  },
};

/** Stores the mappings; a deployed app restarts (zero downtime) so its containers listen where they now point. */
async function changeMappings(ctx: CommandContext, app: string, mappings: PortMapping[]): Promise<number> {
  await setMappings(ctx.platform.state, ctx.platform.settings, app, mappings, ctx.caller.isAdmin);
  ctx.out.out(
    format.step(
      `Port mappings of ${app}: ${(mappings.length ? mappings : detected(ctx, app)).map(formatMapping).join(' ')}`,
    ),
  );
  if (!isDeployed(ctx, app)) return 0;
  return runDeploy(ctx, { kind: 'restart', app, reason: 'restart' });
}

const parseAll = (args: CommandArgs) => args.rest.map(parseMapping);

const mappingCommand = (
  name: string,
  summary: string,
  change: (current: PortMapping[], given: PortMapping[]) => PortMapping[],
): Command =>
  action({
    name,
    summary,
    args: ['app', '<mapping…>'],
    missing: { mapping: 'Please specify at least one port mapping (scheme:host-port:container-port)' },
    access: 'app',
    run: (ctx, args) =>
      changeMappings(ctx, args.app.name, change(ownMappings(ctx.platform.state, args.app.name), parseAll(args))),
  });

/** Dokku's ports:* (0.31 and later): where nginx sends the app's traffic in its containers. */
export const portsNamespace: Namespace = {
  name: 'ports',
  report,
  commands: [
    action({
      name: 'ports:list',
      summary: 'List the app’s port mappings (its own, else the detected one)',
      args: ['app'],
      access: 'app',
      run(ctx, args) {
        const app = args.app.name;
        const own = ownMappings(ctx.platform.state, app);
        // Dokku's table, which scripts read (`--quiet ports:list app | xargs` is `http 80 5000`):
        // sorted as `scheme:host:container` text, its header a row of its own, gone with --quiet.
        const rows = (own.length ? own : detected(ctx, app))
          .map((m) => [m.scheme, String(m.host), String(m.container)])
          .sort((a, b) => (a.join(':') < b.join(':') ? -1 : a.join(':') > b.join(':') ? 1 : 0));
        const header = ctx.out.quiet ? [] : [['-----> scheme', 'host port', 'container port']];
        ctx.out.out(format.step(`Port mappings for ${app}`));
        for (const line of columnize([...header, ...rows], '    ')) ctx.out.out(line);
      },
    }),
    mappingCommand(
      'ports:set',
      'Replace the app’s port mappings (scheme:host-port:container-port)',
      (_current, given) => given,
    ),
    mappingCommand('ports:add', 'Add port mappings to the app’s own', (current, given) => [...current, ...given]),
    action({
      name: 'ports:remove',
      summary: 'Remove port mappings (a mapping, or every one of a host port)',
      args: ['app', '<mapping…>'],
      access: 'app',
      run(ctx, args) {
        const app = args.app.name;
        const drop = (m: PortMapping) => args.rest.some((word) => word === formatMapping(m) || word === String(m.host));
        return changeMappings(
          ctx,
          app,
          ownMappings(ctx.platform.state, app).filter((m) => !drop(m)),
        );
      },
    }),
    action({
      name: 'ports:clear',
      summary: 'Remove the app’s own port mappings: the detected one applies again',
      args: ['app'],
      access: 'app',
      run: (ctx, args) => changeMappings(ctx, args.app.name, []),
    }),
  ],
};
