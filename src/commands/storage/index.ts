import { format } from '../../core/output.js';
import { addMount, listMounts, parseMount, removeMount, STORAGE_PROPERTY } from '../../storage/index.js';
import { action, query, type AppReport, type Namespace } from '../types.js';

const report: AppReport = {
  name: 'storage',
  summary: 'Show the host directories mounted into the app’s containers',
  rows: (ctx, app) => [['Storage mounts', listMounts(ctx.platform.state, app.name).join(' ')]],
};

export const storageNamespace: Namespace = {
  name: 'storage',
  report,
  // Host directories are the app's own: a clone does not share them.
  lifecycle: { notCloned: [STORAGE_PROPERTY] },
  commands: [
    action({
      name: 'storage:mount',
      summary: 'Mount a host directory (under the storage root) into the app’s containers, from the next deploy',
      args: ['app', '</host/dir:/container/dir[:ro]>'],
      access: 'admin',
      run(ctx, args) {
        const app = args.app;
        const root = ctx.platform.settings.storageDir;
        const spec = addMount(ctx.platform.state, app.name, parseMount(args.positional[1], root), root);
        ctx.out.out(format.step(`Mounted ${spec} in ${app.name}; it applies from the next deploy or ps:restart`));
      },
    }),
    action({
      name: 'storage:unmount',
      summary: 'Remove a mount from the app, from the next deploy (the host directory stays)',
      args: ['app', '</host/dir:/container/dir[:ro]>'],
      access: 'admin',
      run(ctx, args) {
        const app = args.app;
        removeMount(ctx.platform.state, app.name, parseMount(args.positional[1], ctx.platform.settings.storageDir));
        ctx.out.out(format.step(`Unmounted ${args.positional[1]} from ${app.name}`));
      },
    }),
    query({
      name: 'storage:list',
      summary: 'List the app’s mounts',
      args: ['app'],
      access: 'app',
      valueFlags: ['format'],
      read: (ctx, { app }) => listMounts(ctx.platform.state, app.name),
      render: {
        text(mounts, out, { app }) {
          out.out(format.step(`${app.name} volume bind-mounts:`));
          mounts.forEach((m) => out.out(format.detail(m)));
        },
        json: (mounts) => mounts.map((m) => ({ host_path: m.split(':')[0], container_path: m.split(':')[1] })),
      },
    }),
  ],
};
