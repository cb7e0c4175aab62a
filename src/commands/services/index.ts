import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import {
  allServiceKinds,
  attachLinkedApps,
  createService,
  destroyService,
  execInService,
  exposeService,
  linkService,
  recoveryStatus,
  requireService,
  restartService,
  rotateServicePassword,
  serviceHost,
  serviceJson,
  serviceLogs,
  serviceNameMissing,
  serviceStatus,
  serviceUrl,
  unlinkService,
  type ServiceKind,
} from '../../services/index.js';
import type { Platform } from '../../platform.js';
import { intFlag } from '../args.js';
import { backupCommands } from './backups.js';
import { recoveryCommands, recoveryLines } from './recovery.js';
import { confirmDestruction } from '../confirm.js';
import { isDeployed, runDeploy } from '../deploys.js';
import {
  action,
  query,
  type ArgsOf,
  type Command,
  type CommandArgs,
  type CommandContext,
  type Namespace,
} from '../types.js';

/** After a link or unlink: the app picks the variable up through a zero-downtime release. */
async function restartLinkedApp(
  ctx: CommandContext,
  app: string,
  noRestart: boolean,
  description: string,
): Promise<number> {
  if (noRestart || !isDeployed(ctx, app)) {
    ctx.out.out(format.detail(`Skipping restart of linked app ${app}`));
    return 0;
  }
  ctx.out.out(format.step(`Restarting app ${app}`));
  return runDeploy(ctx, { kind: 'config', app, description });
}

/** The service the first argument names, which must exist. */
const onlyService = (ctx: CommandContext, kind: ServiceKind, args: CommandArgs) =>
  requireService(ctx.platform, kind, args.named.service);

/** `<service> <app>`, both existing: the arguments of link, unlink and linked. */
const serviceAndApp = (ctx: CommandContext, kind: ServiceKind, args: ArgsOf<['<service>', 'app']>) => ({
  service: onlyService(ctx, kind, args),
  app: args.app,
});

/**
 * The same commands for every kind of service (postgres:*, redis:*, mariadb:*), as Dokku's
 * plugins have, named in `ns`: the kind's own namespace or an alias of it (mysql:*).
 * Services hold other apps' data, so only admin keys manage them.
 */
