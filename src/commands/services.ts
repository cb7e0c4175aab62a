import { requireApp } from '../apps/index.js';
import { UserError } from '../core/errors.js';
import { format } from '../core/output.js';
import {
  allServiceKinds,
  backupService,
  createService,
  destroyService,
  execInService,
  exposeService,
  linkService,
  requireService,
  restartService,
  serviceHost,
  serviceLogs,
  serviceStatus,
  serviceUrl,
  unlinkService,
  type ServiceKind,
} from '../services/index.js';
import { intFlag, outputFormat, requireNoMoreArgs } from './args.js';
import { confirmDestruction } from './confirm.js';
import { isDeployed, runDeploy } from './deploys.js';
import type { Command, CommandContext, ParsedArgs } from './types.js';

/** After a link or unlink: the app picks the variable up through a zero-downtime release. */
async function restartLinkedApp(ctx: CommandContext, app: string, noRestart: boolean, description: string): Promise<number> {
  if (noRestart || !isDeployed(ctx, app)) {
    ctx.out.out(format.detail(`Skipping restart of linked app ${app}`));
    return 0;
  }
  ctx.out.out(format.step(`Restarting app ${app}`));
  return runDeploy(ctx, { kind: 'config', app, description });
}

/** `<service>`, existing: the one argument of most service commands. */
function onlyService(ctx: CommandContext, kind: ServiceKind, args: ParsedArgs) {
  requireNoMoreArgs(args, 1);
  return requireService(ctx.platform, kind, args.positional[0]);
}

/** `<service> <app>`, both existing: the arguments of link, unlink and linked. */
function serviceAndApp(ctx: CommandContext, kind: ServiceKind, args: ParsedArgs) {
  requireNoMoreArgs(args, 2);
  return { service: requireService(ctx.platform, kind, args.positional[0]), app: requireApp(ctx.platform, args.positional[1]) };
}

/**
 * The same commands for every kind of service (postgres:*, redis:*), as Dokku's plugins have.
 * Services hold other apps' data, so only admin keys manage them.
 */
