import { randomBytes } from 'node:crypto';
import { requireApp } from '../apps/index.js';
import { releaseMetaSchema } from '../build/index.js';
import { parsePairs } from '../config/env.js';
import { UserError } from '../core/errors.js';
import { format } from '../core/output.js';
import { appBinds, commandFor, releaseEnv } from '../deploy/release.js';
import type { DeployRecord } from '../state/index.js';
import { intFlag, onlyApp, outputFormat, parseVersion, requireNoMoreArgs } from './args.js';
import type { Command, CommandContext, ParsedArgs } from './types.js';

/** `web.1`: a process type and its index. */
const DYNO = /^[a-z][a-z0-9_-]*\.\d{1,3}$/;
/** bash where the image has it, else sh. */
const SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null; then exec bash; else exec sh; fi'];

/** Deploy ids are UUIDs; this many characters name one in lists and on the command line. */
const DEPLOY_ID_SHOWN = 8;

const deployJson = (d: DeployRecord) => ({
  id: d.id,
  app: d.app,
  kind: d.kind,
  status: d.status,
  release: d.release,
  rev: d.rev,
  error: d.error,
  requested_by: d.requestedBy,
  started_at: new Date(d.createdAt).toISOString(),
  finished_at: d.finishedAt === null ? null : new Date(d.finishedAt).toISOString(),
});

/** `vN`, a deploy id (at least 6 hex characters of it), or nothing / `current` for the newest. */
function deploySelector(word: string | undefined): { release?: number; idPrefix?: string } {
  if (word === undefined || word === 'current') return {};
  if (/^[0-9a-f-]{6,36}$/.test(word)) return { idPrefix: word };
  return { release: parseVersion(word) };
}

async function showDeployLog(ctx: CommandContext, args: ParsedArgs): Promise<void> {
  requireNoMoreArgs(args, 2);
  const app = requireApp(ctx.platform, args.positional[0]);
  const deploy = ctx.platform.state.deploys.find(app.name, deploySelector(args.positional[1]));
  if (!deploy) throw new UserError(args.positional[1] === undefined ? `${app.name} has no deploys yet` : `No deploy ${args.positional[1]} of ${app.name}`);
  const release = deploy.release === null ? '' : ` v${deploy.release}`;
  ctx.out.out(format.section(`${app.name} ${deploy.kind} deploy${release} by ${deploy.requestedBy} at ${new Date(deploy.createdAt).toISOString()}: ${deploy.status}`));
  if (deploy.log !== null) return void deploy.log.split('\n').forEach((line) => ctx.out.out(line));
  // Still running: its lines so far, then live until it is done.
  await ctx.platform.logs.follow(deploy.id, (line) => ctx.out.out(line), ctx.signal);
}

