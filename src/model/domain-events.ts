/**
 * The platform's events (src/events/domain.ts) as types alone: what webhooks are sent and
 * what GET /api/v1/events streams as `event`, read by the dashboard's browser code too (so
 * no imports and no values).
 */

/**
 * What happened to apps, services and nodes, as facts worth telling someone (webhooks, the
 * API's and the dashboard's event stream): one typed stream the platform owns. Each kind names what it carries; none carries
 * a config value or a secret (config changes name their keys only).
 */
export interface DomainEventFields {
  /** A deploy job began (push, image, config change, rollback, restart, scale). */
  'deploy.started': DeployFields;
  'deploy.succeeded': DeployFields & { release: number | null };
  'deploy.failed': DeployFields & { release: number | null; error: string };
  /** A container of the app stopped that no deploy was retiring. */
  'app.crashed': { app: string; process: string; container: string };
  /** The reconciler found processes missing and asked for a restart deploy. */
  'app.restarted': { app: string; release: number; missing: string[] };
  /** A restart the reconciler asked for put the app's processes back. */
  'app.recovered': { app: string; release: number };
  /** A process crashed `crashes` times within `window_seconds`: its further crashes, restarts and recoveries are only counted. */
  'app.crash_loop': { app: string; process: string; crashes: number; window_seconds: number };
  /** A crash-looping process ran a while without crashing after a restart or deploy; `seconds` since the loop's first crash. */
  'app.crash_loop_recovered': { app: string; process: string; crashes: number; seconds: number };
  'app.scaled': { app: string; formation: Record<string, number>; by: string };
  /** `app` is null for the global config. Keys only, never values. */
  'config.changed': { app: string | null; keys: string[]; by: string };
  'domain.added': { app: string; domains: string[]; by: string };
  'domain.removed': { app: string; domains: string[]; by: string };
  'cert.added': { app: string; expires_at: string; by: string };
  'cert.renewal_failed': { app: string; error: string };
  'cert.expiring': { app: string; expires_at: string; days_left: number };
  'backup.succeeded': { service: string; bucket: string; file: string };
  'backup.failed': { service: string; bucket: string; error: string };
  'node.down': { node: string; address: string };
  'node.up': { node: string; address: string };
  /** `webhooks:test`: sent to that one webhook only, never on the stream; `by` is the key that asked. */
  'webhook.test': { webhook: string; by: string };
}

interface DeployFields {
  app: string;
  deploy: string;
  /** git, image, config, rollback or restart. */
  kind: string;
  /** The key (or `slipway` for the reconciler) that asked for it. */
  by: string;
  /** The commit pushed, when a push. */
  rev: string | null;
}

export type DomainEventType = keyof DomainEventFields;

/** One event as published: its kind, a unique id (receivers drop repeats by it), when, and what it carries. */
export type DomainEvent = {
  [T in DomainEventType]: { type: T; id: string; at: string } & DomainEventFields[T];
}[DomainEventType];
