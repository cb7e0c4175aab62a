import { parkApp, rebuildRoutes, ROUTED, routedInstances, unrouteApp } from '../../deploy/routes.js';
import { format } from '../../core/output.js';
import { appNamesOf } from '../args.js';
import { isProxyEnabled, setProxyEnabled } from '../../proxy/enabled.js';
import { isDeployed, runDeploy } from '../deploys.js';
import { action, type AppReport, type Command, type Namespace } from '../types.js';

const report: AppReport = {
  name: 'proxy',
  summary: 'Show how the app’s traffic reaches it',
  async rows(ctx, app) {
    const enabled = isProxyEnabled(ctx.platform.state, app.name);
    const web = enabled ? [] : (await ctx.instancesOf(app.name)).filter((i) => i.process === 'web' && i.hostPort);
    return [
      ['Proxy enabled', String(enabled)],
      ['Proxy type', 'nginx'],
      ['Proxy routed instances', String(routedInstances(ctx.platform, app.name).length)],
      ['Proxy host ports', web.map((i) => `web.${i.index}=${i.hostPort}`).join(' ')],
    ];
  },
};

const enableCommand = (enable: boolean): Command =>
  action({
    name: enable ? 'proxy:enable' : 'proxy:disable',
    summary: enable
      ? 'Route the app’s traffic through nginx again (the default); restarts it without downtime'
      : 'Stop routing the app through nginx: its web containers answer on host ports of their own (proxy:report shows them); restarts it',
    args: ['app'],
    access: 'admin',
    async run(ctx, args) {
      const app = args.app.name;
      if (isProxyEnabled(ctx.platform.state, app) === enable) {
        ctx.out.out(format.step(`The proxy is already ${enable ? 'enabled' : 'disabled'} for ${app}`));
        return 0;
      }
      ctx.out.out(format.step(`${enable ? 'Enabling' : 'Disabling'} the proxy for ${app}`));
      setProxyEnabled(ctx.platform.state, app, enable);
      const code = isDeployed(ctx, app) ? await runDeploy(ctx, { kind: 'restart', app, reason: 'restart' }) : 0;
      // A restart that failed left the old containers serving as they did: so does the proxy.
      if (code !== 0) setProxyEnabled(ctx.platform.state, app, !enable);
      await rebuildRoutes(ctx.platform, [app]);
      return code;
    },
  });

/** Routing of apps' traffic (Dokku's proxy): rebuilding server blocks, and what an app's lifecycle needs. */
export const proxyNamespace: Namespace = {
  name: 'proxy',
  report,
  commands: [
    enableCommand(false),
    enableCommand(true),
    action({
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
    }),
  ],
  lifecycle: {
    notCloned: [ROUTED],
    create: async (platform, app) => void (await parkApp(platform, app)),
    destroy: async (platform, app) => void (await unrouteApp(platform, app)),
    beforeRename: async (platform, from) => void (await unrouteApp(platform, from)),
    rename: async (platform, _from, to) => void (await parkApp(platform, to)),
  },
};
