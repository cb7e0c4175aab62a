import {
  logInToRegistry,
  parseRegistryLogin,
  parseRegistryServer,
  registryLoginsOf,
  storeRegistryLogin,
} from '../../builder/registry-logins.js';
import { UserError } from '../../core/errors.js';
import { readAll } from '../../core/input.js';
import { format } from '../../core/output.js';
import { GLOBAL_SCOPE } from '../../state/index.js';
import { action, type AppReport, type Namespace } from '../types.js';

const PASSWORD_STDIN_LIMIT = 64 * 1024;

const listed = (logins: { server: string; username: string }[]) =>
  logins.map((l) => `${l.server} (${l.username})`).join(' ');

const report: AppReport = {
  name: 'registry',
  summary: 'Show the registries the app’s builds log in to, and as whom',
  rows(ctx, app) {
    return [
      ['Registry logins', listed(registryLoginsOf(ctx.platform, app.name))],
      ['Registry global logins', listed(registryLoginsOf(ctx.platform, GLOBAL_SCOPE))],
    ];
  },
};

/**
 * Dokku's registry plugin, for what builds pull: credentials for a registry a Dockerfile's
 * base images come from, per app or --global. The engine checks them before they are kept.
 */
export const registryNamespace: Namespace = {
  name: 'registry',
  report,
  commands: [
    action({
      name: 'registry:login',
      summary:
        'Log the app’s builds (or with --global every app’s) in to a registry they pull base images from; --password-stdin reads the password from stdin',
      args: ['app', '<server>', '<username>', '[password]'],
      appOr: '--global',
      booleanFlags: ['global', 'password-stdin'],
      access: 'app',
      async run(ctx, args) {
        const server = parseRegistryServer(args.named.server);
        const password = args.flags['password-stdin']
          ? (await readAll(ctx.stdin, PASSWORD_STDIN_LIMIT)).replace(/\r?\n$/, '')
          : args.named.password;
        if (password === undefined)
          throw new UserError('Please specify password, or pass --password-stdin and send it on stdin');
        if (args.flags['password-stdin'] && args.named.password !== undefined)
          throw new UserError('Give the password either as an argument or on stdin, not both');
        const login = parseRegistryLogin(args.named.username, password);
        await logInToRegistry(ctx.platform, args.app?.name ?? GLOBAL_SCOPE, server, login, ctx.caller.isAdmin);
        ctx.out.out(
          format.step(
            `Logged ${args.app ? `${args.app.name}'s builds` : 'every app’s builds'} in to ${server} as ${login.username}`,
          ),
        );
      },
    }),
    action({
      name: 'registry:logout',
      summary: 'Forget the app’s (or with --global the global) credentials for a registry',
      args: ['app', '<server>'],
      appOr: '--global',
      booleanFlags: ['global'],
      access: 'app',
      run(ctx, args) {
        const server = parseRegistryServer(args.named.server);
        const scope = args.app?.name ?? GLOBAL_SCOPE;
        if (!registryLoginsOf(ctx.platform, scope).some((l) => l.server === server))
          throw new UserError(`Not logged in to ${server}`);
        storeRegistryLogin(ctx.platform, scope, server, undefined);
        ctx.out.out(
          format.step(`Logged ${args.app ? `${args.app.name}'s builds` : 'every app’s builds'} out of ${server}`),
        );
      },
    }),
  ],
};
