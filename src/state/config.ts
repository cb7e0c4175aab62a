import type { Db } from './db.js';

export const GLOBAL_SCOPE = '--global';
export type Env = Record<string, string>;

/** Env config per scope (an app, or global); every write is one transaction. */
export class ConfigStore {
  constructor(private readonly db: Db) {}

  get(scope: string): Env {
    const rows = this.db.prepare('SELECT key, value FROM config WHERE scope = ? ORDER BY key').all(scope) as {
      key: string;
      value: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  set(scope: string, values: Env): void {
    const upsert = this.db.prepare(
      'INSERT INTO config (scope, key, value) VALUES (?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value',
    );
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(values)) upsert.run(scope, key, value);
    })();
  }

  /** Returns the keys that were set (and are now gone). */
  unset(scope: string, keys: string[]): string[] {
    const remove = this.db.prepare('DELETE FROM config WHERE scope = ? AND key = ?');
    return this.db.transaction(() => keys.filter((key) => remove.run(scope, key).changes > 0))();
  }

  replace(scope: string, values: Env): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM config WHERE scope = ?').run(scope);
      this.set(scope, values);
    })();
  }
}
