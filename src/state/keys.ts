import type { Db } from './db.js';

export interface SshKeyRecord {
  name: string;
  fingerprint: string;
  publicKey: string;
  isAdmin: boolean;
  createdAt: number;
}

interface KeyRow {
  name: string;
  fingerprint: string;
  public_key: string;
  is_admin: number;
  created_at: number;
}

const toKey = (row: KeyRow): SshKeyRecord => ({
  name: row.name,
  fingerprint: row.fingerprint,
  publicKey: row.public_key,
  isAdmin: row.is_admin === 1,
  createdAt: row.created_at,
});

export class KeyStore {
  constructor(private readonly db: Db) {}

  list(): SshKeyRecord[] {
    return (this.db.prepare('SELECT * FROM ssh_keys ORDER BY created_at, name').all() as KeyRow[]).map(toKey);
  }

  byFingerprint(fingerprint: string): SshKeyRecord | undefined {
    const row = this.db.prepare('SELECT * FROM ssh_keys WHERE fingerprint = ?').get(fingerprint) as KeyRow | undefined;
    return row && toKey(row);
  }

  byName(name: string): SshKeyRecord | undefined {
    const row = this.db.prepare('SELECT * FROM ssh_keys WHERE name = ?').get(name) as KeyRow | undefined;
    return row && toKey(row);
  }

  /** The first key ever added is an admin whatever is asked; the check and insert share one transaction. */
  add(key: Omit<SshKeyRecord, 'isAdmin' | 'createdAt'>, options: { admin: boolean }): SshKeyRecord {
    return this.db.transaction(() => {
      const isAdmin =
        options.admin || (this.db.prepare('SELECT COUNT(*) AS n FROM ssh_keys').get() as { n: number }).n === 0;
      this.db
        .prepare('INSERT INTO ssh_keys (name, fingerprint, public_key, is_admin, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(key.name, key.fingerprint, key.publicKey, isAdmin ? 1 : 0, Date.now());
      return this.byName(key.name)!;
    })();
  }

  remove(name: string): void {
    this.db.prepare('DELETE FROM ssh_keys WHERE name = ?').run(name);
  }

  adminCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM ssh_keys WHERE is_admin = 1').get() as { n: number }).n;
  }
}
