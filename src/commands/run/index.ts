import { randomBytes } from 'node:crypto';
import { parsePairs } from '../../config/env.js';
import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import { currentReleaseOneOff } from '../../deploy/release.js';
import { maxOneOffs, setMaxOneOffs, startOneOff } from '../../one-offs/index.js';
import type { Instance, OneOffIo, OneOffSpec } from '../../runtime/scheduler.js';
import { appNamesOf, intFlag } from '../args.js';
import { setCommand } from '../set-command.js';
import { action, query, type AppReport, type AppArgs, type CommandContext, type Namespace } from '../types.js';

/** `web.1`: a process type and its index. */
const DYNO = /^[a-z][a-z0-9_-]*\.\d{1,3}$/;
/** bash where the image has it, else sh. */
const SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null; then exec bash; else exec sh; fi'];

/**
 * A one-off of the app's current release: the words are a command for its shell, or a
 * Procfile process type; the config is the app's as it is now (even if changed with
 * --no-restart since the release), with `-e KEY=value` on top.
 */
function oneOffSpec(ctx: CommandContext, args: AppArgs): OneOffSpec {
  const app = args.app.name;
  const dyno = `run.${randomBytes(2).readUInt16BE() % 10_000}`;
  const { procfile, ...spec } = currentReleaseOneOff(ctx.platform, app, args.rest.join(' '), {
    ...parsePairs(args.lists.env ?? [], false, true),
    DYNO: dyno,
  });
  if (procfile) ctx.out.err(format.step(`Found '${args.rest[0]}' in Procfile, running that command`));
  return spec;
}

/** Where a one-off's output goes: the caller's terminal when ssh gave one (and it is wanted), else line by line. */
export function oneOffIo(ctx: CommandContext, useTerminal = true): OneOffIo {
  return ctx.terminal && useTerminal
    ? { terminal: ctx.terminal, stdin: ctx.stdin, stdout: ctx.stdout }
    : { onLine: (line: string) => ctx.out.out(line) };
}

/** The app's one-off containers (`run`, `run:detached`), running or exited. */
async function oneOffs(ctx: CommandContext, app: string): Promise<Instance[]> {
  const all = await ctx.platform.schedulerFor(app).instances(app, { oneOffs: true });
  return all.filter((i) => i.process === 'run').sort((a, b) => a.name.localeCompare(b.name));
}

/** One of them, by its container name or its dyno (`run.1234`), as run:list shows them. */
async function oneOff(ctx: CommandContext, app: string, name: string | undefined): Promise<Instance> {
  if (!name) throw new UserError('Please specify a one-off container (run:list shows them)');
  const found = (await oneOffs(ctx, app)).find((i) => i.name === name || dynoOf(i) === name);
  if (!found) throw new UserError(`${app} has no one-off container ${name}`);
  return found;
}

/** `run.1234` out of `<instance>.<app>.run.1234.<suffix>`. */
const dynoOf = (instance: Instance) => /\.(run\.\d+)\.[0-9a-f]+$/.exec(instance.name)?.[1] ?? instance.name;

const RUN_FLAGS = { repeatableFlags: ['env'], shortFlags: { e: 'env' } };

const report: AppReport = {
  name: 'run',
  summary: 'Show how many one-off containers (run, run:detached, cron runs) the app may run at once',
  rows: (ctx, app) => [['Run max one-offs', String(maxOneOffs(ctx.platform, app.name))]],
};

