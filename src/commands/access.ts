import { requireApp } from '../apps/index.js';
import { format } from '../core/output.js';
import { grantAccess, revokeAccess } from '../ssh/access.js';
import { onlyApp, outputFormat, requireNoMoreArgs } from './args.js';
import type { Command, CommandContext, ParsedArgs } from './types.js';

function appAndKey(ctx: CommandContext, args: ParsedArgs) {
  requireNoMoreArgs(args, 2);
  return { app: requireApp(ctx.platform, args.positional[0]).name, key: args.positional[1] ?? '' };
}

export const accessCommands: Command[] = [
  {
    name: 'acl:add',
    summary: 'Let a non-admin key push to and manage an app',
    usage: '<app> <key-name>',
    access: 'admin',
    async run(ctx, args) {
      const { app, key } = appAndKey(ctx, args);
      const added = grantAccess(ctx.platform.state, app, key);
      ctx.out.out(format.step(added ? `Key ${key} may now use ${app}` : `Key ${key} already may use ${app}`));
    },
  },
  {
    name: 'acl:remove',
    summary: 'Take an app away from a non-admin key',
    usage: '<app> <key-name>',
    access: 'admin',
    async run(ctx, args) {
      const { app, key } = appAndKey(ctx, args);
      const removed = revokeAccess(ctx.platform.state, app, key);
      ctx.out.out(format.step(removed ? `Key ${key} may no longer use ${app}` : `Key ${key} had no access to ${app}`));
    },
  },
  {
    name: 'acl:list',
    summary: 'List the non-admin keys that may use an app',
    usage: '<app> [--format stdout|json]',
    access: 'admin',
    valueFlags: ['format'],
    async run(ctx, args) {
      const app = onlyApp(ctx, args).name;
      const keys = ctx.platform.state.access.keysOf(app);
      if (outputFormat(args) === 'json') return ctx.out.out(JSON.stringify(keys));
      keys.forEach((key) => ctx.out.out(key));
    },
  },
];
