import { requireApp } from '../apps/index.js';
import { BUILDERS, cacheVolume, selectBuilder, selectedBuilder, type Builder } from '../build/index.js';
import { UserError } from '../core/errors.js';
import { format } from '../core/output.js';
import { appLockName } from '../queue/locks.js';
import { onlyApp, requireNoMoreArgs } from './args.js';
import { runDeploy } from './deploys.js';
import type { AppReport } from './reports.js';
import { setCommand } from './set-command.js';
import type { Command } from './types.js';

export const builderReport: AppReport = {
  name: 'builder',
  summary: 'Show how the app is built',
  rows(ctx, app) {
    const selected = selectedBuilder(ctx.platform, app.name);
    return [
      ['Builder selected', selected ?? ''],
      ['Builder computed selected', selected ?? 'detected on each push (Dockerfile, else herokuish)'],
    ];
  },
};

export const buildCommands: Command[] = [
  setCommand({
    name: 'builder:set',
    summary: `Choose how the app is built (${BUILDERS.join('|')}); no value goes back to detection`,
    property: 'selected',
    values: BUILDERS.join('|'),
    label: 'builder selected',
    set(ctx, app, value) {
      if (value !== undefined && !BUILDERS.includes(value as Builder)) throw new UserError(`Invalid builder: ${value} (${BUILDERS.join(', ')})`);
      selectBuilder(ctx.platform, app.name, value as Builder | undefined);
    },
  }),
  {
    name: 'repo:purge-cache',
    summary: 'Empty the build cache, so the next build installs dependencies afresh',
    usage: '<app>',
    access: 'app',
    async run(ctx, args) {
      const app = onlyApp(ctx, args);
      const { platform } = ctx;
      // Under the app's lock: a build in progress has the cache mounted.
      await platform.locks.withLock(appLockName(app.name), 10 * 60_000, async () => {
        await platform.docker.removeVolume(cacheVolume(platform.settings.instance, app.name));
      });
      ctx.out.out(format.step(`Purged the build cache of ${app.name}`));
    },
  },
  {
    name: 'git:from-image',
    summary: 'Deploy an image that is already on this host, as the next release',
    usage: '<app> <image>',
    access: 'admin',
    async run(ctx, args) {
      requireNoMoreArgs(args, 2);
      const app = requireApp(ctx.platform, args.positional[0]);
      const image = args.positional[1];
      if (!image || !/^[a-z0-9][a-z0-9._/:@-]{0,254}$/.test(image)) throw new UserError('Give a valid image reference, e.g. myorg/app:1.2');
      return runDeploy(ctx, { kind: 'image', app: app.name, image });
    },
  },
];
