import type { Db } from './db.js';

export type Formation = Record<string, number>;

export interface AppRecord {
  name: string;
  /** Desired container count per process type. */
  formation: Formation;
  createdAt: number;
}

interface AppRow {
  name: string;
  formation: string;
  created_at: number;
}

const toApp = (row: AppRow): AppRecord => ({
  name: row.name,
  formation: JSON.parse(row.formation) as Formation,
  createdAt: row.created_at,
});

export class AppStore {
  constructor(private readonly db: Db) {}

  get(name: string): AppRecord | undefined {
    const row = this.db.prepare('SELECT * FROM apps WHERE name = ?').get(name) as AppRow | undefined;
    return row && toApp(row);
  }

  list(): AppRecord[] {
    return (this.db.prepare('SELECT * FROM apps ORDER BY name').all() as AppRow[]).map(toApp);
  }

  /** Returns false when the name is already taken. */
  create(name: string): boolean {
    const result = this.db.prepare('INSERT OR IGNORE INTO apps (name, created_at) VALUES (?, ?)').run(name, Date.now());
    return result.changes === 1;
  }

  setFormation(name: string, formation: Formation): void {
    this.db.prepare('UPDATE apps SET formation = ? WHERE name = ?').run(JSON.stringify(formation), name);
  }

  /**
   * Moves everything recorded under one name to another in one transaction: history, config,
   * settings, links and grants. `images` gives each release's image under its new name.
   */
  rename(from: string, to: string, images: Map<number, string>): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO apps (name, deploy_branch, formation, created_at) SELECT ?, deploy_branch, formation, created_at FROM apps WHERE name = ?',
        )
        .run(to, from);
      for (const table of ['releases', 'deploys', 'service_links', 'app_access', 'properties', 'webhooks']) {
        this.db.prepare(`UPDATE ${table} SET app = ? WHERE app = ?`).run(to, from);
      }
      this.db.prepare('UPDATE config SET scope = ? WHERE scope = ?').run(to, from);
      const setImage = this.db.prepare('UPDATE releases SET image = ? WHERE app = ? AND version = ?');
      for (const [version, image] of images) setImage.run(image, to, version);
      this.db.prepare('DELETE FROM apps WHERE name = ?').run(from);
    })();
  }

  /** Removes the app with its config and settings; releases and deploys go by cascade. */
  delete(name: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM config WHERE scope = ?').run(name);
      this.db.prepare('DELETE FROM properties WHERE app = ?').run(name);
      this.db.prepare('DELETE FROM apps WHERE name = ?').run(name);
    })();
  }
}
