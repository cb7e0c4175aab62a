import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import { appNamesOf, intFlag, parseVersion } from '../args.js';
import { action, type Command, type AppArgs, type CommandContext, type Namespace } from '../types.js';

/** Deploy ids are UUIDs; this many characters name one in lists and on the command line. */
export const DEPLOY_ID_SHOWN = 8;

export { deployJson } from '../../state/deploys.js';

/** `vN`, a deploy id (at least 6 hex characters of it), or nothing / `current` for the newest. */
function deploySelector(word: string | undefined): { release?: number; idPrefix?: string } {
  if (word === undefined || word === 'current') return {};
  if (/^[0-9a-f-]{6,36}$/.test(word)) return { idPrefix: word };
  return { release: parseVersion(word) };
}

export async function showDeployLog(ctx: CommandContext, args: AppArgs): Promise<void> {
  const app = args.app;
  const deploy = ctx.platform.state.deploys.find(app.name, deploySelector(args.positional[1]));
  if (!deploy)
    throw new UserError(
      args.positional[1] === undefined
        ? `${app.name} has no deploys yet`
        : `No deploy ${args.positional[1]} of ${app.name}`,
    );
  const release = deploy.release === null ? '' : ` v${deploy.release}`;
  ctx.out.out(
    format.section(
      `${app.name} ${deploy.kind} deploy${release} by ${deploy.requestedBy} at ${new Date(deploy.createdAt).toISOString()}: ${deploy.status}`,
    ),
  );
  if (deploy.log !== null) return void deploy.log.split('\n').forEach((line) => ctx.out.out(line));
  // Still running: its lines so far, then live until it is done.
  await ctx.platform.logs.follow(deploy.id, (line) => ctx.out.out(line), ctx.signal);
}

/** What the containers of a failed deploy printed: the sections its deploy log keeps of them. */
function failedContainerOutput(log: string): string[] {
  const lines: string[] = [];
  let inside = false;
  for (const line of log.split('\n')) {
    if (/Start of \S+ container output/.test(line)) inside = true;
    if (inside) lines.push(line);
    if (/End of \S+ container output/.test(line)) inside = false;
  }
  return lines;
}

/** logs:failed for one app: the output of the containers of its newest failed deploy. */
function showFailed(ctx: CommandContext, app: string): void {
  const failed = ctx.platform.state.deploys.lastFailed(app);
  if (!failed) return ctx.out.out(format.step(`${app} has no failed deploy`));
  const id = failed.id.slice(0, DEPLOY_ID_SHOWN);
  ctx.out.out(
    format.section(`${app} deploy ${id} at ${new Date(failed.createdAt).toISOString()} failed: ${failed.error ?? ''}`),
  );
  const output = failedContainerOutput(failed.log ?? '');
  if (output.length === 0)
    return ctx.out.out(format.detail(`It failed before any container ran: logs:deploy ${app} ${id} shows its build`));
  output.forEach((line) => ctx.out.out(line));
}

const logsCommands: Command[] = [
  action({
    name: 'logs:failed',
    summary: 'Show what the containers of the app’s last failed deploy printed (--all: of every app)',
    args: ['app'],
    appOr: '--all',
    booleanFlags: ['all'],
    access: 'app',
    run(ctx, args) {
      for (const app of appNamesOf(ctx, args)) showFailed(ctx, app);
    },
  }),
  action({
    name: 'logs:deploy',
    summary: 'Show the build and deploy log of the newest deploy, of the one that made release vN, or of a deploy id',
    args: ['app', '[vN|<deploy-id>]'],
    access: 'app',
    run: showDeployLog,
  }),
  action({
    name: 'logs',
    summary: 'Show the app’s container logs; --tail follows them until you disconnect',
    args: ['app'],
    access: 'app',
    valueFlags: ['num', 'ps'],
    booleanFlags: ['tail', 'quiet'],
    shortFlags: { n: 'num', t: 'tail', p: 'ps', q: 'quiet' },
    async run(ctx, args) {
      const app = args.app;
      const tail = intFlag(args, 'num', 100, 0, 100_000);
      const scheduler = ctx.platform.schedulerFor(app.name);
      const running = (await scheduler.instances(app.name)).filter(
        (i) => i.running && (args.flags.ps === undefined || i.process === args.flags.ps),
      );
      if (running.length === 0)
        throw new UserError(`${app.name} has no running containers${args.flags.ps ? ` of type ${args.flags.ps}` : ''}`);
      await Promise.all(
        running.map((c) =>
          scheduler.logs(c, {
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
  }),
];

export const logsNamespace: Namespace = { name: 'logs', commands: logsCommands };
