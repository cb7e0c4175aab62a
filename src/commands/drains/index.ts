import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import {
  addDrain,
  allDrains,
  checkDrainUrl,
  drainCounts,
  drainsFor,
  drainsOf,
  removeDrain,
  type Drain,
} from '../../drains/index.js';
import { DRAINS_PROPERTY } from '../../drains/store.js';
import type { Platform } from '../../platform.js';
import { action, query, type AppReport, type Command, type CommandContext, type Namespace } from '../types.js';

/** A drain as `drains:list --format json` gives it: where it sends, and how that goes. */
export interface DrainJson {
  id: string;
  /** The app, or `--global` for a drain of every app. */
  app: string;
  url: string;
  /** Gets the router's access log too (drains:add --router). */
  router: boolean;
  addedBy: string;
  createdAt: string;
  delivered: number;
  buffered: number;
  dropped: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

function drainJson(platform: Platform, drain: Drain): DrainJson {
  const counts = drainCounts(platform, drain);
  return {
    id: drain.id,
    app: drain.app ?? '--global',
    url: drain.url,
    router: drain.router,
    addedBy: drain.addedBy,
    createdAt: new Date(drain.createdAt).toISOString(),
    delivered: counts.delivered,
    buffered: counts.buffered,
    dropped: counts.dropped,
    lastError: counts.lastError ?? null,
    lastErrorAt: counts.lastErrorAt === undefined ? null : new Date(counts.lastErrorAt).toISOString(),
  };
}

const whose = (app: string | undefined) => app ?? 'every app (global)';

/** The drains of an app a caller is shown: with the global ones for an admin (a tenant's key is not told where those send). */
function visibleDrains(ctx: CommandContext, app: string): Drain[] {
  const { state } = ctx.platform;
  return ctx.caller.isAdmin ? drainsFor(state, app) : drainsOf(state, app);
}

const report: AppReport = {
  name: 'drains',
  summary: 'Show where an app’s log lines go, and how delivery goes',
  rows(ctx, app) {
    const drains = visibleDrains(ctx, app.name).map((d) => drainJson(ctx.platform, d));
    const sum = (field: 'delivered' | 'buffered' | 'dropped') => String(drains.reduce((n, d) => n + d[field], 0));
    const errors = drains.filter((d) => d.lastError !== null).map((d) => `${d.url}: ${d.lastError} (${d.lastErrorAt})`);
    return [
      ['Drains urls', drains.map((d) => d.url).join(' ')],
      ['Drains delivered', sum('delivered')],
      ['Drains buffered', sum('buffered')],
      ['Drains dropped', sum('dropped')],
      ['Drains last errors', errors.join('; ')],
    ];
  },
};

const commands: Command[] = [
  action({
    name: 'drains:add',
    summary:
      'Send every line the app’s containers write to a syslog://, syslog+tls:// or https:// drain (--global: of every app; --router: its router’s access log too)',
    args: ['app', '<url>'],
    appOr: '--global',
    access: 'app',
    booleanFlags: ['global', 'router'],
    async run(ctx, args) {
      const app = args.app?.name;
      const confined = !ctx.caller.isAdmin;
      const url = await checkDrainUrl(args.named.url, confined);
      const router = args.flags.router === true;
      const added = addDrain(ctx.platform.state, app, { url: url.url, confined, addedBy: ctx.caller.name, router });
      if (!added) return ctx.out.out(format.step(`Skipping: ${url.url} is already a drain of ${whose(app)}`));
      ctx.out.out(format.step(`Added drain ${url.url} (${added.id}) to ${whose(app)}`));
      ctx.out.out(
        format.detail(
          `Lines written${router ? ' and requests the router answers' : ''} from now on are sent; drains:list shows how delivery goes`,
        ),
      );
    },
  }),
  action({
    name: 'drains:remove',
    summary: 'Stop sending the app’s lines to a drain (by its URL or id); what it still buffered is discarded',
    args: ['app', '<url>'],
    appOr: '--global',
    access: 'app',
    booleanFlags: ['global'],
    run(ctx, args) {
      const app = args.app?.name;
      const removed = removeDrain(ctx.platform.state, app, args.named.url);
      if (!removed) throw new UserError(`${whose(app)} has no drain ${args.named.url.slice(0, 200)}`);
      ctx.out.out(format.step(`Removed drain ${removed.url} from ${whose(app)}`));
    },
  }),
  query({
    name: 'drains:list',
    summary:
      'List the drains of an app (with the global ones, for an admin), or every drain; with lines delivered, buffered and dropped',
    args: ['[app]'],
    access: 'app',
    valueFlags: ['format'],
    read: (ctx, args) => {
      const drains = args.app ? visibleDrains(ctx, args.app.name) : allDrains(ctx.platform.state);
      return drains.map((d) => drainJson(ctx.platform, d));
    },
    render: {
      text(drains, out) {
        if (drains.length === 0) return out.out(format.step('No drains'));
        out.out(format.section('Drains'));
        for (const d of drains) {
          out.out(
            `${d.id}  ${d.app}  ${d.url}${d.router ? ' (+router)' : ''}  delivered ${d.delivered}  buffered ${d.buffered}  dropped ${d.dropped}`,
          );
          if (d.lastError) out.out(format.detail(`last error at ${d.lastErrorAt}: ${d.lastError}`));
        }
      },
    },
  }),
];

export const drainsNamespace: Namespace = {
  name: 'drains',
  commands,
  report,
  // A copy of an app starts without its drains: they name where the original's lines go.
  lifecycle: { notCloned: [DRAINS_PROPERTY] },
};
