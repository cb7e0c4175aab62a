import type { Db } from './db.js';

export interface TokenRecord {
  /** Public, short: names the token in lists and in the token itself. */
  id: string;
  name: string;
  /** The SSH key it acts as, or `root` for one made on the host. */
  keyName: string;
  /** SHA-256 of the whole token, hex. */
  hash: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  /** `full`: acts as its key; `scrape`: reads /metrics and nothing else. */
  scope: TokenScope;
  /** The token that made it (from a dashboard session), which it never outlives; null: made by a key. */
  parentId: string | null;
}

export type TokenScope = 'full' | 'scrape';

interface TokenRow {
  id: string;
  name: string;
  key_name: string;
  hash: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  scope: string;
  parent_id: string | null;
}

const toToken = (row: TokenRow): TokenRecord => ({
  id: row.id,
  name: row.name,
  keyName: row.key_name,
  hash: row.hash,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
  scope: row.scope === 'scrape' ? 'scrape' : 'full',
  parentId: row.parent_id,
});

/** API tokens by their public id; the secret part is never stored. */
export class TokenStore {
  constructor(private readonly db: Db) {}

  /** False when the key already has a token of that name. */
  add(token: Omit<TokenRecord, 'lastUsedAt'>): boolean {
    const inserted = this.db
      .prepare(
        'INSERT OR IGNORE INTO api_tokens (id, name, key_name, hash, created_at, expires_at, scope, parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        token.id,
        token.name,
        token.keyName,
        token.hash,
        token.createdAt,
        token.expiresAt,
        token.scope,
        token.parentId,
      );
    return inserted.changes === 1;
  }

  byId(id: string): TokenRecord | undefined {
    const row = this.db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(id) as TokenRow | undefined;
    return row && toToken(row);
  }

  /** Every token, or only those of one key. */
  list(keyName?: string): TokenRecord[] {
    const rows =
      keyName === undefined
        ? this.db.prepare('SELECT * FROM api_tokens ORDER BY key_name, name').all()
        : this.db.prepare('SELECT * FROM api_tokens WHERE key_name = ? ORDER BY name').all(keyName);
    return (rows as TokenRow[]).map(toToken);
  }

  /** Removes the token and every token made with it (and with those, down the line). */
  remove(id: string): boolean {
    const removed = this.db
      .prepare(
        `WITH RECURSIVE bound(id) AS (SELECT ? UNION SELECT t.id FROM api_tokens t JOIN bound ON t.parent_id = bound.id)
         DELETE FROM api_tokens WHERE id IN (SELECT id FROM bound)`,
      )
      .run(id);
    return removed.changes >= 1;
  }

  touch(id: string, at: number): void {
    this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(at, id);
  }
}
