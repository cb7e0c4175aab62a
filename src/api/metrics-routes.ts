import { z } from 'zod';
import { HISTORY_MINUTES } from '../history/minutes.js';
import type { MetricsJson } from '../model/metrics-json.js';
import { appName, requireApp, type ApiRoute } from './routes.js';

const HOUR_MS = 3_600_000;

const point = z.object({
  at: z.string().describe('The minute’s start (ISO 8601, UTC)'),
  requests: z.number(),
  status: z.object({ '1xx': z.number(), '2xx': z.number(), '3xx': z.number(), '4xx': z.number(), '5xx': z.number() }),
  p50_ms: z.number().nullable(),
  p95_ms: z.number().nullable(),
  cpu_percent: z.number().nullable().describe('All the app’s containers together, 100 being one CPU'),
  memory_bytes: z.number().nullable(),
});

/**
 * The per-app metrics history (/metrics, Prometheus's, is in server.ts). A function, called
 * where routes.ts lists its routes: this module and routes.ts import each other, and the
 * app-name schema is not there yet while this module loads.
 */
export const metricsRoutes = (): ApiRoute[] => [metricsRoute() as ApiRoute];

const metricsRoute = (): ApiRoute<{ app: string }, { since?: string }, unknown> => ({
  method: 'GET',
  url: '/apps/:app/metrics',
  tag: 'metrics',
  summary:
    'The app’s last day minute by minute, as the daemon samples it: requests by status class, latency p50/p95, CPU and memory (kept in memory: a daemon restart starts again)',
  params: z.object({ app: appName }),
  query: z.object({
    since: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('The first minute wanted (ISO 8601); the last hour when not given'),
  }),
  response: z.object({
    app: z.string(),
    interval_seconds: z.number(),
    kept_points: z.number(),
    points: z.array(point),
  }),
  handle: async (ctx) => {
    const app = requireApp(ctx, ctx.params.app);
    const since = ctx.query.since === undefined ? Date.now() - HOUR_MS : Date.parse(ctx.query.since);
    const body: MetricsJson = {
      app,
      interval_seconds: 60,
      kept_points: HISTORY_MINUTES,
      points: ctx.platform.history.points(app, since).map((p) => ({
        at: new Date(p.minute).toISOString(),
        requests: p.requests,
        status: p.status,
        p50_ms: rounded(p.p50Ms),
        p95_ms: rounded(p.p95Ms),
        cpu_percent: rounded(p.cpuPercent),
        memory_bytes: p.memoryBytes === null ? null : Math.round(p.memoryBytes),
      })),
    };
    return { body };
  },
});

/** Two decimals: the float32 a ring keeps holds no more worth showing. */
const rounded = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);
