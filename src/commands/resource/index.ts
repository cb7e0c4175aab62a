import { appUsage } from '../../apps/usage.js';
import { processTypeSchema } from '../../model/release.js';
import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import { ALL_TYPES, clearResourceLimits, resourceLimits, setResourceLimits } from '../../deploy/process-options.js';
import { action, query, type AppReport, type Namespace, type ParsedArgs } from '../types.js';

/** `--process-type web`, or every type when absent. */
function processType(args: ParsedArgs): string {
  const type = args.flags['process-type'];
  if (type === undefined) return ALL_TYPES;
  if (type === true || !processTypeSchema.safeParse(type).success)
    throw new UserError(`Invalid process type: ${String(type)}`);
  return type;
}

const typeLabel = (type: string) => (type === ALL_TYPES ? 'all processes' : type);

const report: AppReport = {
  name: 'resource',
  summary: 'Show the memory and CPU limits of the app’s containers',
  rows(ctx, app) {
    return Object.entries(resourceLimits(ctx.platform.state, app.name)).flatMap(
      ([type, limits]): [string, string][] => [
        [`Resource ${typeLabel(type)} memory`, limits.memory ?? ''],
        [`Resource ${typeLabel(type)} cpu`, limits.cpu ?? ''],
      ],
    );
  },
};

export const resourceNamespace: Namespace = {
  name: 'resource',
  report,
  commands: [
    action({
      name: 'resource:limit',
      summary: 'Limit memory (512m, 1g) and CPUs (0.5, 2) per container; applied on the next deploy or restart',
      args: ['app'],
      access: 'admin', // limits bound a tenant: its own key may not lift them
      valueFlags: ['memory', 'cpu', 'process-type'],
      run(ctx, args) {
        const app = args.app;
        const type = processType(args);
        const { memory, cpu } = args.flags as { memory?: string; cpu?: string };
        if (memory === undefined && cpu === undefined) throw new UserError('Give --memory and/or --cpu');
        setResourceLimits(ctx.platform.state, app.name, type, { memory, cpu });
        ctx.out.out(format.section(`Setting resource limits for ${app.name} (${type})`));
        if (memory !== undefined) ctx.out.out(format.detail(`memory: ${memory}`));
        if (cpu !== undefined) ctx.out.out(format.detail(`cpu: ${cpu}`));
      },
    }),
    action({
      name: 'resource:limit-clear',
      summary: 'Remove the app’s limits (of one process type with --process-type)',
      args: ['app'],
      access: 'admin', // limits bound a tenant: its own key may not lift them
      valueFlags: ['process-type'],
      run(ctx, args) {
        const app = args.app;
        const type = args.flags['process-type'] === undefined ? undefined : processType(args);
        clearResourceLimits(ctx.platform.state, app.name, type);
        ctx.out.out(format.step(`Cleared resource limits for ${app.name} (${type ? typeLabel(type) : 'everything'})`));
      },
    }),
    query({
      name: 'resource:usage',
      summary: 'Show what each running container of the app uses now: CPU (100% is one CPU) and memory',
      args: ['app'],
      access: 'app',
      valueFlags: ['format'],
      read: (ctx, { app }) => appUsage(ctx.platform, app.name),
      render: {
        text(rows, out, { app }) {
          out.out(format.section(`${app.name} resource usage`));
          const mib = (bytes: number | null) => (bytes === null ? '-' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
          for (const row of rows) {
            const cpu = row.cpu_percent === null ? '-' : `${row.cpu_percent}%`;
            out.out(
              `${row.process.padEnd(12)} v${String(row.release).padEnd(5)} cpu ${cpu.padEnd(8)} memory ${mib(row.memory_bytes)} of ${mib(row.memory_limit_bytes)}`,
            );
          }
        },
      },
    }),
  ],
};
