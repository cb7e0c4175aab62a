import { purgeCache } from '../../builder/index.js';
import { format } from '../../core/output.js';
import { appLockName } from '../../queue/locks.js';
import { action, type Namespace } from '../types.js';

const PURGE_WAIT_MS = 10 * 60_000;

export const repoNamespace: Namespace = {
  name: 'repo',
  commands: [
    action({
      name: 'repo:purge-cache',
      summary: 'Empty the build cache, so the next build installs dependencies afresh',
      args: ['app'],
      access: 'app',
      async run(ctx, args) {
        const app = args.app;
        // Under the app's lock: a build in progress has the cache mounted.
        await ctx.platform.locks.withLock(appLockName(app.name), PURGE_WAIT_MS, () =>
          purgeCache(ctx.platform, app.name),
        );
        ctx.out.out(format.step(`Purged the build cache of ${app.name}`));
      },
    }),
  ],
};
