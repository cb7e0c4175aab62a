import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import { restoreRoute } from '../../deploy/routes.js';
import type { Platform } from '../../platform.js';
import {
  APP_DOMAINS,
  appDomains,
  appUrls,
  globalDomains,
  hasOwnDomains,
  parseDomain,
  refuseForeignDomains,
  setAppDomains,
  setGlobalDomains,
} from '../../proxy/domains.js';
import { readReports, reportRenderer } from '../report.js';
import { printQuery } from '../render.js';
import {
  action,
  query,
  type AppReport,
  type Command,
  type AppArgs,
  type CommandContext,
  type Namespace,
  type ReportRows,
} from '../types.js';

/** One or more domains, each validated. */
function parseDomains(words: string[]): string[] {
  if (words.length === 0) throw new UserError('Please specify at least one domain');
  return words.map(parseDomain);
}

/** The app and the validated domains that follow it. */
function appAndDomains(args: AppArgs) {
  return { app: args.app.name, domains: parseDomains(args.rest) };
}

/** Points a running app's containers at its new domains (nginx reloads: the server block changed). */
async function applyDomains(platform: Platform, apps: string[]): Promise<void> {
  for (const app of apps) await restoreRoute(platform, app);
}

/** Saves a domain change and routes it; when nginx refuses it, the saved domains go back. */
async function changeDomains(ctx: CommandContext, apps: string[], change: () => void, undo: () => void): Promise<void> {
  change();
  try {
    await applyDomains(ctx.platform, apps);
  } catch (error) {
    undo();
    await applyDomains(ctx.platform, apps).catch(() => {});
    throw error;
  }
}

/** Replaces the app's domains; a non-admin key only with domains that are its app's to take. */
async function changeAppDomains(ctx: CommandContext, app: string, domains: string[], added = domains) {
  const { state, settings } = ctx.platform;
  const { isAdmin } = ctx.caller;
  if (!isAdmin) refuseForeignDomains(state, settings, app, added);
  const before = hasOwnDomains(state, app) ? appDomains(state, settings, app) : [];
  const answered = appDomains(state, settings, app);
  await changeDomains(
    ctx,
    [app],
    () => setAppDomains(state, settings, app, domains, { revealOwner: isAdmin }),
    () => setAppDomains(state, settings, app, before),
  );
  tellDomainChanges(ctx, app, answered, appDomains(state, settings, app));
}

/** The names the app answers on now and did not before, and the other way round. */
function tellDomainChanges(ctx: CommandContext, app: string, before: string[], after: string[]): void {
  const by = ctx.caller.name;
  const added = after.filter((d) => !before.includes(d));
  const removed = before.filter((d) => !after.includes(d));
  if (added.length > 0) ctx.platform.events.publish('domain.added', { app, domains: added, by });
  if (removed.length > 0) ctx.platform.events.publish('domain.removed', { app, domains: removed, by });
}

function changeGlobalDomains(ctx: CommandContext, domains: string[]) {
  const { state, settings } = ctx.platform;
  const before = globalDomains(state, settings);
  const affected = state.apps
    .list()
    .filter((a) => !hasOwnDomains(state, a.name))
    .map((a) => a.name);
  return changeDomains(
    ctx,
    affected,
    () => setGlobalDomains(state, domains),
    () => setGlobalDomains(state, before),
  );
}

const report: AppReport = {
  name: 'domains',
  summary: 'Show the domains of an app, or the global ones',
  rows(ctx, app) {
    const { state, settings } = ctx.platform;
    return [
      ['Domains app vhosts', appDomains(state, settings, app.name).join(' ')],
      ['Domains global vhosts', globalDomains(state, settings).join(' ')],
    ];
  },
};

const urlCommand = (name: 'url' | 'urls', summary: string): Command =>
  query({
    name,
    summary,
    args: ['app'],
    access: 'app',
    read: (ctx, { app }) =>
      appUrls(ctx.platform.state, ctx.platform.settings, app.name).slice(0, name === 'url' ? 1 : undefined),
    render: { text: (urls, out) => urls.forEach((url) => out.out(url)) },
  });