function commandsFor(kind: ServiceKind, ns: string): Command[] {
  const k = kind.kind;
  const missing = { service: serviceNameMissing(kind) };
  const commands: Command[] = [
    action({
      name: `${ns}:create`,
      summary: `Create a ${kind.title} service with its own volume and password`,
      args: ['<service>'],
      missing,
      access: 'admin',
      async run(ctx, args) {
        const name = args.named.service;
        ctx.out.out(format.step(`Starting ${kind.title} service ${name}`));
        await createService(ctx.platform, kind, name, (line) => ctx.out.out(format.detail(line)));
        ctx.out.out(format.section(`${kind.title} container created: ${name}`));
      },
    }),
    query({
      name: `${ns}:list`,
      summary: `List ${kind.title} services`,
      args: [],
      access: 'admin',
      valueFlags: ['format'],
      read: (ctx) =>
        Promise.all(ctx.platform.state.services.list(k).map((s) => serviceJson(ctx.platform, kind, s.name))),
      render: {
        text(rows, out) {
          out.out(format.section(`${kind.title} services`));
          for (const row of rows)
            out.out(`${row.name.padEnd(24)} ${row.status.padEnd(10)} ${row.links.join(',') || '-'}`);
        },
      },
    }),
    action({
      name: `${ns}:info`,
      summary: `Show a ${kind.title} service; --dsn prints its URL (with the password)`,
      args: ['<service>'],
      missing,
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
        if (chosen.length > 1)
          throw new UserError('Give at most one of --dsn, --status, --links, --internal-host, --exposed-port');
        if (chosen.length === 1) return ctx.out.out(fields[chosen[0]!]!);
        const rows: [string, string][] = [
          ['Status', fields.status!],
          ['Internal host', `${fields['internal-host']}:${kind.port}`],
          ['Links', fields.links!],
          ['Exposed port', fields['exposed-port']!],
          ['Dsn', `(hidden; ${ns}:info ${service.name} --dsn shows it)`],
          ...(kind.archivePath ? recoveryLines(await recoveryStatus(ctx.platform, kind, service)) : []),
        ];
        ctx.out.out(format.section(`${kind.title} service ${service.name}`));
        for (const [label, value] of rows) ctx.out.out(format.detail(`${`${label}:`.padEnd(18)}${value}`));
      },
    }),
    action({
      name: `${ns}:link`,
      summary: `Give an app the service's URL (${kind.envVar}) and restart it without downtime`,
      args: ['<service>', 'app'],
      missing,
      access: 'admin',
      booleanFlags: ['no-restart'],
      async run(ctx, args) {
        const { service, app } = serviceAndApp(ctx, kind, args);
        const link = await linkService(ctx.platform, kind, service, app.name);
        ctx.out.out(format.step('Setting config vars'));
        ctx.out.out(
          format.detail(`${link.envVar}:  (the ${service.name} URL; ${ns}:info ${service.name} --dsn shows it)`),
        );
        return restartLinkedApp(
          ctx,
          app.name,
          Boolean(args.flags['no-restart']),
          `Link ${k} ${service.name} as ${link.envVar}`,
        );
      },
    }),
    action({
      name: `${ns}:unlink`,
      summary: `Take the service's URL away from an app, restart it, and give the service a new password (linked apps restart with it)`,
      args: ['<service>', 'app'],
      missing,
      access: 'admin',
      booleanFlags: ['no-restart'],
      async run(ctx, args) {
        const { service, app } = serviceAndApp(ctx, kind, args);
        const link = unlinkService(ctx.platform, kind, service, app.name);
        const noRestart = Boolean(args.flags['no-restart']);
        ctx.out.out(format.step(`Unsetting ${link.envVar}`));
        let code: number;
        try {
          code = await restartLinkedApp(ctx, app.name, noRestart, `Unlink ${k} ${service.name}`);
        } finally {
          // Only now: the app's old containers used the service until the new ones took over.
          await attachLinkedApps(ctx.platform, kind, service);
        }
        ctx.out.out(format.step(`Changing the password of ${service.name}`));
        for (const other of await rotateServicePassword(ctx.platform, kind, service)) {
          const restarted = await restartLinkedApp(ctx, other.app, noRestart, `New password of ${k} ${service.name}`);
          code ||= restarted; // one app's failed restart does not keep the others on the old password
        }
        return code;
      },
    }),
    action({
      name: `${ns}:linked`,
      summary: 'Exit 0 if the service is linked to the app, 1 if not',
      args: ['<service>', 'app'],
      missing,
      access: 'admin',
      run(ctx, args) {
        const { service, app } = serviceAndApp(ctx, kind, args);
        const linked = ctx.platform.state.services.links(k, service.name).some((l) => l.app === app.name);
        ctx.out.out(format.step(`Service ${service.name} is ${linked ? '' : 'not '}linked to ${app.name}`));
        return Promise.resolve(linked ? 0 : 1);
      },
    }),
    action({
      name: `${ns}:expose`,
      summary: 'Publish the service on a host port (all interfaces), for access from outside',
      args: ['<service>', '<port>'],
      missing,
      access: 'admin',
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        const port = /^\d{1,5}$/.test(args.named.port) ? Number(args.named.port) : NaN;
        if (!(port >= 1024 && port <= 65535)) throw new UserError('Give a host port from 1024 to 65535');
        await exposeService(ctx.platform, kind, service, port);
        ctx.out.out(format.step(`Service ${service.name} exposed on port ${port}`));
      },
    }),
    action({
      name: `${ns}:unexpose`,
      summary: 'Stop publishing the service on the host',
      args: ['<service>'],
      missing,
      access: 'admin',
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        await exposeService(ctx.platform, kind, service, null);
        ctx.out.out(format.step(`Service ${service.name} unexposed`));
      },
    }),
    action({
      name: `${ns}:restart`,
      summary: 'Restart the service container (its data stays)',
      args: ['<service>'],
      missing,
      access: 'admin',
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        ctx.out.out(format.step(`Restarting ${kind.title} service ${service.name}`));
        await restartService(ctx.platform, kind, service, (line) => ctx.out.out(format.detail(line)));
        ctx.out.out(format.step(`${kind.title} service ${service.name} is running`));
      },
    }),
    action({
      name: `${ns}:logs`,
      summary: 'Show the service container’s last log lines',
      args: ['<service>'],
      missing,
      access: 'admin',
      valueFlags: ['num'],
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        (await serviceLogs(ctx.platform, kind, service, intFlag(args, 'num', 100, 1, 10_000))).forEach((line) =>
          ctx.out.out(line),
        );
      },
    }),
    action({
      name: `${ns}:connect`,
      summary: 'Talk to the service with its own client (psql, redis-cli, mariadb) over stdin/stdout',
      args: ['<service>'],
      missing,
      access: 'admin',
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        // Under ssh -t, the client gets a terminal: prompts, line editing, history.
        return execInService(ctx.platform, kind, service, kind.connect(service), {
          stdin: ctx.stdin,
          stdout: ctx.stdout,
          stderr: ctx.stderr,
          tty: ctx.terminal,
        });
      },
    }),
    action({
      name: `${ns}:destroy`,
      summary: 'Delete the service and its data (refused while linked)',
      args: ['<service>'],
      missing,
      access: 'admin',
      booleanFlags: ['force'],
      async run(ctx, args) {
        const service = onlyService(ctx, kind, args);
        if (ctx.platform.state.services.links(k, service.name).length > 0)
          throw new UserError('Cannot delete linked service');
        await confirmDestruction(ctx, `${kind.title} service`, service.name, Boolean(args.flags.force));
        ctx.out.out(format.step(`Deleting ${service.name}`));
        await destroyService(ctx.platform, kind, service);
        ctx.out.out(format.section(`${kind.title} container deleted: ${service.name}`));
      },
    }),
  ];
  const { exportCmd, importCmd } = kind;
  if (exportCmd && importCmd) {
    commands.push(
      action({
        name: `${ns}:export`,
        summary: 'Write a dump of the service’s database to stdout',
        args: ['<service>'],
        missing,
        usageNote: '> dump',
        access: 'admin',
        async run(ctx, args) {
          const service = onlyService(ctx, kind, args);
          return execInService(ctx.platform, kind, service, exportCmd(service), {
            stdout: ctx.stdout,
            stderr: ctx.stderr,
          });
        },
      }),
      ...backupCommands(kind, ns),
      ...recoveryCommands(kind),
      action({
        name: `${ns}:import`,
        summary: 'Restore a dump (from export) read from stdin into the service’s database',
        args: ['<service>'],
        missing,
        usageNote: '< dump',
        access: 'admin',
        async run(ctx, args) {
          const service = onlyService(ctx, kind, args);
          return execInService(ctx.platform, kind, service, importCmd(service), {
            stdin: ctx.stdin,
            stdout: ctx.stdout,
            stderr: ctx.stderr,
          });
        },
      }),
    );
  }
  return commands;
}

/** A renamed app has a new network: its linked services join it before it deploys again. */
async function followRename(platform: Platform, kind: ServiceKind, to: string): Promise<void> {
  for (const link of platform.state.services.linksOf(to).filter((l) => l.kind === kind.kind)) {
    await attachLinkedApps(platform, kind, requireService(platform, kind, link.name));
  }
}

/**
 * One namespace per kind of service, as Dokku's postgres, redis and mariadb plugins, and one
 * per alias (Dokku's mysql plugin) with the same commands on the same services; only the
 * kind's own follows app renames.
 */
export const serviceNamespaces: Namespace[] = allServiceKinds.flatMap((kind) => [
  {
    name: kind.kind,
    commands: commandsFor(kind, kind.kind),
    lifecycle: { rename: (platform, _from, to) => followRename(platform, kind, to) },
  },
  ...(kind.aliases ?? []).map((alias) => ({ name: alias, commands: commandsFor(kind, alias) })),
]);
