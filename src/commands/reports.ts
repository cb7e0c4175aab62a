import { format } from '../core/output.js';
import type { AppRecord } from '../state/index.js';
import { onlyApp, outputFormat, requireNoMoreArgs } from './args.js';
import { UserError } from '../core/errors.js';
import type { Command, CommandContext, ParsedArgs } from './types.js';

/** Label and value, as Dokku's reports print them: `Ps restart policy:   unless-stopped`. */
export type ReportRows = [label: string, value: string][];

/** One plugin's report about an app, shown by `<name>:report <app>` and by `report <app>`. */
export interface AppReport {
  name: string;
  summary: string;
  rows(ctx: CommandContext, app: AppRecord): ReportRows | Promise<ReportRows>;
}

/** A row's flag, as Dokku names it: the label in kebab case (`--ps-restart-policy`). */
const flagOf = (label: string) => label.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** Dokku's JSON keys are the flags without the plugin's prefix: `restart-policy`. */
export const reportJson = (plugin: string, rows: ReportRows) =>
  Object.fromEntries(rows.map(([label, value]) => [flagOf(label).replace(new RegExp(`^${plugin}-`), ''), value]));

/**
 * Prints a report as Dokku does: the rows, one JSON object with --format json, or one
 * row's bare value when its flag is given (`ps:report app --running`).
 */
export function showReport(ctx: CommandContext, args: ParsedArgs, plugin: string, heading: string, rows: ReportRows): void {
  const wanted = Object.keys(args.flags).filter((flag) => flag !== 'format' && flag !== 'global');
  if (wanted.length > 1) throw new UserError('Give at most one report flag');
  if (wanted.length === 1) {
    const row = rows.find(([label]) => flagOf(label) === wanted[0]);
    if (!row) throw new UserError(`Invalid flag passed: --${wanted[0]}`);
    return ctx.out.out(row[1]);
  }
  if (outputFormat(args) === 'json') return ctx.out.out(JSON.stringify(reportJson(plugin, rows)));
  printReport(ctx, heading, rows);
}

export function printReport(ctx: CommandContext, heading: string, rows: ReportRows): void {
  ctx.out.out(format.section(heading));
  for (const [label, value] of rows) ctx.out.out(format.detail(`${`${label}:`.padEnd(31)}${value}`.trimEnd()));
}

export function reportCommand(report: AppReport): Command {
  return {
    name: `${report.name}:report`,
    summary: `${report.summary} (every app's when none is named)`,
    usage: '[<app>] [--format stdout|json] [--<row-flag>]',
    access: 'app',
    valueFlags: ['format'],
    openFlags: true,
    async run(ctx, args) {
      if (args.positional.length > 0) {
        const app = onlyApp(ctx, args);
        return showReport(ctx, args, report.name, `${app.name} ${report.name} information`, await report.rows(ctx, app));
      }
      await eachApp(ctx, args, [report]);
    },
  };
}

/** `report <app>`: every plugin's report in one go (of every app when none is named). */
export function allReportsCommand(reports: AppReport[]): Command {
  return {
    name: 'report',
    summary: "Show every report about an app (every app's when none is named)",
    usage: '[<app>] [--format stdout|json]',
    access: 'app',
    valueFlags: ['format'],
    async run(ctx, args) {
      requireNoMoreArgs(args, 1);
      if (args.positional.length > 0) return printReports(ctx, args, [onlyApp(ctx, args)], reports);
      await eachApp(ctx, args, reports);
    },
  };
}

/** Only admins get here without an app (authorize): they see every app. */
async function eachApp(ctx: CommandContext, args: ParsedArgs, reports: AppReport[]): Promise<void> {
  const flags = Object.keys(args.flags).filter((flag) => flag !== 'format');
  if (flags.length > 0) throw new UserError(`--${flags[0]} needs an app`);
  await printReports(ctx, args, ctx.platform.state.apps.list(), reports);
}

/** Text sections per app and report; as JSON, `{ app: { report: { key: value } } }` (one app: no outer level). */
async function printReports(ctx: CommandContext, args: ParsedArgs, apps: AppRecord[], reports: AppReport[]): Promise<void> {
  const json = outputFormat(args) === 'json';
  const all: Record<string, Record<string, object>> = {};
  for (const app of apps) {
    for (const report of reports) {
      const rows = await report.rows(ctx, app);
      if (json) (all[app.name] ??= {})[report.name] = reportJson(report.name, rows);
      else printReport(ctx, `${app.name} ${report.name} information`, rows);
    }
  }
  if (!json) return;
  const single = reports.length === 1 ? (per: Record<string, object>) => per[reports[0]!.name] : (per: Record<string, object>) => per;
  const byApp = Object.fromEntries(Object.entries(all).map(([app, per]) => [app, single(per)]));
  ctx.out.out(JSON.stringify(args.positional.length > 0 ? Object.values(byApp)[0] : byApp));
}
