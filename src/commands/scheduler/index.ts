import { UserError } from '../../core/errors.js';
import { SCHEDULER_PROPERTY } from '../../platform.js';
import { DEFAULT_SCHEDULER, SCHEDULERS } from '../../runtime/scheduler.js';
import { GLOBAL_SCOPE } from '../../state/index.js';
import { setCommand } from '../set-command.js';
import { reportCommand } from '../report.js';
import type { AppReport, Namespace } from '../types.js';

const report: AppReport = {
  name: 'scheduler',
  summary: 'Show which scheduler runs the app',
  rows(ctx, app) {
    const { properties } = ctx.platform.state;
    return [
      ['Scheduler computed selected', ctx.platform.schedulerFor(app.name).name],
      ['Scheduler global selected', properties.get(GLOBAL_SCOPE, SCHEDULER_PROPERTY) ?? DEFAULT_SCHEDULER],
      ['Scheduler selected', properties.get(app.name, SCHEDULER_PROPERTY) ?? ''],
    ];
  },
};

/** Which scheduler runs an app's processes (Dokku's scheduler plugin); docker-local by default. */
export const schedulerNamespace: Namespace = {
  name: 'scheduler',
  // Its own scheduler:report, kept out of `report`, whose sections scripts already read.
  commands: [
    reportCommand(report),
    setCommand({
      name: 'scheduler:set',
      summary: `Choose the scheduler that runs the app (${SCHEDULERS.join('|')}); no value goes back to the default. Applies from the next deploy`,
      property: 'selected',
      values: SCHEDULERS.join('|'),
      label: 'scheduler selected',
      global: true,
      // Where an app's processes run is the operator's call (a cluster's nodes are shared).
      access: 'admin',
      set(ctx, scope, value) {
        if (value !== undefined && !(SCHEDULERS as readonly string[]).includes(value))
          throw new UserError(`Invalid scheduler: ${value} (${SCHEDULERS.join(', ')})`);
        ctx.platform.state.properties.set(scope, SCHEDULER_PROPERTY, value);
      },
    }),
  ],
};
