import { UserError } from '../core/errors.js';
import { format, type Output } from '../core/output.js';
import type { Platform } from '../platform.js';
import type { Instance } from '../runtime/scheduler.js';
import type { AppRecord } from '../state/index.js';
import {
  query,
  type AppReport,
  type Command,
  type CommandArgs,
  type CommandContext,
  type ReportContext,
  type ReportRows,
} from './types.js';

/** Reports about apps: one section per app and report, in that order. */
export interface ReportData {
  /** One app was named: JSON has no outer level by app. */
  named: boolean;
  reports: string[];
  sections: { app: string; report: string; heading: string; rows: ReportRows }[];
}

/** A row's flag, as Dokku names it: the label in kebab case (`--ps-restart-policy`), dots kept (`--status-web.1`). */
const flagOf = (label: string) => label.toLowerCase().replace(/[^a-z0-9.]+/g, '-');

/** Dokku's JSON keys are the flags without the plugin's prefix: `restart-policy`. */
export const reportJson = (plugin: string, rows: ReportRows) =>
  Object.fromEntries(rows.map(([label, value]) => [flagOf(label).replace(new RegExp(`^${plugin}-`), ''), value]));

/** The row flag asked for (`ps:report app --running`), if any. */
function rowFlag(args: CommandArgs): string | undefined {
  const wanted = Object.keys(args.flags).filter((flag) => flag !== 'format' && flag !== 'global');
  if (wanted.length > 1) throw new UserError('Give at most one report flag');
  return wanted[0];
}

export function printReport(out: Output, heading: string, rows: ReportRows): void {
  out.out(format.section(heading));
  // Dokku's column; a longer label still gets a space before its value.
  // Dokku shows a flag's dots as spaces too: `--status-web.1` is `Status web 1:`.
  for (const [label, value] of rows)
    out.out(format.detail(`${`${label.replace(/\./g, ' ')}: `.padEnd(31)}${value}`.trimEnd()));
}

/** Prints reports as Dokku does: the rows, one row's bare value for its flag, or JSON. */
export const reportRenderer = {
  text(data: ReportData, out: Output, args: CommandArgs) {
    const flag = rowFlag(args);
    if (flag !== undefined) {
      const row = data.sections[0]?.rows.find(([label]) => flagOf(label) === flag);
      if (!row) throw new UserError(`Invalid flag passed: --${flag}`);
      return out.out(row[1]);
    }
    for (const section of data.sections) printReport(out, section.heading, section.rows);
  },
  /** `{ app: { report: { key: value } } }`; one report: no report level; one app named: no app level. */
  json(data: ReportData) {
    const byApp: Record<string, Record<string, object>> = {};
    for (const s of data.sections) (byApp[s.app] ??= {})[s.report] = reportJson(s.report, s.rows);
    const single =
      data.reports.length === 1
        ? (per: Record<string, object>) => per[data.reports[0]!]
        : (per: Record<string, object>) => per;
    const shaped = Object.fromEntries(Object.entries(byApp).map(([app, per]) => [app, single(per)]));
    return data.named ? Object.values(shaped)[0] : shaped;
  },
};

/**
 * What runs for each of the apps, read when a report first asks: for one app its scheduler's
 * `instances`, for several one listing of them all (one per app made a report of a thousand
 * apps a thousand engine calls).
 */
function instancesLookup(platform: Platform, apps: AppRecord[]): ReportContext['instancesOf'] {
  const names = apps.map((a) => a.name);
  if (names.length <= 1) return (app) => platform.schedulerFor(app).instances(app);
  let listing: Promise<Map<string, Instance[]>> | undefined;
  return async (app) => {
    listing ??= platform.instancesOfApps(names);
    const listed = (await listing).get(app); // shared by the app's reports: each gets its own copy
    return listed ? [...listed] : platform.schedulerFor(app).instances(app);
  };
}

/** Reads reports about the named app, or (admins only get here without one) about every app. */
export async function readReports(ctx: CommandContext, args: CommandArgs, reports: AppReport[]): Promise<ReportData> {
  const apps: AppRecord[] = args.app ? [args.app] : ctx.platform.state.apps.list();
  const flags = Object.keys(args.flags).filter((flag) => flag !== 'format');
  if (!args.app && flags.length > 0) throw new UserError(`--${flags[0]} needs an app`);
  const sections: ReportData['sections'] = [];
  const reportCtx: ReportContext = { ...ctx, instancesOf: instancesLookup(ctx.platform, apps) };
  for (const app of apps) {
    for (const report of reports) {
      sections.push({
        app: app.name,
        report: report.name,
        heading: `${app.name} ${report.name} information`,
        rows: await report.rows(reportCtx, app),
      });
    }
  }
  return { named: Boolean(args.app), reports: reports.map((r) => r.name), sections };
}

/** A report about the host, not an app (`dashboard:report`), for reportRenderer: row flags and JSON as apps' reports have them. */
export const hostReport = (name: string, heading: string, rows: ReportRows): ReportData => ({
  named: true,
  reports: [name],
  sections: [{ app: name, report: name, heading, rows }],
});

/** `<namespace>:report [<app>]`: the namespace's report of one app, or of every app. */
export function reportCommand(report: AppReport): Command {
  return query({
    name: `${report.name}:report`,
    summary: `${report.summary} (every app's when none is named)`,
    args: ['[app]'],
    usageNote: '[--<row-flag>]',
    access: 'app',
    valueFlags: ['format'],
    openFlags: true,
    read: (ctx, args) => readReports(ctx, args, [report]),
    render: reportRenderer,
  });
}

/** `report [<app>]`: every namespace's report in one go (of every app when none is named). */
export function allReportsCommand(reports: AppReport[]): Command {
  return query({
    name: 'report',
    summary: "Show every report about an app (every app's when none is named)",
    args: ['[app]'],
    access: 'app',
    valueFlags: ['format'],
    read: (ctx, args) => readReports(ctx, args, reports),
    render: reportRenderer,
  });
}
