import type { Db } from './db.js';

export type WebhookFormat = 'json' | 'slack';

export interface WebhookRecord {
  id: string;
  /** null: a global webhook (every app's events, and those of no app). */
  app: string | null;
  url: string;
  /** Event kinds or groups it wants; empty: every event. */
  events: string[];
  format: WebhookFormat;
  secret: string;
  /** Added by a tenant: it may reach public https:// addresses only, checked at each delivery. */
  confined: boolean;
  createdBy: string;
  createdAt: number;
}

/** One attempt at delivering one event to one webhook. */
export interface WebhookDelivery {
  eventId: string;
  eventType: string;
  attempt: number;
  /** The HTTP status answered, or null when none came (refused, timed out, not allowed). */
  status: number | null;
  error: string | null;
  latencyMs: number;
  at: number;
}

interface WebhookRow {
  id: string;
  app: string | null;
  url: string;
  events: string;
  format: string;
  secret: string;
  confined: number;
  created_by: string;
  created_at: number;
}

interface DeliveryRow {
  event_id: string;
  event_type: string;
  attempt: number;
  status: number | null;
  error: string | null;
  latency_ms: number;
  at: number;
}

/** The attempts kept per webhook: what `webhooks:deliveries` shows, and no more. */
export const KEPT_DELIVERIES = 100;

const toWebhook = (row: WebhookRow): WebhookRecord => ({
  id: row.id,
  app: row.app,
  url: row.url,
  events: JSON.parse(row.events) as string[],
  format: row.format === 'slack' ? 'slack' : 'json',
  secret: row.secret,
  confined: row.confined === 1,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

/** Webhooks by id; an app's go with it (and follow a rename). */
export class WebhookStore {
  constructor(private readonly db: Db) {}

  add(hook: WebhookRecord): void {
    this.db
      .prepare(
        `INSERT INTO webhooks (id, app, url, events, format, secret, confined, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        hook.id,
        hook.app,
        hook.url,
        JSON.stringify(hook.events),
        hook.format,
        hook.secret,
        hook.confined ? 1 : 0,
        hook.createdBy,
        hook.createdAt,
      );
  }

  get(id: string): WebhookRecord | undefined {
    const row = this.db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined;
    return row && toWebhook(row);
  }

  /** Every webhook (app undefined), an app's own, or the global ones (null). */
  list(app?: string | null): WebhookRecord[] {
    const rows =
      app === undefined
        ? this.db.prepare('SELECT * FROM webhooks ORDER BY app IS NOT NULL, app, created_at').all()
        : this.db.prepare('SELECT * FROM webhooks WHERE app IS ? ORDER BY created_at').all(app);
    return (rows as WebhookRow[]).map(toWebhook);
  }

  /** The webhooks an event about `app` (null: about no app) may go to: the app's own and the global ones. */
  concerned(app: string | null): WebhookRecord[] {
    const rows = this.db.prepare('SELECT * FROM webhooks WHERE app IS NULL OR app = ? ORDER BY created_at').all(app);
    return (rows as WebhookRow[]).map(toWebhook);
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM webhooks WHERE id = ?').run(id).changes === 1;
  }

  /** Records an attempt, keeping the newest KEPT_DELIVERIES of the webhook; false when the webhook is gone. */
  recordDelivery(webhookId: string, delivery: WebhookDelivery): boolean {
    return this.db.transaction(() => {
      if (!this.get(webhookId)) return false;
      this.db
        .prepare(
          `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, attempt, status, error, latency_ms, at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          webhookId,
          delivery.eventId,
          delivery.eventType,
          delivery.attempt,
          delivery.status,
          delivery.error,
          delivery.latencyMs,
          delivery.at,
        );
      this.db
        .prepare(
          `DELETE FROM webhook_deliveries WHERE webhook_id = ? AND id <=
             (SELECT id FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
        )
        .run(webhookId, webhookId, KEPT_DELIVERIES);
      return true;
    })();
  }

  /** The newest attempts first. */
  deliveries(webhookId: string, limit = KEPT_DELIVERIES): WebhookDelivery[] {
    const rows = this.db
      .prepare('SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?')
      .all(webhookId, limit) as DeliveryRow[];
    return rows.map((row) => ({
      eventId: row.event_id,
      eventType: row.event_type,
      attempt: row.attempt,
      status: row.status,
      error: row.error,
      latencyMs: row.latency_ms,
      at: row.at,
    }));
  }
}
