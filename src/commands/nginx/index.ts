import fs from 'node:fs';
import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import { tailFile } from '../../core/tail-file.js';
import { isRoutedByMap, rebuildRoutes } from '../../deploy/routes.js';
import { appDomains } from '../../proxy/domains.js';
import { aboutDomains } from '../../proxy/host-map.js';
import {
  appLogPath,
  NGINX_PROPERTY_NAMES,
  nginxSettings,
  ownNginxValue,
  setNginxProperty,
  type NginxProperty,
} from '../../proxy/nginx-properties.js';
import { GLOBAL_SCOPE } from '../../state/index.js';
import { intFlag } from '../args.js';
import { setCommand } from '../set-command.js';
import { action, type AppReport, type Command, type CommandContext, type Namespace } from '../types.js';

/** Dokku's three rows per property: the app's own value, what applies, and the global one. */
const report: AppReport = {
  name: 'nginx',
  summary: 'Show the app’s nginx settings: its own, those that apply, and the global ones',
  rows(ctx, app) {
    const { state } = ctx.platform;
    const computed = nginxSettings(state, app.name);
    return NGINX_PROPERTY_NAMES.flatMap((property) => {
      const words = property.replace(/-/g, ' ');
      return [
        [`Nginx ${words}`, ownNginxValue(state, app.name, property) ?? ''],
        [`Nginx computed ${words}`, computed[property]],
        [`Nginx global ${words}`, ownNginxValue(state, GLOBAL_SCOPE, property) ?? ''],
      ] as [string, string][];
    });
  },
};

/** The apps a change of this scope applies to. */
const appsOf = (ctx: CommandContext, scope: string) =>
  scope === GLOBAL_SCOPE ? ctx.platform.state.apps.list().map((a) => a.name) : [scope];

/**
 * Stores the value and rewrites the server blocks it applies to; when nginx rejects the
 * result, the value it replaced comes back and the blocks with it.
 */
async function setProperty(
  ctx: CommandContext,
  scope: string,
  value: string | undefined,
  property: NginxProperty,
): Promise<void> {
  const { state } = ctx.platform;
  const previous = setNginxProperty(state, scope, property, value, ctx.caller.isAdmin);
  try {
    await rebuildRoutes(ctx.platform, appsOf(ctx, scope));
  } catch (error) {
    setNginxProperty(state, scope, property, previous, true); // it was stored before, so it is valid
    await rebuildRoutes(ctx.platform, appsOf(ctx, scope));
    throw error;
  }
}

/**
 * An app's log file as nginx:set says, refused when logging is off. An app the shared map
 * routes has an access log of its own where that server writes it, and its errors are in the
 * shared server's error log, among other apps'.
 */
function logFile(
  ctx: CommandContext,
  app: string,
  kind: 'access' | 'error',
): { file: string; only?: (line: string) => boolean } {
  const { platform } = ctx;
  if (isRoutedByMap(platform, app)) {
    if (kind === 'access') return { file: platform.nginx.mapAccessLog(app) };
    return {
      file: platform.nginx.sharedErrorLog,
      only: aboutDomains(appDomains(platform.state, platform.settings, app)),
    };
  }
  const file = appLogPath(nginxSettings(platform.state, app), platform.nginx.logsDir, app, kind);
  if (file === 'off') throw new UserError(`The ${kind} log of ${app} is off (nginx:set ${app} ${kind}-log-path)`);
  return { file };
}

const logsCommand = (kind: 'access' | 'error'): Command =>
  action({
    name: `nginx:${kind}-logs`,
    summary: `Show the app’s nginx ${kind} log; -t follows it until you disconnect`,
    args: ['app'],
    access: 'app',
    valueFlags: ['num'],
    booleanFlags: ['tail'],
    shortFlags: { t: 'tail', n: 'num' },
    async run(ctx, args) {
      const app = args.app.name;
      const lines = intFlag(args, 'num', 100, 0, 100_000);
      const { file, only } = logFile(ctx, app, kind);
      await tailFile(file, {
        lines,
        follow: Boolean(args.flags.tail),
        signal: ctx.signal,
        onLine: (line) => ctx.out.out(line),
        only,
      });
    },
  });

/** The app's nginx server block, its settings (Dokku's nginx:* properties) and its logs. */
export const nginxNamespace: Namespace = {
  name: 'nginx',
  report,
  commands: [
    setCommand({
      name: 'nginx:set',
      summary:
        'Set a property of the app’s nginx server block (no value: back to the global one or the default). Applies at once',
      property: NGINX_PROPERTY_NAMES,
      values: 'value',
      global: true,
      set: setProperty,
    }),
    action({
      name: 'nginx:show-config',
      summary: 'Show the app’s nginx server block as nginx runs it',
      args: ['app'],
      access: 'app',
      run(ctx, args) {
        const app = args.app.name;
        const { platform } = ctx;
        if (isRoutedByMap(platform, app)) {
          const domains = appDomains(platform.state, platform.settings, app).join(' ');
          ctx.out.out(`# ${app} has no server block of its own: nginx's shared server routes its domains`);
          ctx.out.out(`# (${domains}) to it by Host, with every nginx:set property at its default.`);
          return;
        }
        const file = `${platform.settings.nginxDir}/apps/${app}.conf`;
        if (!fs.existsSync(file))
          throw new UserError(`${app} has no nginx config: it takes no traffic now (not deployed, or stopped)`);
        ctx.out.out(fs.readFileSync(file, 'utf8').trimEnd());
      },
    }),
    logsCommand('access'),
    logsCommand('error'),
    action({
      name: 'nginx:validate-config',
      summary: 'Test the whole nginx configuration as nginx would load it',
      args: [],
      access: 'admin',
      async run(ctx) {
        const problem = await ctx.platform.nginx.validate();
        if (problem) throw new UserError(`nginx rejects the configuration: ${problem}`);
        ctx.out.out(format.step('The nginx configuration is valid'));
      },
    }),
  ],
};
