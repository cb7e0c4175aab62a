import { requireApp } from '../apps/index.js';
import { UserError } from '../core/errors.js';
import { format } from '../core/output.js';
import { restoreRoute } from '../deploy/routes.js';
import type { Platform } from '../platform.js';
import { appDomains, appUrls, globalDomains, hasOwnDomains, parseDomain, setAppDomains, setGlobalDomains } from '../proxy/domains.js';
import { onlyApp, requireNoMoreArgs } from './args.js';
import { reportCommand, showReport, type AppReport } from './reports.js';
import type { Command, CommandContext, ParsedArgs } from './types.js';

/** One or more domains, each validated. */
function parseDomains(words: string[]): string[] {
  if (words.length === 0) throw new UserError('Please specify at least one domain');
  return words.map(parseDomain);
}

/** The app and the validated domains that follow it. */
function appAndDomains(ctx: CommandContext, args: ParsedArgs) {
  const [name, ...rest] = args.positional;
  return { app: requireApp(ctx.platform, name).name, domains: parseDomains(rest) };
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

function changeAppDomains(ctx: CommandContext, app: string, domains: string[]) {
  const { state, settings } = ctx.platform;
  const before = hasOwnDomains(state, app) ? appDomains(state, settings, app) : [];
  return changeDomains(
    ctx,
    [app],
    () => setAppDomains(state, settings, app, domains),
    () => setAppDomains(state, settings, app, before),
  );
}

function changeGlobalDomains(ctx: CommandContext, domains: string[]) {
  const { state, settings } = ctx.platform;
  const before = globalDomains(state, settings);
  const affected = state.apps.list().filter((a) => !hasOwnDomains(state, a.name)).map((a) => a.name);
  return changeDomains(
    ctx,
    affected,
    () => setGlobalDomains(state, domains),
    () => setGlobalDomains(state, before),
  );
}

export const domainsReport: AppReport = {
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

const urlCommand = (name: 'url' | 'urls', summary: string): Command => ({
  name,
  summary,
  usage: '<app>',
  access: 'app',
  async run(ctx, args) {
    const app = onlyApp(ctx, args);
    const urls = appUrls(ctx.platform.state, ctx.platform.settings, app.name);
    (name === 'url' ? urls.slice(0, 1) : urls).forEach((url) => ctx.out.out(url));
  },
});

export const domainCommands: Command[] = [
  urlCommand('url', 'Print the app’s main URL'),
  urlCommand('urls', 'Print every URL the app answers on'),
  {
    name: 'domains:add',
    summary: 'Add domains an app answers on',
    usage: '<app> <domain> [<domain> …]',
    access: 'app',
    async run(ctx, args) {
      const { app, domains } = appAndDomains(ctx, args);
      // The default domain stays unless removed, as Dokku's vhost list starts with it.
      const current = appDomains(ctx.platform.state, ctx.platform.settings, app);
      const added = domains.filter((d) => !current.includes(d));
      await changeAppDomains(ctx, app, [...current, ...added]);
      for (const d of domains) ctx.out.out(format.step(added.includes(d) ? `Added ${d} to ${app}` : `Skipping: ${d} already added to ${app}`));
    },
  },
  {
    name: 'domains:remove',
    summary: 'Remove domains from an app',
    usage: '<app> <domain> [<domain> …]',
    access: 'app',
    async run(ctx, args) {
      const { app, domains } = appAndDomains(ctx, args);
      const current = appDomains(ctx.platform.state, ctx.platform.settings, app);
      const kept = current.filter((d) => !domains.includes(d));
      if (kept.length === 0) throw new UserError('An app needs at least one domain: use domains:clear to go back to the default');
      await changeAppDomains(ctx, app, kept);
      for (const d of domains) ctx.out.out(format.step(`Removed ${d} from ${app}`));
    },
  },
  {
    name: 'domains:set',
    summary: 'Replace an app’s domains',
    usage: '<app> <domain> [<domain> …]',
    access: 'app',
    async run(ctx, args) {
      const { app, domains } = appAndDomains(ctx, args);
      await changeAppDomains(ctx, app, domains);
      ctx.out.out(format.step(`Set ${domains.join(' ')} for ${app}`));
    },
  },
  {
    name: 'domains:clear',
    summary: 'Go back to the default domain, <app>.<global domain>',
    usage: '<app>',
    access: 'app',
    async run(ctx, args) {
      const app = onlyApp(ctx, args).name;
      await changeAppDomains(ctx, app, []);
      ctx.out.out(format.step(`Cleared domains in ${app}`));
    },
  },
  {
    name: 'domains:set-global',
    summary: 'Set the global domains apps get <app>.<domain> under',
    usage: '<domain> [<domain> …]',
    access: 'admin',
    async run(ctx, args) {
      const domains = parseDomains(args.positional);
      await changeGlobalDomains(ctx, domains);
      ctx.out.out(format.step(`Set global domains: ${domains.join(' ')}`));
    },
  },
  {
    name: 'domains:add-global',
    summary: 'Add a global domain',
    usage: '<domain> [<domain> …]',
    access: 'admin',
    async run(ctx, args) {
      const domains = parseDomains(args.positional);
      await changeGlobalDomains(ctx, [...globalDomains(ctx.platform.state, ctx.platform.settings), ...domains]);
      ctx.out.out(format.step(`Added global domains: ${domains.join(' ')}`));
    },
  },
  {
    name: 'domains:report',
    summary: 'Show the domains of an app, or the global ones',
    usage: '[<app>]|--global [--format stdout|json] [--<row-flag>]',
    access: 'app',
    valueFlags: ['format'],
    booleanFlags: ['global'],
    openFlags: true,
    async run(ctx, args) {
      const { state, settings } = ctx.platform;
      if (args.flags.global) {
        requireNoMoreArgs(args, 0);
        const domains = globalDomains(state, settings);
        return showReport(ctx, args, 'domains', 'Global domains information', [['Domains global vhosts', domains.join(' ')]]);
      }
      return reportCommand(domainsReport).run(ctx, args);
    },
  },
];
