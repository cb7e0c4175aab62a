import type { Db } from './db.js';

/** Small per-app settings (checks lists, …), like Dokku's properties; deleted with the app. */
export class PropertyStore {
  constructor(private readonly db: Db) {}

  get(app: string, key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM properties WHERE app = ? AND key = ?').get(app, key) as
      { value: string } | undefined;
    return row?.value;
  }

  set(app: string, key: string, value: string | undefined): void {
    if (value === undefined) {
      this.db.prepare('DELETE FROM properties WHERE app = ? AND key = ?').run(app, key);
      return;
    }
    this.db
      .prepare(
        'INSERT INTO properties (app, key, value) VALUES (?, ?, ?) ON CONFLICT (app, key) DO UPDATE SET value = excluded.value',
      )
      .run(app, key, value);
  }

  all(app: string): Record<string, string> {
    const rows = this.db.prepare('SELECT key, value FROM properties WHERE app = ?').all(app) as {
      key: string;
      value: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  deleteApp(app: string): void {
    this.db.prepare('DELETE FROM properties WHERE app = ?').run(app);
  }
}
