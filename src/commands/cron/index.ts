import { format } from '../../core/output.js';
import {
  appCronSuspended,
  cronRuns,
  cronTask,
  cronTasks,
  nextCronRun,
  runCronAttached,
  setCronSuspended,
  startCronRun,
} from '../../cron/index.js';
import { intFlag } from '../args.js';
import { oneOffIo } from '../run/index.js';
import { action, query, type AppReport, type Command, type Namespace } from '../types.js';

const report: AppReport = {
  name: 'cron',
  summary: 'Show the app’s cron task count, whether its tasks are suspended, and the next run',
  rows(ctx, app) {
    const tasks = cronTasks(ctx.platform, app.name);
    const next = tasks
      .map((t) => nextCronRun(t)?.getTime())
      .filter((t) => t !== undefined)
      .sort((a, b) => a - b)[0];
    return [
      ['Cron task count', String(tasks.length)],
      ['Cron suspended', String(appCronSuspended(ctx.platform, app.name))],
      ['Cron next run', next === undefined ? '' : new Date(next).toISOString()],
    ];
  },
};

const suspendCommand = (suspend: boolean): Command =>
  action({
    name: suspend ? 'cron:suspend' : 'cron:resume',
    summary: suspend
      ? 'Stop starting a cron task (no ID: every task of the app) until cron:resume'
      : 'Start a suspended cron task on its schedule again (no ID: the whole app)',
    args: ['app', '[id]'],
    access: 'app',
    run(ctx, args) {
      const app = args.app.name;
      const id = args.named.id;
      setCronSuspended(ctx.platform, app, id, suspend);
      const what = id === undefined ? `every cron task of ${app}` : `cron task ${id}`;
      ctx.out.out(format.step(`${suspend ? 'Suspended' : 'Resumed'} ${what}`));
    },
  });

/** Scheduled tasks from app.json's `cron`, run by the daemon in one-off containers of the current release. */
export const cronNamespace: Namespace = {
  name: 'cron',
  report,
  commands: [
    query({
      name: 'cron:list',
      summary: 'List the app’s cron tasks (from app.json) with their IDs and next runs',
      args: ['app'],
      access: 'app',
      valueFlags: ['format'],
      read(ctx, { app }) {
        const tasks = cronTasks(ctx.platform, app.name).map((t) => ({
          id: t.id,
          schedule: t.schedule,
          command: t.command,
          concurrency_policy: t.concurrency_policy,
          suspended: t.suspended,
          next_run: nextCronRun(t)?.toISOString() ?? null,
        }));
        return { app: app.name, tasks };
      },
      render: {
        text({ app, tasks }, out) {
          out.out(format.section(`${app} cron tasks`));
          out.out(`${'ID'.padEnd(14)}${'Schedule'.padEnd(16)}${'Suspended'.padEnd(11)}${'Next run'.padEnd(26)}Command`);
          for (const t of tasks)
            out.out(
              `${t.id.padEnd(14)}${t.schedule.padEnd(16)}${String(t.suspended).padEnd(11)}${(t.next_run ?? '-').padEnd(26)}${t.command}`,
            );
        },
        json: ({ tasks }) => tasks,
      },
    }),
    action({
      name: 'cron:run',
      summary: 'Run a cron task now: its output here, or with --detach in the background (cron:logs shows it)',
      args: ['app', '<id>'],
      access: 'app',
      booleanFlags: ['detach'],
      async run(ctx, args) {
        const task = cronTask(ctx.platform, args.app.name, args.named.id);
        if (!args.flags.detach) return runCronAttached(ctx.platform, task, oneOffIo(ctx));
        const outcome = await startCronRun(ctx.platform, task);
        if ('skipped' in outcome) {
          ctx.out.err(format.error(`Cron task ${task.id} was not started: ${outcome.skipped}`));
          return 1;
        }
        ctx.out.out(format.step(`Running cron task ${task.id} in the background as ${outcome.started.name}`));
      },
    }),
    suspendCommand(true),
    suspendCommand(false),
    action({
      name: 'cron:logs',
      summary: 'Show the output of the last runs of the app’s cron tasks (or of one task), oldest first',
      args: ['app', '[id]'],
      access: 'app',
      valueFlags: ['num'],
      shortFlags: { n: 'num' },
      async run(ctx, args) {
        const app = args.app.name;
        const id = args.named.id === undefined ? undefined : cronTask(ctx.platform, app, args.named.id).id;
        const tail = intFlag(args, 'num', 100, 0, 100_000);
        const runs = (await cronRuns(ctx.platform, app, id)).reverse();
        if (runs.length === 0) ctx.out.out(format.step(`No cron runs of ${app} are kept`));
        for (const run of runs) {
          ctx.out.out(format.section(`${run.name} (${run.running ? 'running' : 'finished'})`));
          await ctx.platform.schedulerFor(app).logs(run, {
            tail,
            follow: false,
            signal: ctx.signal,
            onLine: (line) => ctx.out.out(line.replace(/^\S+ /, '')),
          });
        }
      },
    }),
  ],
};
