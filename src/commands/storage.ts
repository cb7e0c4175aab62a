import { requireApp } from '../apps/index.js';
import { format } from '../core/output.js';
import { addMount, listMounts, parseMount, removeMount } from '../storage/index.js';
import { onlyApp, outputFormat, requireNoMoreArgs } from './args.js';
import type { AppReport } from './reports.js';
import type { Command } from './types.js';

export const storageReport: AppReport = {
  name: 'storage',
  summary: 'Show the host directories mounted into the app’s containers',
  rows: (ctx, app) => [['Storage mounts', listMounts(ctx.platform.state, app.name).join(' ')]],
};

export const storageCommands: Command[] = [
  {
    name: 'storage:mount',
    summary: 'Mount a host directory (under the storage root) into the app’s containers, from the next deploy',
    usage: '<app> /host/dir:/container/dir[:ro]',
    access: 'admin',
    async run(ctx, args) {
      requireNoMoreArgs(args, 2);
      const app = requireApp(ctx.platform, args.positional[0]);
      const root = ctx.platform.settings.storageDir;
      const spec = addMount(ctx.platform.state, app.name, parseMount(args.positional[1], root), root);
      ctx.out.out(format.step(`Mounted ${spec} in ${app.name}; it applies from the next deploy or ps:restart`));
    },
  },
  {
    name: 'storage:unmount',
    summary: 'Remove a mount from the app, from the next deploy (the host directory stays)',
    usage: '<app> /host/dir:/container/dir[:ro]',
    access: 'admin',
    async run(ctx, args) {
      requireNoMoreArgs(args, 2);
      const app = requireApp(ctx.platform, args.positional[0]);
      removeMount(ctx.platform.state, app.name, parseMount(args.positional[1], ctx.platform.settings.storageDir));
      ctx.out.out(format.step(`Unmounted ${args.positional[1]} from ${app.name}`));
    },
  },
  {
    name: 'storage:list',
    summary: 'List the app’s mounts',
    usage: '<app> [--format stdout|json]',
    access: 'app',
    valueFlags: ['format'],
    async run(ctx, args) {
      const app = onlyApp(ctx, args);
      const mounts = listMounts(ctx.platform.state, app.name);
      if (outputFormat(args) === 'json') return ctx.out.out(JSON.stringify(mounts.map((m) => ({ host_path: m.split(':')[0], container_path: m.split(':')[1] }))));
      ctx.out.out(format.step(`${app.name} volume bind-mounts:`));
      mounts.forEach((m) => ctx.out.out(format.detail(m)));
    },
  },
];
