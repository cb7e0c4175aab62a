/** One app's requests as nginx counted them since its master started (templates/nginx/lua/metrics.lua). */
export interface AppTraffic {
  app: string;
  /** Requests by status class: `2xx`, `5xx`, … */
  byStatus: Record<string, number>;
  /** Requests by the latency bucket they fell in (upper bound in seconds, or `+Inf`); not cumulative. */
  byBucket: Record<string, number>;
  /** Seconds spent on all of them. */
  seconds: number;
  /** When the last one was logged, in seconds since the epoch. */
  lastAt: number | undefined;
}

/** The latency buckets' upper bounds, in order; metrics.lua has the same list. */
export const LATENCY_BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

const LINE = /^([cbst]) ([a-z0-9][a-z0-9.-]*)(?: (\S+))? (\S+)$/;

/** Reads the status socket's `key value` lines; a line that is not one is skipped (never trusted). */
export function parseTraffic(text: string): AppTraffic[] {
  const apps = new Map<string, AppTraffic>();
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    const value = Number(match?.[4]);
    if (!match || !Number.isFinite(value)) continue;
    const [, kind, app, label] = match as unknown as [string, 'c' | 'b' | 's' | 't', string, string | undefined];
    let traffic = apps.get(app);
    if (!traffic) apps.set(app, (traffic = { app, byStatus: {}, byBucket: {}, seconds: 0, lastAt: undefined }));
    if (kind === 'c' && label !== undefined && /^[1-5]xx$/.test(label)) traffic.byStatus[label] = value;
    else if (kind === 'b' && label !== undefined && LATENCY_BUCKETS.includes(label)) traffic.byBucket[label] = value;
    else if (kind === 's' && label === undefined) traffic.seconds = value;
    else if (kind === 't' && label === undefined) traffic.lastAt = value;
  }
  return [...apps.values()].sort((a, b) => a.app.localeCompare(b.app));
}
