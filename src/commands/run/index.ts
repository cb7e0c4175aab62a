import { randomBytes } from 'node:crypto';
import { parsePairs } from '../../config/env.js';
import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import { appBinds, releaseEnv } from '../../deploy/release.js';
import { commandFor, releaseMetaSchema } from '../../model/release.js';
import type { Namespace } from '../types.js';

/** `web.1`: a process type and its index. */
const DYNO = /^[a-z][a-z0-9_-]*\.\d{1,3}$/;
/** bash where the image has it, else sh. */
const SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null; then exec bash; else exec sh; fi'];

/** One-off processes of an app: a new container of the release (`run`), or a running one (`enter`). */
export const runNamespace: Namespace = {
  name: 'run',
  commands: [
    {
      name: 'run',
      summary: 'Run a one-off command in a new container of the current release (exit code passed back); ssh -t makes it interactive',
      args: ['app', '<command…>'],
      missing: { command: 'Please specify a command to run' },
      usageNote: '(-e may repeat; a Procfile process type runs its command)',
      access: 'app',
      rawArgs: true,
      repeatableFlags: ['env'],
      shortFlags: { e: 'env' },
      booleanFlags: ['no-tty'],
      async run(ctx, args) {
        const app = args.app!;
        const words = args.rest;
        const { releases, config } = ctx.platform.state;
        const current = releases.current(app.name);
        if (!current) throw new UserError(`${app.name} has not been deployed yet`);
        const meta = releaseMetaSchema.parse(current.meta);
        const procfileCommand = words.length === 1 ? meta.processes?.[words[0]!] : undefined;
        if (procfileCommand) ctx.out.err(format.step(`Found '${words[0]}' in Procfile, running that command`));
        const dyno = `run.${randomBytes(2).readUInt16BE() % 10_000}`;
        const spec = {
          app: app.name,
          image: current.image,
          cmd: commandFor(meta, procfileCommand ?? words.join(' ')),
          // the config as it is now, even if changed with --no-restart since the release
          env: { ...releaseEnv(ctx.platform, { ...current, config: config.get(app.name) }), ...parsePairs(args.lists.env ?? [], false, true), DYNO: dyno },
          binds: appBinds(ctx.platform, app.name),
        };
        const io = ctx.terminal && !args.flags['no-tty'] ? { terminal: ctx.terminal, stdin: ctx.stdin, stdout: ctx.stdout } : { onLine: (line: string) => ctx.out.out(line) };
        return ctx.platform.schedulerFor(app.name).runOnce(spec, io);
      },
    },    {
      name: 'enter',
      summary: 'Run a shell (or a command) inside one of the app’s running containers; use ssh -t for a terminal',
      args: ['app', '[command…]'],
      usageNote: '(a first word <type>.<N> picks the container, else the first web one; no command: a shell)',
      access: 'app',
      rawArgs: true,
      async run(ctx, args) {
        const app = args.app!;
        const rest = [...args.rest];
        const dyno = rest[0] !== undefined && DYNO.test(rest[0]) ? rest.shift()! : undefined;
        const scheduler = ctx.platform.schedulerFor(app.name);
        const running = (await scheduler.instances(app.name)).filter((i) => i.running).sort((a, b) => a.index - b.index);
        const container = dyno ? running.find((c) => `${c.process}.${c.index}` === dyno) : (running.find((c) => c.process === 'web') ?? running[0]);
        if (!container) throw new UserError(dyno ? `${app.name} has no running container ${dyno}` : `${app.name} has no running containers`);
        return scheduler.enter(container, rest.length > 0 ? ['/bin/sh', '-c', rest.join(' ')] : SHELL, {
          stdin: ctx.stdin,
          stdout: ctx.stdout,
          stderr: ctx.stderr,
          tty: ctx.terminal,
        });
      },
    },  ],
};
