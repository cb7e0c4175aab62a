import { requireApp } from '../apps/index.js';
import { processTypeSchema } from '../build/source.js';
import { UserError } from '../core/errors.js';
import { archiveCommit } from '../git/archive.js';
import { branchRev, commitSubject, repoPath } from '../git/repos.js';
import { format } from '../core/output.js';
import { checksModeFor, checksReport, setChecksMode, type ChecksMode } from '../deploy/checks-mode.js';
import type { ReleaseRecord } from '../state/index.js';
import { outputFormat, requireNoMoreArgs } from './args.js';
import { isDeployed, runDeploy } from './deploys.js';
import type { Command, CommandContext } from './types.js';

const MAX_SCALE = 100;

function parseVersion(text: string | undefined): number {
  const match = /^v?(\d{1,9})$/.exec(text ?? '');
  if (!match) throw new UserError(`Invalid release: ${text ?? ''} (expected vN)`);
  return Number(match[1]);
}

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

function requireDeployed(ctx: CommandContext, app: string): void {
  if (!isDeployed(ctx, app)) throw new UserError(`${app} has not been deployed yet`);
}

const checksCommand = (mode: ChecksMode, summary: string, message: (app: string, types: string) => string): Command => ({
  name: `checks:${mode === 'enabled' ? 'enable' : mode === 'disabled' ? 'disable' : 'skip'}`,
  summary,
  usage: '<app> [process-type,…]',
  async run(ctx, args) {
    requireNoMoreArgs(args, 2);
    const app = requireApp(ctx.platform, args.positional[0]);
    const types = (args.positional[1] ?? '').split(',').filter(Boolean);
    setChecksMode(ctx.platform.state, app.name, mode, types);
    ctx.out.out(format.step(message(app.name, types.length ? types.join(',') : '_all_')));
  },
});

export const releaseCommands: Command[] = [
  {
    name: 'releases',
    summary: 'List an app’s releases, newest first; the serving one is marked',
    usage: '<app> [--format stdout|json]',
    valueFlags: ['format'],
    async run(ctx, args) {
      requireNoMoreArgs(args, 1);
      const app = requireApp(ctx.platform, args.positional[0]);
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
  {
    name: 'ps:restart',
    summary: 'Replace the app’s containers with fresh ones of the current release, zero-downtime',
    usage: '<app>',
    async run(ctx, args) {
      requireNoMoreArgs(args, 1);
      const app = requireApp(ctx.platform, args.positional[0]);
      requireDeployed(ctx, app.name);
      return runDeploy(ctx, { kind: 'restart', app: app.name, reason: 'restart' });
    },
  },
  {
    name: 'ps:rebuild',
    summary: 'Build the deploy branch again and deploy it (no push needed)',
    usage: '<app>',
    async run(ctx, args) {
      requireNoMoreArgs(args, 1);
      const app = requireApp(ctx.platform, args.positional[0]);
      const { reposDir, buildsDir } = ctx.platform.settings;
      const rev = await branchRev(reposDir, app.name, app.deployBranch);
      if (!rev) throw new UserError(`Cannot build from '${app.deployBranch}' as there are no commits stored at that branch.`);
      const tarPath = archiveCommit({ gitDir: repoPath(reposDir, app.name), rev, buildsDir, app: app.name });
      return runDeploy(ctx, { kind: 'git', app: app.name, rev, tarPath });
    },
  },
  {
    name: 'ps:scale',
    summary: 'Show or set how many containers each process type runs',
    usage: '<app> [type=count …] [--format stdout|json]',
    valueFlags: ['format'],
    async run(ctx, args) {
      const [name, ...pairs] = args.positional;
      const app = requireApp(ctx.platform, name);
      if (pairs.length === 0) {
        const rows = Object.entries(app.formation).sort(([a], [b]) => a.localeCompare(b));
        if (outputFormat(args) === 'json') {
          return ctx.out.out(JSON.stringify(rows.map(([type, quantity]) => ({ process_type: type, quantity }))));
        }
        ctx.out.out(format.step(`Scaling for ${app.name}`));
        ctx.out.out('proctype: qty');
        ctx.out.out('--------: ---');
        for (const [type, count] of rows) ctx.out.out(`${`${type}:`.padEnd(9)} ${count}`);
        return;
      }
      const changes: Record<string, number> = {};
      for (const pair of pairs) {
        const [type = '', count] = pair.split('=');
        if (!processTypeSchema.safeParse(type).success) throw new UserError(`Invalid process type: ${type}`);
        if (count === undefined || count === '') throw new UserError(`Missing count for process type ${type}`);
        if (!/^\d{1,3}$/.test(count) || Number(count) > MAX_SCALE) throw new UserError(`Invalid count for process type ${type}`);
        changes[type] = Number(count);
      }
      ctx.platform.state.apps.setFormation(app.name, { ...app.formation, ...changes });
      ctx.out.out(format.step(`Scaling ${app.name} processes: ${pairs.join(' ')}`));
      if (!isDeployed(ctx, app.name)) return 0;
      return runDeploy(ctx, { kind: 'restart', app: app.name, reason: 'scale' });
    },
  },
  checksCommand('disabled', 'Stop old containers before starting new ones (downtime)', (app) => `Disabling zero downtime for app (${app})`),
  checksCommand('enabled', 'Check new containers before switching to them (the default)', (app, types) => `Enabling zero downtime for app's (${app}) proctypes (${types})`),
  checksCommand('skipped', 'Switch to new containers without checking them', (app) => `Skipping zero downtime for app (${app})`),
  {
    name: 'checks:report',
    summary: 'Show which process types skip or disable checks',
    usage: '<app> [--format stdout|json]',
    valueFlags: ['format'],
    async run(ctx, args) {
      requireNoMoreArgs(args, 1);
      const app = requireApp(ctx.platform, args.positional[0]);
      const report = checksReport(ctx.platform.state, app.name);
      const web = checksModeFor(ctx.platform.state, app.name, 'web');
      if (outputFormat(args) === 'json') return ctx.out.out(JSON.stringify({ 'disabled-list': report.disabled, 'skipped-list': report.skipped, web }));
      ctx.out.out(format.section(`${app.name} checks information`));
      ctx.out.out(format.detail(`Checks disabled list:          ${report.disabled}`));
      ctx.out.out(format.detail(`Checks skipped list:           ${report.skipped}`));
      ctx.out.out(format.detail(`Checks web:                    ${web}`));
    },
  },
];
