import type { Db } from './db.js';

export interface ServiceRecord {
  kind: string;
  name: string;
  password: string;
  /** The host port it is published on, when exposed. */
  exposedPort: number | null;
  createdAt: number;
}

export interface LinkRecord {
  kind: string;
  name: string;
  app: string;
  envVar: string;
}

export class ServiceStore {
  constructor(private readonly db: Db) {}

  get(kind: string, name: string): ServiceRecord | undefined {
    const row = this.db.prepare('SELECT * FROM services WHERE kind = ? AND name = ?').get(kind, name) as
      { kind: string; name: string; password: string; exposed_port: number | null; created_at: number } | undefined;
    return (
      row && {
        kind: row.kind,
        name: row.name,
        password: row.password,
        exposedPort: row.exposed_port,
        createdAt: row.created_at,
      }
    );
  }

  list(kind: string): ServiceRecord[] {
    const rows = this.db.prepare('SELECT name FROM services WHERE kind = ? ORDER BY name').all(kind) as {
      name: string;
    }[];
    return rows.map((r) => this.get(kind, r.name)!);
  }

  /** False when the name is taken. */
  create(kind: string, name: string, password: string): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO services (kind, name, password, created_at) VALUES (?, ?, ?, ?)')
        .run(kind, name, password, Date.now()).changes === 1
    );
  }

  setExposedPort(kind: string, name: string, port: number | null): void {
    this.db.prepare('UPDATE services SET exposed_port = ? WHERE kind = ? AND name = ?').run(port, kind, name);
  }

  setPassword(kind: string, name: string, password: string): void {
    this.db.prepare('UPDATE services SET password = ? WHERE kind = ? AND name = ?').run(password, kind, name);
  }

  delete(kind: string, name: string): void {
    this.db.prepare('DELETE FROM services WHERE kind = ? AND name = ?').run(kind, name);
  }

  links(kind: string, name: string): LinkRecord[] {
    return linkRecords(
      this.db.prepare('SELECT * FROM service_links WHERE kind = ? AND name = ? ORDER BY app').all(kind, name),
    );
  }

  /** Every service an app is linked to now. */
  linksOf(app: string): LinkRecord[] {
    return linkRecords(this.db.prepare('SELECT * FROM service_links WHERE app = ? ORDER BY kind, name').all(app));
  }

  link(link: LinkRecord): void {
    this.db
      .prepare('INSERT INTO service_links (kind, name, app, env_var) VALUES (?, ?, ?, ?)')
      .run(link.kind, link.name, link.app, link.envVar);
  }

  unlink(kind: string, name: string, app: string): void {
    this.db.prepare('DELETE FROM service_links WHERE kind = ? AND name = ? AND app = ?').run(kind, name, app);
  }
}

function linkRecords(rows: unknown[]): LinkRecord[] {
  return (rows as { kind: string; name: string; app: string; env_var: string }[]).map((r) => ({
    kind: r.kind,
    name: r.name,
    app: r.app,
    envVar: r.env_var,
  }));
}
