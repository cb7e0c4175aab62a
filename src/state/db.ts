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
  // Env config (scope is an app name or '--global', which no app can be named), release
  // snapshots (the app's config, and metadata from its source such as healthchecks), the
  // desired process formation, and small per-app settings.
  `CREATE TABLE config (
     scope TEXT NOT NULL,
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (scope, key)
   );
   ALTER TABLE releases ADD COLUMN kind TEXT NOT NULL DEFAULT 'deploy';
   ALTER TABLE releases ADD COLUMN config TEXT NOT NULL DEFAULT '{}';
   ALTER TABLE releases ADD COLUMN meta TEXT NOT NULL DEFAULT '{}';
   ALTER TABLE apps ADD COLUMN formation TEXT NOT NULL DEFAULT '{"web":1}';
   CREATE TABLE properties (
     app TEXT NOT NULL,
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (app, key)
   );`,
  // Database services and the apps they are linked to (a link goes with its app).
  `CREATE TABLE services (
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     password TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (kind, name)
   );
   CREATE TABLE service_links (
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     env_var TEXT NOT NULL,
     PRIMARY KEY (kind, name, app),
     FOREIGN KEY (kind, name) REFERENCES services(kind, name)
   );`,
  // A service published on a host port on request (`expose`); none by default.
  `ALTER TABLE services ADD COLUMN exposed_port INTEGER;`,
  // Which non-admin keys may push to and manage which apps (admins may do everything).
  `CREATE TABLE app_access (
     app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
     key_name TEXT NOT NULL REFERENCES ssh_keys(name) ON DELETE CASCADE,
     PRIMARY KEY (app, key_name)
   );`,
  // Per-app properties are named `<namespace>.<property>`, after the namespace that owns them.
  `UPDATE properties SET key = 'ps.restart-policy' WHERE key = 'restart-policy';
   UPDATE properties SET key = 'resource.limits' WHERE key = 'resources';
   UPDATE properties SET key = 'storage.mounts' WHERE key = 'storage';
   UPDATE properties SET key = 'apps.locked' WHERE key = 'deploy-locked';
   UPDATE properties SET key = 'proxy.routed' WHERE key = 'routes.web';`,
  // HTTP API tokens: only a hash is kept; each acts as the key that made it (or root on the
  // host) and goes with that key.
  `CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     key_name TEXT NOT NULL,
     hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER,
     last_used_at INTEGER,
     UNIQUE (key_name, name)
   );
   CREATE TRIGGER api_tokens_go_with_their_key AFTER DELETE ON ssh_keys
   BEGIN DELETE FROM api_tokens WHERE key_name = OLD.name; END;`,
  // When each phase of a deploy was reached (epoch ms by phase): where its time went.
  `ALTER TABLE deploys ADD COLUMN timings TEXT NOT NULL DEFAULT '{}';`,
  // What a token may do: 'full' (act as its key) or 'scrape' (read /metrics, nothing else).
  `ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'full';`,
  // Webhooks of an app (or global ones: app NULL), and their last delivery attempts. The
  // secret signs the bodies; `confined` hooks (a tenant's) may reach public https:// only.
  `CREATE TABLE webhooks (
     id TEXT PRIMARY KEY,
     app TEXT REFERENCES apps(name) ON DELETE CASCADE,
     url TEXT NOT NULL,
     events TEXT NOT NULL,
     format TEXT NOT NULL,
     secret TEXT NOT NULL,
     confined INTEGER NOT NULL,
     created_by TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE webhook_deliveries (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
     event_id TEXT NOT NULL,
     event_type TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     status INTEGER,
     error TEXT,
     latency_ms INTEGER NOT NULL,
     at INTEGER NOT NULL
   );
   CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries(webhook_id, id);`,
  // A token made with a token (from a dashboard session) is bound to it: it expires no later
  // and is revoked with it (TokenStore.remove takes every descendant), so it outlives nothing.
  `ALTER TABLE api_tokens ADD COLUMN parent_id TEXT;`,
];

export function openDb(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  // Each statement is compiled once: the stores prepare theirs at every call, and with a
  // thousand apps a restart asks for some app settings tens of thousands of times, where the
  // compile cost more than the query. No caller changes a statement's mode (pluck, raw) or
  // iterates one, so a statement is never in use when it is asked for again.
  const compiled = new Map<string, Database.Statement>();
  const compile = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    let statement = compiled.get(source);
    if (!statement) compiled.set(source, (statement = compile(source)));
    return statement;
  }) as Db['prepare'];
  return db;
}

/**
 * Puts a snapshot (a state:backup's copy) in place of the database in `file`, through
 * SQLite's online backup API: connections open on `file` see the snapshot's rows from their
 * next statement. The snapshot is brought to this schema first; one from a newer Slipway,
 * whose tables this one does not know, is refused before anything changes.
 */
export async function replaceDb(file: string, snapshot: string): Promise<void> {
  const source = new Database(snapshot);
  try {
    const version = source.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length)
      throw new NewerSchemaError(`its database has schema version ${version}, this Slipway knows ${MIGRATIONS.length}`);
    migrate(source);
    await source.backup(file);
  } finally {
    source.close();
  }
}

export class NewerSchemaError extends Error {}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
