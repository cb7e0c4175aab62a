import { requireApp } from '../apps/index.js';
import { UserError } from '../core/errors.js';
import { commitSubject } from '../git/repos.js';
import { format } from '../core/output.js';
import { checksModeFor, checksReport as checksLists, setChecksMode, setWaitToRetire, waitToRetireMs, type ChecksMode } from '../deploy/checks-mode.js';
import type { ReleaseRecord } from '../state/index.js';
import { onlyApp, outputFormat, parseVersion, requireNoMoreArgs } from './args.js';
import { runDeploy } from './deploys.js';
import type { AppReport } from './reports.js';
import { setCommand } from './set-command.js';
import type { Command } from './types.js';

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function releaseJson(release: ReleaseRecord, current: number | undefined) {
  return {
    version: release.version,
    current: release.version === current,
    status: release.status,
    kind: release.kind,
    description: release.description,
    rev: release.rev,
    image: release.image,
    config_keys: Object.keys(release.config).sort(),
    created_by: release.createdBy,
    created_at: new Date(release.createdAt).toISOString(),
  };
}


const checksCommand = (mode: ChecksMode, summary: string, message: (app: string, types: string) => string): Command => ({
  name: `checks:${mode === 'enabled' ? 'enable' : mode === 'disabled' ? 'disable' : 'skip'}`,
  summary,
  usage: '<app> [process-type,…]',
  access: 'app',
  async run(ctx, args) {
    requireNoMoreArgs(args, 2);
    const app = requireApp(ctx.platform, args.positional[0]);
    const types = (args.positional[1] ?? '').split(',').filter(Boolean);
    setChecksMode(ctx.platform.state, app.name, mode, types);
    ctx.out.out(format.step(message(app.name, types.length ? types.join(',') : '_all_')));
  },
});

export const checksReport: AppReport = {
  name: 'checks',
  summary: 'Show which process types skip or disable checks',
  rows(ctx, app) {
    const report = checksLists(ctx.platform.state, app.name);
    return [
      ['Checks disabled list', report.disabled],
      ['Checks skipped list', report.skipped],
      ['Checks web', checksModeFor(ctx.platform.state, app.name, 'web')],
      ['Checks wait to retire', String(waitToRetireMs(ctx.platform.state, app.name, ctx.platform.settings.drainMs) / 1000)],
    ];
  },
};

export const releaseCommands: Command[] = [
  {
    name: 'releases',
    summary: 'List an app’s releases, newest first; the serving one is marked',
    usage: '<app> [--format stdout|json]',
    access: 'app',
    valueFlags: ['format'],
    async run(ctx, args) {
      const app = onlyApp(ctx, args);
      const { releases } = ctx.platform.state;
      const current = releases.current(app.name)?.version;
      const list = releases.list(app.name);
      if (outputFormat(args) === 'json') return ctx.out.out(JSON.stringify(list.map((r) => releaseJson(r, current))));
      ctx.out.out(format.section(`${app.name} Releases`));
      for (const r of list) {
        const marker = r.version === current ? '*' : ' ';
        const status = r.status === 'succeeded' ? '' : ` (${r.status})`;
        ctx.out.out(`${marker} v${r.version}  ${when(r.createdAt)}  ${r.createdBy}  ${r.description}${status}`);
      }
    },
  },
  {
    name: 'releases:info',
    summary: 'Show one release: image, commit, config keys, who and when',
    usage: '<app> vN',
    access: 'app',
    async run(ctx, args) {
      requireNoMoreArgs(args, 2);
      const app = requireApp(ctx.platform, args.positional[0]);
      const version = parseVersion(args.positional[1]);
      const release = ctx.platform.state.releases.get(app.name, version);
      if (!release) throw new UserError(`Release v${version} of ${app.name} does not exist`);
      const info = releaseJson(release, ctx.platform.state.releases.current(app.name)?.version);
      ctx.out.out(format.section(`${app.name} release v${version}`));
      const rows: [string, string][] = [
        ['Status', `${info.status}${info.current ? ' (current)' : ''}`],
        ['Kind', info.kind],
        ['Description', info.description],
        ['Commit', info.rev ?? ''],
        ['Message', (info.rev && (await commitSubject(ctx.platform.settings.reposDir, app.name, info.rev))) ?? ''],
        ['Image', info.image],
        ['Config keys', info.config_keys.join(', ') || 'none'],
        ['Created by', info.created_by],
        ['Created at', when(release.createdAt)],
      ];
      for (const [label, value] of rows) ctx.out.out(format.detail(`${`${label}:`.padEnd(14)}${value}`));
    },
  },
  {
    name: 'releases:rollback',
    summary: 'Deploy an earlier release’s image and config again, as a new release (no build)',
    usage: '<app> [vN]   (default: the release before the current one)',
    access: 'app',
    async run(ctx, args) {
      requireNoMoreArgs(args, 2);
      const app = requireApp(ctx.platform, args.positional[0]);
      const { releases } = ctx.platform.state;
      const current = releases.current(app.name);
      if (!current) throw new UserError(`${app.name} has not been deployed yet`);
      const version =
        args.positional[1] !== undefined
          ? parseVersion(args.positional[1])
          : releases.list(app.name).find((r) => r.status === 'succeeded' && r.version < current.version)?.version;
      if (version === undefined) throw new UserError(`${app.name} has no earlier release to roll back to`);
      const target = releases.get(app.name, version);
      if (!target || target.status !== 'succeeded') throw new UserError(`Release v${version} of ${app.name} cannot be rolled back to`);
      ctx.out.out(format.step(`Rolling back ${app.name} to v${version}`));
      return runDeploy(ctx, { kind: 'rollback', app: app.name, version });
    },
  },
  setCommand({
    name: 'checks:set',
    summary: 'Set wait-to-retire: seconds old containers keep serving after a swap (no value: the host default)',
    property: 'wait-to-retire',
    values: '<seconds>',
    set: (ctx, app, value) => setWaitToRetire(ctx.platform.state, app.name, value),
  }),
  checksCommand('disabled', 'Stop old containers before starting new ones (downtime)', (app) => `Disabling zero downtime for app (${app})`),
  checksCommand('enabled', 'Check new containers before switching to them (the default)', (app, types) => `Enabling zero downtime for app's (${app}) proctypes (${types})`),
  checksCommand('skipped', 'Switch to new containers without checking them', (app) => `Skipping zero downtime for app (${app})`),
];
