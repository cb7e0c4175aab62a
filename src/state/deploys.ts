import type { DeployJson, DeployStatus } from '../model/api.js';
import type { DeployPhase } from '../model/progress.js';
import type { Db } from './db.js';

export interface DeployOutcomes {
  app: string;
  kind: string;
  status: string;
  automatic: boolean;
  count: number;
  totalMs: number;
}

export type { DeployStatus };

export type DeployTimings = Partial<Record<DeployPhase, number>>;

export interface DeployRecord {
  id: string;
  app: string;
  kind: string;
  rev: string | null;
  release: number | null;
  status: DeployStatus;
  error: string | null;
  requestedBy: string;
  createdAt: number;
  finishedAt: number | null;
  timings: DeployTimings;
}

interface DeployRow {
  id: string;
  app: string;
  kind: string;
  rev: string | null;
  release: number | null;
  status: DeployStatus;
  error: string | null;
  requested_by: string;
  created_at: number;
  finished_at: number | null;
  timings: string;
}

const toDeploy = (row: DeployRow): DeployRecord => ({
  id: row.id,
  app: row.app,
  kind: row.kind,
  rev: row.rev,
  release: row.release,
  status: row.status,
  error: row.error,
  requestedBy: row.requested_by,
  createdAt: row.created_at,
  finishedAt: row.finished_at,
  timings: JSON.parse(row.timings) as DeployTimings,
});

/** A deploy as `builds:list --format json` and the API show it. */
export const deployJson = (d: DeployRecord): DeployJson => ({
  id: d.id,
  app: d.app,
  kind: d.kind,
  status: d.status,
  release: d.release,
  rev: d.rev,
  error: d.error,
  requested_by: d.requestedBy,
  started_at: new Date(d.createdAt).toISOString(),
  finished_at: d.finishedAt === null ? null : new Date(d.finishedAt).toISOString(),
  /** Milliseconds from the daemon receiving it to each phase (see DEPLOY_PHASES); the hook's is before, so negative. */
  timings_ms: Object.fromEntries(Object.entries(d.timings).map(([phase, at]) => [phase, at - d.createdAt])),
});

/** Deploy history: one row per deploy job, with its full log once it ends. */
export class DeployStore {
  constructor(private readonly db: Db) {}

  create(deploy: { id: string; app: string; kind: string; rev: string | null; requestedBy: string }): void {
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO deploys (id, app, kind, rev, status, requested_by, created_at, timings)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)`,
      )
      .run(deploy.id, deploy.app, deploy.kind, deploy.rev, deploy.requestedBy, now, JSON.stringify({ received: now }));
  }

  /** Records that the deploy reached a phase (now, or at `at`). */
  mark(id: string, phase: DeployPhase, at = Date.now()): void {
    this.db.prepare("UPDATE deploys SET timings = json_set(timings, '$.' || ?, ?) WHERE id = ?").run(phase, at, id);
  }

  /** Running once a worker takes it; succeeded as soon as it is live (its log closes later, after the drain). */
  setStatus(id: string, status: 'running' | 'succeeded'): void {
    this.db.prepare('UPDATE deploys SET status = ? WHERE id = ?').run(status, id);
  }

  setRelease(id: string, release: number): void {
    this.db.prepare('UPDATE deploys SET release = ? WHERE id = ?').run(release, id);
  }

  finish(id: string, outcome: { status: 'succeeded' | 'failed'; error?: string; log: string }): void {
    this.db
      .prepare('UPDATE deploys SET status = ?, error = ?, log = ?, finished_at = ? WHERE id = ?')
      .run(outcome.status, outcome.error ?? null, outcome.log, Date.now(), id);
  }

  get(id: string): DeployRecord | undefined {
    const row = this.db.prepare('SELECT * FROM deploys WHERE id = ?').get(id) as DeployRow | undefined;
    return row && toDeploy(row);
  }

  /**
   * The newest deploy of an app, or the one that made release vN, or the one whose id starts
   * with a prefix; with its log once it ended.
   */
  find(
    app: string,
    which: { release?: number; idPrefix?: string } = {},
  ): (DeployRecord & { log: string | null }) | undefined {
    const row = this.db
      .prepare(
        `SELECT * FROM deploys WHERE app = ? AND (? IS NULL OR release = ?) AND (? IS NULL OR substr(id, 1, length(?)) = ?)
         ORDER BY created_at DESC LIMIT 1`,
      )
      .get(
        app,
        which.release ?? null,
        which.release ?? null,
        which.idPrefix ?? null,
        which.idPrefix ?? null,
        which.idPrefix ?? null,
      ) as (DeployRow & { log: string | null }) | undefined;
    return row && { ...toDeploy(row), log: row.log };
  }

  /** The app's newest deploy, without its log (cheap enough to ask for every app every second). */
  latest(app: string): DeployRecord | undefined {
    const row = this.db
      .prepare(
        'SELECT id, app, kind, rev, release, status, error, requested_by, created_at, finished_at, timings FROM deploys WHERE app = ? ORDER BY created_at DESC LIMIT 1',
      )
      .get(app) as DeployRow | undefined;
    return row && toDeploy(row);
  }

  /** The app's newest failed deploy, with its log. */
  lastFailed(app: string): (DeployRecord & { log: string | null }) | undefined {
    const row = this.db
      .prepare("SELECT * FROM deploys WHERE app = ? AND status = 'failed' ORDER BY created_at DESC LIMIT 1")
      .get(app) as (DeployRow & { log: string | null }) | undefined;
    return row && { ...toDeploy(row), log: row.log };
  }

  /** Deploys whose log is not closed yet: queued, running, or live and still retiring the old release. */
  unfinished(): DeployRecord[] {
    return (
      this.db.prepare('SELECT * FROM deploys WHERE finished_at IS NULL ORDER BY created_at').all() as DeployRow[]
    ).map(toDeploy);
  }

  /**
   * Finished deploys per app, kind (push, restart, …), outcome and whether Slipway asked for
   * them itself (the reconciler), with their summed duration in ms: for /metrics.
   */
  outcomes(): DeployOutcomes[] {
    return this.db
      .prepare(
        `SELECT app, kind, status, requested_by = 'slipway' AS automatic, count(*) AS count,
                sum(finished_at - created_at) AS totalMs
         FROM deploys WHERE finished_at IS NOT NULL GROUP BY app, kind, status, automatic ORDER BY app, kind, status`,
      )
      .all()
      .map((row) => {
        const r = row as Omit<DeployOutcomes, 'automatic'> & { automatic: number };
        return { ...r, automatic: r.automatic === 1 };
      });
  }

  list(app: string): DeployRecord[] {
    return (
      this.db.prepare('SELECT * FROM deploys WHERE app = ? ORDER BY created_at DESC').all(app) as DeployRow[]
    ).map(toDeploy);
  }
}
