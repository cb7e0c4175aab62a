import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** Each entry moves the schema one version forward; never edit a shipped one, append a new one. */
const MIGRATIONS: string[] = [
  `CREATE TABLE apps (
     name TEXT PRIMARY KEY,
     deploy_branch TEXT NOT NULL DEFAULT 'main',
     created_at INTEGER NOT NULL
   );
   CREATE TABLE ssh_keys (
     name TEXT PRIMARY KEY,
     fingerprint TEXT NOT NULL UNIQUE,
     public_key TEXT NOT NULL,
     is_admin INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE releases (
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     version INTEGER NOT NULL,
     status TEXT NOT NULL,
     image TEXT NOT NULL,
     rev TEXT,
     description TEXT NOT NULL,
     created_by TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (app, version)
   );
   CREATE TABLE deploys (
     id TEXT PRIMARY KEY,
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     kind TEXT NOT NULL,
     rev TEXT,
     release INTEGER,
     status TEXT NOT NULL,
     error TEXT,
     requested_by TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     finished_at INTEGER,
     log TEXT
   );
   CREATE INDEX deploys_by_app ON deploys(app, created_at);`,
];

export function openDb(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
