import { createApp, destroyApp, requireApp } from '../apps/index.js';
import { isValidAppName } from '../core/names.js';
import { format } from '../core/output.js';
import { outputFormat, requireNoMoreArgs } from './args.js';
import { confirmDestruction } from './confirm.js';
import type { Command } from './types.js';

export const appsCommands: Command[] = [
  {
    name: 'apps:create',
    summary: 'Create a new app',
    usage: '<app>',
    async run({ platform, out }, args) {
      requireNoMoreArgs(args, 1);
      const app = await createApp(platform, args.positional[0]);
      out.out(format.step(`Creating ${app.name}...`));
    },
  },
  {
    name: 'apps:list',
    summary: 'List your apps',
    usage: '[--format stdout|json]',
    valueFlags: ['format'],
    async run({ platform, out }, args) {
      requireNoMoreArgs(args, 0);
      const names = platform.state.apps.list().map((a) => a.name);
      if (outputFormat(args) === 'json') return out.out(JSON.stringify(names));
      if (names.length === 0) return out.err(format.error("You haven't deployed any applications yet"));
      out.out(format.section('My Apps'));
      names.forEach((name) => out.out(name));
    },
  },
  {
    name: 'apps:exists',
    summary: 'Exit 0 if the app exists, 1 if not',
    usage: '<app>',
    async run({ platform, out }, args) {
      requireNoMoreArgs(args, 1);
      const name = args.positional[0];
      if (name !== undefined && isValidAppName(name) && platform.state.apps.get(name)) {
        out.out(format.step('App exists'));
        return 0;
      }
      out.err(format.error('App does not exist'));
      return 1;
    },
  },
  {
    name: 'apps:destroy',
    summary: 'Destroy an app, its containers, images, repository and history',
    usage: '<app> [--force]',
    booleanFlags: ['force'],
    async run(ctx, args) {
      const { platform, out } = ctx;
      requireNoMoreArgs(args, 1);
      const app = requireApp(platform, args.positional[0]);
      await confirmDestruction(ctx, 'app', app.name, Boolean(args.flags.force));
      out.out(format.step(`Destroying ${app.name} (including all add-ons)`));
      await destroyApp(platform, app, () => out.out(format.detail('Waiting for the deploy in progress to finish...')));
    },
  },
];
