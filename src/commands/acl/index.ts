import { format } from '../../core/output.js';
import { grantAccess, revokeAccess } from '../../access/index.js';
import { action, query, type ArgsOf, type Namespace } from '../types.js';

const appAndKey = (args: ArgsOf<['app', '<key-name>']>) => ({ app: args.app.name, key: args.named['key-name'] });

export const aclNamespace: Namespace = {
  name: 'acl',
  commands: [
    action({
      name: 'acl:add',
      summary: 'Let a non-admin key push to and manage an app',
      args: ['app', '<key-name>'],
      access: 'admin',
      run(ctx, args) {
        const { app, key } = appAndKey(args);
        const added = grantAccess(ctx.platform.state, app, key);
        ctx.out.out(format.step(added ? `Key ${key} may now use ${app}` : `Key ${key} already may use ${app}`));
      },
    }),
    action({
      name: 'acl:remove',
      summary: 'Take an app away from a non-admin key',
      args: ['app', '<key-name>'],
      access: 'admin',
      run(ctx, args) {
        const { app, key } = appAndKey(args);
        const removed = revokeAccess(ctx.platform.state, app, key);
        ctx.out.out(
          format.step(removed ? `Key ${key} may no longer use ${app}` : `Key ${key} had no access to ${app}`),
        );
      },
    }),
    query({
      name: 'acl:list',
      summary: 'List the non-admin keys that may use an app',
      args: ['app'],
      access: 'admin',
      valueFlags: ['format'],
      read: (ctx, { app }) => ctx.platform.state.access.keysOf(app.name),
      render: { text: (keys, out) => keys.forEach((key) => out.out(key)) },
    }),
  ],
};
