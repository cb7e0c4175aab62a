import { NotFoundError, UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import { commitSubject } from '../../git/repos.js';
import { releaseJson } from '../../state/releases.js';
import { parseVersion } from '../args.js';
import { runDeploy } from '../deploys.js';
import { action, query, type Namespace } from '../types.js';

const when = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

export const releasesNamespace: Namespace = {
  name: 'releases',
  commands: [
    query({
      name: 'releases',
      summary: 'List an app’s releases, newest first; the serving one is marked',
      args: ['app'],
      access: 'app',
      valueFlags: ['format'],
      read(ctx, { app }) {
        const { releases } = ctx.platform.state;
        return { app: app.name, current: releases.current(app.name)?.version, list: releases.list(app.name) };
      },
      render: {
        text({ app, current, list }, out) {
          out.out(format.section(`${app} Releases`));
          for (const r of list) {
            const marker = r.version === current ? '*' : ' ';
            const status = r.status === 'succeeded' ? '' : ` (${r.status})`;
            out.out(`${marker} v${r.version}  ${when(r.createdAt)}  ${r.createdBy}  ${r.description}${status}`);
          }
        },
        json: ({ current, list }) => list.map((r) => releaseJson(r, current)),
      },
    }),
    query({
      name: 'releases:info',
      summary: 'Show one release: image, commit, config keys, who and when',
      args: ['app', '<vN>'],
      access: 'app',
      async read(ctx, args) {
        const app = args.app;
        const version = parseVersion(args.named.vN);
        const release = ctx.platform.state.releases.get(app.name, version);
        if (!release) throw new NotFoundError(`Release v${version} of ${app.name} does not exist`);
        const info = releaseJson(release, ctx.platform.state.releases.current(app.name)?.version);
        const message = (info.rev && (await commitSubject(ctx.platform.settings.reposDir, app.name, info.rev))) ?? '';
        return { ...info, app: app.name, message };
      },
      render: {
        text(info, out) {
          out.out(format.section(`${info.app} release v${info.version}`));
          const rows: [string, string][] = [
            ['Status', `${info.status}${info.current ? ' (current)' : ''}`],
            ['Kind', info.kind],
            ['Description', info.description],
            ['Commit', info.rev ?? ''],
            ['Message', info.message],
            ['Image', info.image],
            ['Config keys', info.config_keys.join(', ') || 'none'],
            ['Created by', info.created_by],
            ['Created at', when(Date.parse(info.created_at))],
          ];
          for (const [label, value] of rows) out.out(format.detail(`${`${label}:`.padEnd(14)}${value}`));
        },
      },
    }),
    action({
      name: 'releases:rollback',
      summary: 'Deploy an earlier release’s image and config again, as a new release (no build)',
      args: ['app', '[vN]'],
      usageNote: '(default: the release before the current one)',
      access: 'app',
      async run(ctx, args) {
        const app = args.app;
        const { releases } = ctx.platform.state;
        const current = releases.current(app.name);
        if (!current) throw new UserError(`${app.name} has not been deployed yet`);
        const version =
          args.named.vN !== undefined
            ? parseVersion(args.named.vN)
            : releases.list(app.name).find((r) => r.status === 'succeeded' && r.version < current.version)?.version;
        if (version === undefined) throw new UserError(`${app.name} has no earlier release to roll back to`);
        const target = releases.get(app.name, version);
        if (!target || target.status !== 'succeeded')
          throw new UserError(`Release v${version} of ${app.name} cannot be rolled back to`);
        ctx.out.out(format.step(`Rolling back ${app.name} to v${version}`));
        return runDeploy(ctx, { kind: 'rollback', app: app.name, version });
      },
    }),
  ],
};
