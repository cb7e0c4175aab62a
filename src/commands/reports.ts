import { format } from '../core/output.js';
import type { AppRecord } from '../state/index.js';
import { onlyApp, outputFormat } from './args.js';
import type { Command, CommandContext } from './types.js';

/** Label and value, as Dokku's reports print them: `Ps restart policy:   unless-stopped`. */
export type ReportRows = [label: string, value: string][];

/** One plugin's report about an app, shown by `<name>:report <app>` and by `report <app>`. */
export interface AppReport {
  name: string;
  summary: string;
  rows(ctx: CommandContext, app: AppRecord): ReportRows | Promise<ReportRows>;
}

/** Dokku's JSON keys are the labels in kebab case: `ps-restart-policy`. */
const jsonKey = (label: string) => label.toLowerCase().replace(/[^a-z0-9]+/g, '-');

export const reportJson = (rows: ReportRows) => Object.fromEntries(rows.map(([label, value]) => [jsonKey(label), value]));

export function printReport(ctx: CommandContext, heading: string, rows: ReportRows): void {
  ctx.out.out(format.section(heading));
  for (const [label, value] of rows) ctx.out.out(format.detail(`${`${label}:`.padEnd(31)}${value}`.trimEnd()));
}

export function reportCommand(report: AppReport): Command {
  return {
    name: `${report.name}:report`,
    summary: report.summary,
    usage: '<app> [--format stdout|json]',
    access: 'app',
    valueFlags: ['format'],
    async run(ctx, args) {
      const app = onlyApp(ctx, args);
      const rows = await report.rows(ctx, app);
      if (outputFormat(args) === 'json') return ctx.out.out(JSON.stringify(reportJson(rows)));
      printReport(ctx, `${app.name} ${report.name} information`, rows);
    },
  };
}

/** `report <app>`: every plugin's report in one go. */
export function allReportsCommand(reports: AppReport[]): Command {
  return {
    name: 'report',
    summary: 'Show every report about an app',
    usage: '<app> [--format stdout|json]',
    access: 'app',
    valueFlags: ['format'],
    async run(ctx, args) {
      const app = onlyApp(ctx, args);
      const json = outputFormat(args) === 'json';
      const all: Record<string, object> = {};
      for (const report of reports) {
        const rows = await report.rows(ctx, app);
        if (json) all[report.name] = reportJson(rows);
        else printReport(ctx, `${app.name} ${report.name} information`, rows);
      }
      if (json) ctx.out.out(JSON.stringify(all));
    },
  };
}