const commands: Command[] = [
  urlCommand('url', 'Print the app’s main URL'),
  urlCommand('urls', 'Print every URL the app answers on'),
  action({
    name: 'domains:add',
    summary: 'Add domains an app answers on',
    args: ['app', '<domain…>'],
    missing: { domain: 'Please specify at least one domain' },
    access: 'app',
    async run(ctx, args) {
      const { app, domains } = appAndDomains(args);
      // The default domain stays unless removed, as Dokku's vhost list starts with it.
      const current = appDomains(ctx.platform.state, ctx.platform.settings, app);
      const added = domains.filter((d) => !current.includes(d));
      await changeAppDomains(ctx, app, [...current, ...added], added);
      for (const d of domains)
        ctx.out.out(format.step(added.includes(d) ? `Added ${d} to ${app}` : `Skipping: ${d} already added to ${app}`));
    },
  }),
  action({
    name: 'domains:remove',
    summary: 'Remove domains from an app',
    args: ['app', '<domain…>'],
    missing: { domain: 'Please specify at least one domain' },
    access: 'app',
    async run(ctx, args) {
      const { app, domains } = appAndDomains(args);
      const current = appDomains(ctx.platform.state, ctx.platform.settings, app);
      const kept = current.filter((d) => !domains.includes(d));
      if (kept.length === 0)
        throw new UserError('An app needs at least one domain: use domains:clear to go back to the default');
      await changeAppDomains(ctx, app, kept, []);
      for (const d of domains) ctx.out.out(format.step(`Removed ${d} from ${app}`));
    },
  }),
  action({
    name: 'domains:set',
    summary: 'Replace an app’s domains',
    args: ['app', '<domain…>'],
    missing: { domain: 'Please specify at least one domain' },
    access: 'app',
    async run(ctx, args) {
      const { app, domains } = appAndDomains(args);
      await changeAppDomains(ctx, app, domains);
      ctx.out.out(format.step(`Set ${domains.join(' ')} for ${app}`));
    },
  }),
  action({
    name: 'domains:clear',
    summary: 'Go back to the default domain, <app>.<global domain>',
    args: ['app'],
    access: 'app',
    async run(ctx, args) {
      const app = args.app.name;
      await changeAppDomains(ctx, app, [], []);
      ctx.out.out(format.step(`Cleared domains in ${app}`));
    },
  }),
  action({
    name: 'domains:set-global',
    summary: 'Set the global domains apps get <app>.<domain> under',
    args: ['<domain…>'],
    missing: { domain: 'Please specify at least one domain' },
    access: 'admin',
    async run(ctx, args) {
      const domains = parseDomains(args.rest);
      await changeGlobalDomains(ctx, domains);
      ctx.out.out(format.step(`Set global domains: ${domains.join(' ')}`));
    },
  }),
  action({
    name: 'domains:add-global',
    summary: 'Add a global domain',
    args: ['<domain…>'],
    missing: { domain: 'Please specify at least one domain' },
    access: 'admin',
    async run(ctx, args) {
      const domains = parseDomains(args.rest);
      await changeGlobalDomains(ctx, [...globalDomains(ctx.platform.state, ctx.platform.settings), ...domains]);
      ctx.out.out(format.step(`Added global domains: ${domains.join(' ')}`));
    },
  }),
  action({
    name: 'domains:report',
    summary: 'Show the domains of an app, or the global ones',
    args: ['[app]'],
    appOr: '--global',
    usageNote: '[--<row-flag>]',
    access: 'app',
    valueFlags: ['format'],
    booleanFlags: ['global'],
    openFlags: true,
    run(ctx, args) {
      if (!args.flags.global)
        return printQuery(ctx, args, { read: () => readReports(ctx, args, [report]), render: reportRenderer });
      const domains = globalDomains(ctx.platform.state, ctx.platform.settings);
      const rows: ReportRows = [['Domains global vhosts', domains.join(' ')]];
      const data = {
        named: true,
        reports: ['domains'],
        sections: [{ app: '', report: 'domains', heading: 'Global domains information', rows }],
      };
      return printQuery(ctx, args, { read: () => data, render: reportRenderer });
    },
  }),
];

export const domainsNamespace: Namespace = {
  name: 'domains',
  commands,
  report,
  lifecycle: { notCloned: [APP_DOMAINS] },
};