function commandsFor(kind: ServiceKind): Command[] {
  const k = kind.kind;
  const commands: Command[] = [
    {
      name: `${k}:create`,
      summary: `Create a ${kind.title} service with its own volume and password`,
      usage: '<service>',
      access: 'admin',
      async run(ctx, args) {
        requireNoMoreArgs(args, 1);
        ctx.out.out(format.step(`Starting ${kind.title} service ${args.positional[0] ?? ''}`));
        await createService(ctx.platform, kind, args.positional[0], (line) => ctx.out.out(format.detail(line)));
        ctx.out.out(format.section(`${kind.title} container created: ${args.positional[0]}`));
      },
    },
    {
      name: `${k}:list`,
      summary: `List ${kind.title} services`,
      usage: '[--format stdout|json]',
      access: 'admin',
      valueFlags: ['format'],
      async run(ctx, args) {
        requireNoMoreArgs(args, 0);
        const rows = await Promise.all(
          ctx.platform.state.services.list(k).map(async (s) => ({
            name: s.name,
            status: await serviceStatus(ctx.platform, kind, s.name),
            links: ctx.platform.state.services.links(k, s.name).map((l) => l.app),
          })),
        );
        if (outputFormat(args) === 'json') return ctx.out.out(JSON.stringify(rows));
        ctx.out.out(format.section(`${kind.title} services`));
        for (const row of rows) ctx.out.out(`${row.name.padEnd(24)} ${row.status.padEnd(10)} ${row.links.join(',') || '-'}`);
      },
    },
    {
      name: `${k}:info`,
      summary: `Show a ${kind.title} service; --dsn prints its URL (with the password)`,
      usage: '<service> [--dsn|--status|--links|--internal-host|--exposed-port]',
      access: 'admin',
      booleanFlags: ['dsn', 'status', 'links', 'internal-host', 'exposed-port'],
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        const links = ctx.platform.state.services.links(k, service.name);
        const fields: Record<string, string> = {
          dsn: serviceUrl(kind, service),
          status: await serviceStatus(ctx.platform, kind, service.name),
          links: links.map((l) => `${l.app} (${l.envVar})`).join(', ') || '-',
          'internal-host': serviceHost(kind, service.name),
          'exposed-port': service.exposedPort ? String(service.exposedPort) : '-',
        };
        const chosen = Object.keys(fields).filter((f) => args.flags[f]);
        if (chosen.length > 1) throw new UserError('Give at most one of --dsn, --status, --links, --internal-host, --exposed-port');
        if (chosen.length === 1) return ctx.out.out(fields[chosen[0]!]!);
        ctx.out.out(format.section(`${kind.title} service ${service.name}`));
        ctx.out.out(format.detail(`Status:         ${fields.status}`));
        ctx.out.out(format.detail(`Internal host:  ${fields['internal-host']}:${kind.port}`));
        ctx.out.out(format.detail(`Links:          ${fields.links}`));
        ctx.out.out(format.detail(`Exposed port:   ${fields['exposed-port']}`));
        ctx.out.out(format.detail(`Dsn:            (hidden; ${k}:info ${service.name} --dsn shows it)`));
      },
    },
    {
      name: `${k}:link`,
      summary: `Give an app the service's URL (${kind.envVar}) and restart it without downtime`,
      usage: '<service> <app> [--no-restart]',
      access: 'admin',
      booleanFlags: ['no-restart'],
      async run(ctx, args) {
        const { service, app } = serviceAndApp(ctx, kind, args);
        const link = linkService(ctx.platform, kind, service, app.name);
        ctx.out.out(format.step('Setting config vars'));
        ctx.out.out(format.detail(`${link.envVar}:  (the ${service.name} URL; ${k}:info ${service.name} --dsn shows it)`));
        return restartLinkedApp(ctx, app.name, Boolean(args.flags['no-restart']), `Link ${k} ${service.name} as ${link.envVar}`);
      },
    },
    {
      name: `${k}:unlink`,
      summary: `Take the service's URL away from an app and restart it`,
      usage: '<service> <app> [--no-restart]',
      access: 'admin',
      booleanFlags: ['no-restart'],
      async run(ctx, args) {
        const { service, app } = serviceAndApp(ctx, kind, args);
        const link = unlinkService(ctx.platform, kind, service, app.name);
        ctx.out.out(format.step(`Unsetting ${link.envVar}`));
        return restartLinkedApp(ctx, app.name, Boolean(args.flags['no-restart']), `Unlink ${k} ${service.name}`);
      },
    },
    {
      name: `${k}:linked`,
      summary: 'Exit 0 if the service is linked to the app, 1 if not',
      usage: '<service> <app>',
      access: 'admin',
      async run(ctx, args) {
        const { service, app } = serviceAndApp(ctx, kind, args);
        const linked = ctx.platform.state.services.links(k, service.name).some((l) => l.app === app.name);
        ctx.out.out(format.step(`Service ${service.name} is ${linked ? '' : 'not '}linked to ${app.name}`));
        return linked ? 0 : 1;
      },
    },
    {
      name: `${k}:expose`,
      summary: 'Publish the service on a host port (all interfaces), for access from outside',
      usage: '<service> <port>',
      access: 'admin',
      async run(ctx, args) {
        requireNoMoreArgs(args, 2);
        const service = requireService(ctx.platform, kind, args.positional[0]);
        const port = /^\d{1,5}$/.test(args.positional[1] ?? '') ? Number(args.positional[1]) : NaN;
        if (!(port >= 1024 && port <= 65535)) throw new UserError('Give a host port from 1024 to 65535');
        await exposeService(ctx.platform, kind, service, port);
        ctx.out.out(format.step(`Service ${service.name} exposed on port ${port}`));
      },
    },
    {
      name: `${k}:unexpose`,
      summary: 'Stop publishing the service on the host',
      usage: '<service>',
      access: 'admin',
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        await exposeService(ctx.platform, kind, service, null);
        ctx.out.out(format.step(`Service ${service.name} unexposed`));
      },
    },
    {
      name: `${k}:restart`,
      summary: 'Restart the service container (its data stays)',
      usage: '<service>',
      access: 'admin',
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        ctx.out.out(format.step(`Restarting ${kind.title} service ${service.name}`));
        await restartService(ctx.platform, kind, service);
        ctx.out.out(format.step(`${kind.title} service ${service.name} is running`));
      },
    },
    {
      name: `${k}:logs`,
      summary: 'Show the service container’s last log lines',
      usage: '<service> [--num N]',
      access: 'admin',
      valueFlags: ['num'],
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        (await serviceLogs(ctx.platform, kind, service, intFlag(args, 'num', 100, 1, 10_000))).forEach((line) => ctx.out.out(line));
      },
    },
    {
      name: `${k}:connect`,
      summary: 'Talk to the service with its own client (psql, redis-cli) over stdin/stdout',
      usage: '<service>',
      access: 'admin',
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        // Under ssh -t, psql/redis-cli get a terminal: prompts, line editing, history.
        return execInService(ctx.platform, kind, service, kind.connect(service), { stdin: ctx.stdin, stdout: ctx.stdout, stderr: ctx.stderr, tty: ctx.terminal });
      },
    },
    {
      name: `${k}:destroy`,
      summary: 'Delete the service and its data (refused while linked)',
      usage: '<service> [--force]',
      access: 'admin',
      booleanFlags: ['force'],
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        if (ctx.platform.state.services.links(k, service.name).length > 0) throw new UserError('Cannot delete linked service');
        await confirmDestruction(ctx, `${kind.title} service`, service.name, Boolean(args.flags.force));
        ctx.out.out(format.step(`Deleting ${service.name}`));
        await destroyService(ctx.platform, kind, service);
        ctx.out.out(format.section(`${kind.title} container deleted: ${service.name}`));
      },
    },
  ];
  const { exportCmd, importCmd } = kind;
  if (exportCmd && importCmd) {
    commands.push(
      {
        name: `${k}:export`,
        summary: 'Write a dump of the service’s database to stdout',
        usage: '<service> > dump',
        access: 'admin',
        async run(ctx, args) {
          const service = onlyService(ctx, kind, args);
          return execInService(ctx.platform, kind, service, exportCmd(service), { stdout: ctx.stdout, stderr: ctx.stderr });
        },
      },
      {
        name: `${k}:backup`,
        summary: 'Dump the database into a backup directory, keeping the newest N dumps (default 7)',
        usage: '<service> <backup-dir> [--keep N]',
        access: 'admin',
        valueFlags: ['keep'],
        async run(ctx, args) {
          requireNoMoreArgs(args, 2);
          const service = requireService(ctx.platform, kind, args.positional[0]);
          const keep = intFlag(args, 'keep', 7, 1, 1000);
          const { file, removed } = await backupService(ctx.platform, kind, service, args.positional[1], keep);
          ctx.out.out(format.step(`Backup of ${service.name} written to ${file}`));
          for (const old of removed) ctx.out.out(format.detail(`Removed old backup ${old}`));
        },
      },
      {
        name: `${k}:import`,
        summary: 'Restore a dump (from export) read from stdin into the service’s database',
        usage: '<service> < dump',
        access: 'admin',
        async run(ctx, args) {
          const service = onlyService(ctx, kind, args);
          return execInService(ctx.platform, kind, service, importCmd(service), { stdin: ctx.stdin, stdout: ctx.stdout, stderr: ctx.stderr });
        },
      },
    );
  }
  return commands;
}

export const serviceCommands: Command[] = allServiceKinds.flatMap(commandsFor);