/** One-off processes of an app: a new container of the release (`run`, `run:detached`), or a running one (`enter`). */
export const runNamespace: Namespace = {
  name: 'run',
  report,
  commands: [
    action({
      name: 'run',
      summary:
        'Run a one-off command in a new container of the current release (exit code passed back); ssh -t makes it interactive',
      args: ['app', '<command…>'],
      missing: { command: 'Please specify a command to run' },
      usageNote: '(-e may repeat; a Procfile process type runs its command)',
      access: 'app',
      rawArgs: true,
      ...RUN_FLAGS,
      booleanFlags: ['no-tty'],
      async run(ctx, args) {
        const spec = oneOffSpec(ctx, args);
        const io = oneOffIo(ctx, !args.flags['no-tty']);
        return startOneOff(ctx.platform, spec.app, {
          start: (started) => ctx.platform.schedulerFor(spec.app).runOnce(spec, io, started),
        });
      },
    }),
    action({
      name: 'enter',
      summary: 'Run a shell (or a command) inside one of the app’s running containers; use ssh -t for a terminal',
      args: ['app', '[command…]'],
      usageNote: '(a first word <type>.<N> picks the container, else the first web one; no command: a shell)',
      access: 'app',
      rawArgs: true,
      async run(ctx, args) {
        const app = args.app;
        const rest = [...args.rest];
        const dyno = rest[0] !== undefined && DYNO.test(rest[0]) ? rest.shift()! : undefined;
        const scheduler = ctx.platform.schedulerFor(app.name);
        const running = (await scheduler.instances(app.name))
          .filter((i) => i.running)
          .sort((a, b) => a.index - b.index);
        const container = dyno
          ? running.find((c) => `${c.process}.${c.index}` === dyno)
          : (running.find((c) => c.process === 'web') ?? running[0]);
        if (!container)
          throw new UserError(
            dyno ? `${app.name} has no running container ${dyno}` : `${app.name} has no running containers`,
          );
        return scheduler.enter(container, rest.length > 0 ? ['/bin/sh', '-c', rest.join(' ')] : SHELL, {
          stdin: ctx.stdin,
          stdout: ctx.stdout,
          stderr: ctx.stderr,
          tty: ctx.terminal,
        });
      },
    }),
    action({
      name: 'run:detached',
      summary:
        'Start a one-off command in a new container of the current release and return at once; run:logs shows its output',
      args: ['app', '<command…>'],
      missing: { command: 'Please specify a command to run' },
      access: 'app',
      rawArgs: true,
      ...RUN_FLAGS,
      async run(ctx, args) {
        const spec = oneOffSpec(ctx, args);
        const started = await startOneOff(ctx.platform, spec.app, {
          start: () => ctx.platform.schedulerFor(spec.app).runDetached(spec),
        });
        ctx.out.out(format.step(`Running in the background as ${dynoOf(started)} (${started.name})`));
      },
    }),
    setCommand({
      name: 'run:set',
      summary:
        'Set max-one-offs: how many one-off containers (run, run:detached, cron runs) the app runs at once; no value: SLIPWAY_MAX_ONE_OFFS',
      property: 'max-one-offs',
      values: '<count>',
      access: 'admin', // the cap bounds a tenant: its own key may not lift it
      set: (ctx, app, value) => setMaxOneOffs(ctx.platform, app, value),
    }),
    query({
      name: 'run:list',
      summary: 'List the app’s one-off containers, running or exited',
      args: ['app'],
      access: 'app',
      valueFlags: ['format'],
      async read(ctx, { app }) {
        return {
          app: app.name,
          list: (await oneOffs(ctx, app.name)).map((i) => ({
            name: dynoOf(i),
            container: i.name,
            state: i.running ? 'running' : 'exited',
          })),
        };
      },
      render: {
        text({ app, list }, out) {
          out.out(format.section(`${app} run containers`));
          for (const r of list) out.out(`${r.name.padEnd(12)} ${r.state.padEnd(8)} ${r.container}`);
        },
        json: ({ list }) => list,
      },
    }),
    action({
      name: 'run:logs',
      summary: 'Show the output of a one-off container; -t follows it',
      args: ['app', '<container>'],
      access: 'app',
      valueFlags: ['num'],
      booleanFlags: ['tail'],
      shortFlags: { n: 'num', t: 'tail' },
      async run(ctx, args) {
        const app = args.app.name;
        const container = await oneOff(ctx, app, args.named.container);
        const tail = intFlag(args, 'num', 100, 0, 100_000);
        await ctx.platform.schedulerFor(app).logs(container, {
          tail,
          follow: Boolean(args.flags.tail),
          signal: ctx.signal,
          onLine: (line) => ctx.out.out(line.replace(/^\S+ /, '')),
        });
      },
    }),
    action({
      name: 'run:stop',
      summary: 'Stop a one-off container and remove it',
      args: ['app', '<container>'],
      access: 'app',
      async run(ctx, args) {
        const app = args.app.name;
        const container = await oneOff(ctx, app, args.named.container);
        await ctx.platform.schedulerFor(app).retire([container]);
        ctx.out.out(format.step(`Stopped ${dynoOf(container)}`));
      },
    }),
    action({
      name: 'run:cleanup',
      summary: 'Remove the app’s exited one-off containers (--all: of every app)',
      args: ['app'],
      appOr: '--all',
      booleanFlags: ['all'],
      access: 'app',
      async run(ctx, args) {
        let removed = 0;
        for (const app of appNamesOf(ctx, args)) {
          const exited = (await oneOffs(ctx, app)).filter((i) => !i.running);
          await ctx.platform.schedulerFor(app).discard(exited);
          removed += exited.length;
        }
        ctx.out.out(format.step(`Removed ${removed} exited one-off container${removed === 1 ? '' : 's'}`));
      },
    }),
  ],
};
