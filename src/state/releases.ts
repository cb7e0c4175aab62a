import type { ReleaseJson, ReleaseKind, ReleaseStatus } from '../model/api.js';
import type { Db } from './db.js';

export type { ReleaseKind, ReleaseStatus };

export interface ReleaseRecord {
  app: string;
  version: number;
  status: ReleaseStatus;
  kind: ReleaseKind;
  image: string;
  rev: string | null;
  /** The app's own env config as it was for this release (global config is merged at start). */
  config: Record<string, string>;
  /** Facts read from the source at build time (Procfile, healthchecks); parsed by its user. */
  meta: unknown;
  description: string;
  createdBy: string;
  createdAt: number;
}

interface ReleaseRow {
  app: string;
  version: number;
  status: ReleaseStatus;
  kind: ReleaseKind;
  image: string;
  rev: string | null;
  config: string;
  meta: string;
  description: string;
  created_by: string;
  created_at: number;
}

const toRelease = (row: ReleaseRow): ReleaseRecord => ({
  app: row.app,
  version: row.version,
  status: row.status,
  kind: row.kind,
  image: row.image,
  rev: row.rev,
  config: JSON.parse(row.config) as Record<string, string>,
  meta: JSON.parse(row.meta) as unknown,
  description: row.description,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

export class ReleaseStore {
  constructor(private readonly db: Db) {}

  /** Allocates the next version number atomically, so concurrent writers never share one. */
  create(
    release: Omit<ReleaseRecord, 'version' | 'status' | 'createdAt' | 'image'> & { image: (version: number) => string },
  ): ReleaseRecord {
    return this.db.transaction(() => {
      const { next } = this.db
        .prepare('SELECT COALESCE(MAX(version), 0) + 1 AS next FROM releases WHERE app = ?')
        .get(release.app) as { next: number };
      this.db
        .prepare(
          `INSERT INTO releases (app, version, status, kind, image, rev, config, meta, description, created_by, created_at)
           VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          release.app,
          next,
          release.kind,
          release.image(next),
          release.rev,
          JSON.stringify(release.config),
          JSON.stringify(release.meta ?? {}),
          release.description,
          release.createdBy,
          Date.now(),
        );
      return this.get(release.app, next)!;
    })();
  }

  setStatus(app: string, version: number, status: ReleaseStatus): void {
    this.db.prepare('UPDATE releases SET status = ? WHERE app = ? AND version = ?').run(status, app, version);
  }

  /** A restored host names its images after its own instance (state:restore). */
  setImage(app: string, version: number, image: string): void {
    this.db.prepare('UPDATE releases SET image = ? WHERE app = ? AND version = ?').run(image, app, version);
  }

  get(app: string, version: number): ReleaseRecord | undefined {
    const row = this.db.prepare('SELECT * FROM releases WHERE app = ? AND version = ?').get(app, version) as
      ReleaseRow | undefined;
    return row && toRelease(row);
  }

  /** The release now serving: the newest one whose deploy succeeded. */
  current(app: string): ReleaseRecord | undefined {
    const row = this.db
      .prepare(`SELECT * FROM releases WHERE app = ? AND status = 'succeeded' ORDER BY version DESC LIMIT 1`)
      .get(app) as ReleaseRow | undefined;
    return row && toRelease(row);
  }

  list(app: string): ReleaseRecord[] {
    return (this.db.prepare('SELECT * FROM releases WHERE app = ? ORDER BY version DESC').all(app) as ReleaseRow[]).map(
      toRelease,
    );
  }
}

/** A release as `releases --format json` and the API show it; `current` is the serving version. */
export function releaseJson(release: ReleaseRecord, current: number | undefined): ReleaseJson {
  return {
    version: release.version,
    current: release.version === current,
    status: release.status,
    kind: release.kind,
    description: release.description,
    rev: release.rev,
    image: release.image,
    config_keys: Object.keys(release.config).sort(),
    created_by: release.createdBy,
    created_at: new Date(release.createdAt).toISOString(),
  };
}
