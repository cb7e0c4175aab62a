import { format } from '../../core/output.js';
import { checkRunning } from '../../deploy/checks-run.js';
import {
  checksModeFor,
  checksReport as checksLists,
  setChecksMode,
  setWaitToRetire,
  waitToRetireMs,
  type ChecksMode,
} from '../../deploy/checks-mode.js';
import { setCommand } from '../set-command.js';
import { action, type AppReport, type Command, type Namespace } from '../types.js';

const checksCommand = (mode: ChecksMode, summary: string, message: (app: string, types: string) => string): Command =>
  action({
    name: `checks:${mode === 'enabled' ? 'enable' : mode === 'disabled' ? 'disable' : 'skip'}`,
    summary,
    args: ['app', '[process-types]'],
    access: 'app',
    run(ctx, args) {
      const app = args.app;
      const types = (args.named['process-types'] ?? '').split(',').filter(Boolean);
      setChecksMode(ctx.platform.state, app.name, mode, types);
      ctx.out.out(format.step(message(app.name, types.length ? types.join(',') : '_all_')));
    },
  });

const report: AppReport = {
  name: 'checks',
  summary: 'Show which process types skip or disable checks',
  rows(ctx, app) {
    const lists = checksLists(ctx.platform.state, app.name);
    return [
      ['Checks disabled list', lists.disabled],
      ['Checks skipped list', lists.skipped],
      ['Checks web', checksModeFor(ctx.platform.state, app.name, 'web')],
      [
        'Checks wait to retire',
        String(waitToRetireMs(ctx.platform.state, app.name, ctx.platform.settings.drainMs) / 1000),
      ],
    ];
  },
};

export const checksNamespace: Namespace = {
  name: 'checks',
  report,
  commands: [
    action({
      name: 'checks:run',
      summary:
        'Run the current release’s checks against the running containers (all, these process types, or one: web.2)',
      args: ['app', '[process-types]'],
      access: 'app',
      async run(ctx, args) {
        const app = args.app.name;
        const types = (args.named['process-types'] ?? '').split(',').filter(Boolean);
        // Dokku's lines: a step for the run, then each container's step, its checks and their outcome.
        ctx.out.out(format.step('Running pre-flight checks'));
        const outcomes = await checkRunning(ctx.platform, app, types, (line) => ctx.out.out(format.detail(line)), {
          start: (label) => ctx.out.out(format.step(`Running checks for app (${app}.${label})`)),
          done: (label, outcome) =>
            outcome.ok
              ? ctx.out.out(format.detail(`All checks successful (${label})`))
              : ctx.out.err(format.error(`Check failed (${label}): ${outcome.reason}`)),
        });
        return outcomes.every(({ outcome }) => outcome.ok) ? 0 : 1;
      },
    }),
    setCommand({
      name: 'checks:set',
      summary: 'Set wait-to-retire: seconds old containers keep serving after a swap (no value: the host default)',
      property: 'wait-to-retire',
      values: '<seconds>',
      set: (ctx, app, value) => setWaitToRetire(ctx.platform.state, app, value),
    }),
    checksCommand(
      'disabled',
      'Stop old containers before starting new ones (downtime)',
      (app) => `Disabling zero downtime for app (${app})`,
    ),
    checksCommand(
      'enabled',
      'Check new containers before switching to them (the default)',
      (app, types) => `Enabling zero downtime for app's (${app}) proctypes (${types})`,
    ),
    checksCommand(
      'skipped',
      'Switch to new containers without checking them',
      (app) => `Skipping zero downtime for app (${app})`,
    ),
  ],
};