export const processCommands: Command[] = [
  {
    name: 'logs:deploy',
    summary: 'Show the build and deploy log of the newest deploy, of the one that made release vN, or of a deploy id',
    usage: '<app> [vN|<deploy-id>]',
    access: 'app',
    run: showDeployLog,
  },
  {
    name: 'builds:output',
    summary: 'Show a deploy’s build and deploy log (the same as logs:deploy)',
    usage: '<app> [vN|<deploy-id>|current]',
    access: 'app',
    run: showDeployLog,
  },
  {
    name: 'builds:list',
    summary: 'List the app’s deploys (builds, config changes, restarts, rollbacks), newest first',
    usage: '<app> [--format stdout|json]',
    access: 'app',
    valueFlags: ['format'],
    async run(ctx, args) {
      const app = onlyApp(ctx, args);
      const deploys = ctx.platform.state.deploys.list(app.name);
      if (outputFormat(args) === 'json') return ctx.out.out(JSON.stringify(deploys.map(deployJson)));
      ctx.out.out(format.section(`${app.name} builds`));
      for (const d of deploys) {
        const release = d.release === null ? '-' : `v${d.release}`;
        ctx.out.out(`${d.id.slice(0, DEPLOY_ID_SHOWN)}  ${release.padEnd(5)} ${d.kind.padEnd(8)} ${d.status.padEnd(9)} ${new Date(d.createdAt).toISOString()}  ${d.requestedBy}`);
      }
    },
  },
  {
    name: 'logs',
    summary: 'Show the app’s container logs; --tail follows them until you disconnect',
    usage: '<app> [-n|--num N] [-t|--tail] [-p|--ps <process-type>] [-q|--quiet]',
    access: 'app',
    valueFlags: ['num', 'ps'],
    booleanFlags: ['tail', 'quiet'],
    shortFlags: { n: 'num', t: 'tail', p: 'ps', q: 'quiet' },
    async run(ctx, args) {
      const app = onlyApp(ctx, args);
      const tail = intFlag(args, 'num', 100, 0, 100_000);
      const running = (await ctx.platform.scheduler.containers(app.name)).filter(
        (c) => c.ip && (args.flags.ps === undefined || c.process === args.flags.ps),
      );
      if (running.length === 0) throw new UserError(`${app.name} has no running containers${args.flags.ps ? ` of type ${args.flags.ps}` : ''}`);
      await Promise.all(
        running.map((c) =>
          ctx.platform.docker.streamLogs(c.id, {
            tail,
            follow: Boolean(args.flags.tail),
            signal: ctx.signal,
            onLine: (line) => {
              if (args.flags.quiet) return ctx.out.out(line.replace(/^\S+ /, ''));
              const [stamp = '', ...text] = line.split(' ');
              ctx.out.out(`${stamp} app[${c.process}.${c.index}]: ${text.join(' ')}`);
            },
          }),
        ),
      );
    },
  },
  {
    name: 'run',
    summary: 'Run a one-off command in a new container of the current release (exit code passed back); ssh -t makes it interactive',
    usage: '[-e KEY=VALUE] [--no-tty] <app> <command…>   (-e may repeat; a Procfile process type runs its command)',
    access: 'app',
    rawArgs: true,
    repeatableFlags: ['env'],
    shortFlags: { e: 'env' },
    booleanFlags: ['no-tty'],
    async run(ctx, args) {
      const [name, ...words] = args.positional;
      const app = requireApp(ctx.platform, name);
      if (words.length === 0) throw new UserError('Please specify a command to run');
      const { releases, config } = ctx.platform.state;
      const current = releases.current(app.name);
      if (!current) throw new UserError(`${app.name} has not been deployed yet`);
      const meta = releaseMetaSchema.parse(current.meta);
      const procfileCommand = words.length === 1 ? meta.processes?.[words[0]!] : undefined;
      if (procfileCommand) ctx.out.err(format.step(`Found '${words[0]}' in Procfile, running that command`));
      const dyno = `run.${randomBytes(2).readUInt16BE() % 10_000}`;
      return ctx.platform.scheduler.runOnce({
        app: app.name,
        image: current.image,
        cmd: commandFor(meta, procfileCommand ?? words.join(' ')),
        // the config as it is now, even if changed with --no-restart since the release
        env: { ...releaseEnv(ctx.platform, { ...current, config: config.get(app.name) }), ...parsePairs(args.lists.env ?? [], false, true), DYNO: dyno },
        binds: appBinds(ctx.platform, app.name),
        onLine: (line) => ctx.out.out(line),
        terminal: ctx.terminal && !args.flags['no-tty'] ? { terminal: ctx.terminal, stdin: ctx.stdin, stdout: ctx.stdout } : undefined,
      });
    },
  },
  {
    name: 'enter',
    summary: 'Run a shell (or a command) inside one of the app’s running containers; use ssh -t for a terminal',
    usage: '<app> [<type>.<N>] [<command…>]   (default: the first web container, a shell)',
    access: 'app',
    rawArgs: true,
    async run(ctx, args) {
      const [name, ...rest] = args.positional;
      const app = requireApp(ctx.platform, name);
      const dyno = rest[0] !== undefined && DYNO.test(rest[0]) ? rest.shift()! : undefined;
      const running = (await ctx.platform.scheduler.containers(app.name)).filter((c) => c.ip).sort((a, b) => a.index - b.index);
      const container = dyno ? running.find((c) => `${c.process}.${c.index}` === dyno) : (running.find((c) => c.process === 'web') ?? running[0]);
      if (!container) throw new UserError(dyno ? `${app.name} has no running container ${dyno}` : `${app.name} has no running containers`);
      return ctx.platform.docker.exec(container.id, rest.length > 0 ? ['/bin/sh', '-c', rest.join(' ')] : SHELL, {
        stdin: ctx.stdin,
        stdout: ctx.stdout,
        stderr: ctx.stderr,
        tty: ctx.terminal,
      });
    },
  },
];
