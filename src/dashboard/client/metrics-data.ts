// The metrics history as the charts draw it (pure, so tested without a browser).
import type { DomainEvent } from '../../model/domain-events.js';
import type { MetricsPointJson } from '../../model/metrics-json.js';

/** uPlot's data: times in seconds, then one column per series; null is no value (the line breaks there). */
export interface MetricsColumns {
  time: number[];
  requests: (number | null)[];
  errors: (number | null)[];
  p50: (number | null)[];
  p95: (number | null)[];
  cpu: (number | null)[];
  memoryMib: (number | null)[];
}

const MINUTE_S = 60;

/**
 * Pure: points (oldest first) as columns, with a gap (nulls a minute after the last point)
 * wherever minutes are missing (the daemon was down), so no line is drawn across them.
 */
export function metricsColumns(points: MetricsPointJson[]): MetricsColumns {
  const columns: MetricsColumns = { time: [], requests: [], errors: [], p50: [], p95: [], cpu: [], memoryMib: [] };
  const push = (time: number, point: MetricsPointJson | undefined) => {
    columns.time.push(time);
    columns.requests.push(point ? point.requests : null);
    columns.errors.push(point ? point.status['5xx'] : null);
    columns.p50.push(point?.p50_ms ?? null);
    columns.p95.push(point?.p95_ms ?? null);
    columns.cpu.push(point?.cpu_percent ?? null);
    const memory = point?.memory_bytes ?? null;
    columns.memoryMib.push(memory === null ? null : memory / 1024 / 1024);
  };
  let last: number | undefined;
  for (const point of points) {
    const time = Date.parse(point.at) / 1000;
    if (last !== undefined && time - last > MINUTE_S) push(last + MINUTE_S, undefined);
    push(time, point);
    last = time;
  }
  return columns;
}

/** Pure: one line for an event on the app page (the app is the page's, so not named). */
export function eventText(event: DomainEvent): string {
  switch (event.type) {
    case 'deploy.started':
      return `Deploy started (${event.kind}, by ${event.by})`;
    case 'deploy.succeeded':
      return `Deployed${event.release === null ? '' : ` v${event.release}`} (${event.kind}, by ${event.by})`;
    case 'deploy.failed':
      return `Deploy failed (${event.kind}, by ${event.by}): ${event.error}`;
    case 'app.crashed':
      return `${event.process} container ${event.container} stopped unexpectedly`;
    case 'app.restarted':
      return `Restarting ${event.missing.join(', ')} of v${event.release}`;
    case 'app.recovered':
      return `v${event.release} runs again`;
    case 'app.crash_loop':
      return `${event.process} is crash-looping: ${event.crashes} crashes within ${event.window_seconds / 60} minutes`;
    case 'app.crash_loop_recovered':
      return `${event.process} runs again after ${event.crashes} crashes`;
    case 'app.scaled':
      return `Scaled to ${Object.entries(event.formation)
        .map(([type, count]) => `${type}=${count}`)
        .join(' ')} by ${event.by}`;
    case 'config.changed':
      return `Config changed by ${event.by}: ${event.keys.join(', ')}`;
    case 'domain.added':
      return `Answers on ${event.domains.join(', ')} now (by ${event.by})`;
    case 'domain.removed':
      return `No longer answers on ${event.domains.join(', ')} (by ${event.by})`;
    case 'cert.added':
      return `New certificate, valid until ${event.expires_at} (by ${event.by})`;
    case 'cert.renewal_failed':
      return `Renewing the certificate failed: ${event.error}`;
    case 'cert.expiring':
      return `The certificate expires in ${event.days_left} days`;
    case 'backup.succeeded':
    case 'backup.failed':
    case 'node.down':
    case 'node.up':
    case 'webhook.test':
      return event.type; // about no app: never listed on an app's page
  }
}
