import type { Db } from './db.js';

/** Per-app grants for non-admin keys; a grant goes with its app or its key. */
export class AccessStore {
  constructor(private readonly db: Db) {}

  /** False when the key already had it. */
  grant(app: string, keyName: string): boolean {
    return (
      this.db.prepare('INSERT OR IGNORE INTO app_access (app, key_name) VALUES (?, ?)').run(app, keyName).changes === 1
    );
  }

  /** False when the key did not have it. */
  revoke(app: string, keyName: string): boolean {
    return this.db.prepare('DELETE FROM app_access WHERE app = ? AND key_name = ?').run(app, keyName).changes === 1;
  }

  allows(app: string, keyName: string): boolean {
    return this.db.prepare('SELECT 1 FROM app_access WHERE app = ? AND key_name = ?').get(app, keyName) !== undefined;
  }

  keysOf(app: string): string[] {
    return (
      this.db.prepare('SELECT key_name FROM app_access WHERE app = ? ORDER BY key_name').all(app) as {
        key_name: string;
      }[]
    ).map((r) => r.key_name);
  }
}
