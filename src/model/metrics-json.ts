/**
 * The JSON of `GET /api/v1/apps/:app/metrics`, as types alone (read by the dashboard's
 * browser code, so no imports and no values).
 */

/** One minute of an app: what nginx answered for it and what its containers used. */
export interface MetricsPointJson {
  /** The minute's start (ISO 8601, UTC). */
  at: string;
  requests: number;
  /** Requests by status class. */
  status: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>;
  /** Latency percentiles in milliseconds, estimated from nginx's histogram buckets; null without requests. */
  p50_ms: number | null;
  p95_ms: number | null;
  /** CPU of all the app's containers together, 100 being one CPU; null when none ran. */
  cpu_percent: number | null;
  memory_bytes: number | null;
}

export interface MetricsJson {
  app: string;
  /** Seconds each point covers. */
  interval_seconds: number;
  /** How many points the daemon keeps (a day); it keeps them in memory, so a restart starts again. */
  kept_points: number;
  /** The minutes sampled since `since`, oldest first; a minute the daemon did not run is missing. */
  points: MetricsPointJson[];
}
