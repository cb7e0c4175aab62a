import { parkApp, rebuildRoutes, ROUTED, routedInstances, unrouteApp } from '../../deploy/routes.js';
import { format } from '../../core/output.js';
import { appNamesOf } from '../args.js';
import type { AppReport, Namespace } from '../types.js';

const report: AppReport = {
  name: 'proxy',
  summary: 'Show how the app’s traffic reaches it',
  rows(ctx, app) {
    return [
      ['Proxy enabled', 'true'],
      ['Proxy type', 'nginx'],
      ['Proxy routed instances', String(routedInstances(ctx.platform, app.name).length)],
    ];
  },
};

/** Routing of apps' traffic (Dokku's proxy): rebuilding server blocks, and what an app's lifecycle needs. */
export const proxyNamespace: Namespace = {
  name: 'proxy',
  report,
  commands: [
    {
      name: 'proxy:build-config',
      summary: 'Write the app’s nginx server block again from its settings (--all: every app)',
      args: ['app'],
      appOr: '--all',
      booleanFlags: ['all'],
      access: 'app',
      async run(ctx, args) {
        await rebuildRoutes(ctx.platform, appNamesOf(ctx, args));
        ctx.out.out(format.step(`Rebuilt the nginx config of ${args.app ? args.app.name : 'every app'}`));
      },
    },
  ],
  lifecycle: {
    notCloned: [ROUTED],
    create: async (platform, app) => void (await parkApp(platform, app)),
    destroy: async (platform, app) => void (await unrouteApp(platform, app)),
    beforeRename: async (platform, from) => void (await unrouteApp(platform, from)),
    rename: async (platform, _from, to) => void (await parkApp(platform, to)),
  },
};
