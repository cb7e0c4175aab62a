import { format } from '../../core/output.js';
import { DEPLOY_ID_SHOWN, deployJson, showDeployLog } from '../logs/index.js';
import { action, query, type Namespace } from '../types.js';

/** Dokku's builds: the deploy history, and each deploy's log. */
export const buildsNamespace: Namespace = {
  name: 'builds',
  commands: [
    action({
      name: 'builds:output',
      summary: 'Show a deploy’s build and deploy log (the same as logs:deploy)',
      args: ['app', '[vN|<deploy-id>|current]'],
      access: 'app',
      run: showDeployLog,
    }),
    query({
      name: 'builds:list',
      summary: 'List the app’s deploys (builds, config changes, restarts, rollbacks), newest first',
      args: ['app'],
      access: 'app',
      valueFlags: ['format'],
      read: (ctx, { app }) => ({ app: app.name, deploys: ctx.platform.state.deploys.list(app.name) }),
      render: {
        text({ app, deploys }, out) {
          out.out(format.section(`${app} builds`));
          for (const d of deploys) {
            const release = d.release === null ? '-' : `v${d.release}`;
            out.out(
              `${d.id.slice(0, DEPLOY_ID_SHOWN)}  ${release.padEnd(5)} ${d.kind.padEnd(8)} ${d.status.padEnd(9)} ${new Date(d.createdAt).toISOString()}  ${d.requestedBy}`,
            );
          }
        },
        json: ({ deploys }) => deploys.map(deployJson),
      },
    }),
  ],
};
