import type { ServiceRecord } from '../state/index.js';

export interface ServiceCommand {
  user: string;
  cmd: string[];
  env?: Record<string, string>;
  /** What the command reads on its standard input. */
  input?: string;
}

/** What differs between database services; everything else is shared. */
export interface ServiceKind {
  kind: 'postgres' | 'redis' | 'mariadb';
  title: string;
  /** More namespaces whose commands manage this kind too (as Dokku's mysql plugin names MariaDB's). */
  aliases?: string[];
  /** The variable a link sets, unless the app already has it. */
  envVar: string;
  port: number;
  dataPath: string;
  /**
   * Where its archive volume is mounted, for kinds with point-in-time recovery (Postgres:
   * its WAL archive and base backups, see templates/services/postgres-pitr).
   */
  archivePath?: string;
  /** More files from templates/services the image needs. */
  imageFiles?: string[];
  url: (service: ServiceRecord, host: string) => string;
  /** Commands run in the service container (as `user`), for connect/export/import. */
  connect: (service: ServiceRecord) => ServiceCommand;
  /** Exits 0 once the service serves queries, not only accepts connections. */
  ready?: (service: ServiceRecord) => ServiceCommand;
  exportCmd?: (service: ServiceRecord) => ServiceCommand;
  importCmd?: (service: ServiceRecord) => ServiceCommand;
  /**
   * Makes the service's recorded password the one it accepts, for good. Without one, the
   * password is read from the container's environment at every start, so the container is
   * made again.
   */
  setPasswordCmd?: (service: ServiceRecord) => ServiceCommand;
}

export const SERVICE_KINDS: Record<ServiceKind['kind'], ServiceKind> = {
  postgres: {
    kind: 'postgres',
    title: 'Postgres',
    envVar: 'DATABASE_URL',
    port: 5432,
    dataPath: '/var/lib/postgresql/data',
    archivePath: '/var/lib/postgresql/archive',
    imageFiles: ['postgres-pitr'],
    url: (s, host) => `postgres://postgres:${s.password}@${host}:5432/${s.name}`,
    connect: (s) => ({ user: 'postgres', cmd: ['psql', '-d', s.name] }),
    ready: (s) => ({ user: 'postgres', cmd: ['pg_isready', '-q', '-d', s.name] }),
    // Dokku's format: a custom-format dump, restored without owners or grants.
    exportCmd: (s) => ({ user: 'postgres', cmd: ['pg_dump', '-Fc', '--no-acl', '--no-owner', '-d', s.name] }),
    importCmd: (s) => ({
      user: 'postgres',
      cmd: ['pg_restore', '--clean', '--if-exists', '--no-acl', '--no-owner', '-d', s.name],
    }),
    // The password travels in the environment, never in an argument or the statement log.
    setPasswordCmd: (s) => ({
      user: 'postgres',
      cmd: ['psql', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres'],
      env: { SLIPWAY_NEW_PASSWORD: s.password },
      input: "\\getenv password SLIPWAY_NEW_PASSWORD\nALTER ROLE postgres PASSWORD :'password';\n",
    }),
  },
  redis: {
    kind: 'redis',
    title: 'Redis',
    envVar: 'REDIS_URL',
    port: 6379,
    dataPath: '/data',
    imageFiles: ['redis-dump.js'],
    url: (s, host) => `redis://:${s.password}@${host}:6379`,
    connect: (s) => ({ user: 'redis', cmd: ['redis-cli'], env: { REDISCLI_AUTH: s.password } }),
    // Every key as a RESTORE command (RESP), which `redis-cli --pipe` replays.
    exportCmd: (s) => ({
      user: 'redis',
      cmd: ['node', '/usr/local/bin/redis-dump.js'],
      env: { REDISCLI_AUTH: s.password },
    }),
    importCmd: (s) => ({ user: 'redis', cmd: ['redis-cli', '--pipe'], env: { REDISCLI_AUTH: s.password } }),
  },
  // As Dokku's mariadb plugin: the user `mariadb`, a database named after the service, the
  // `mysql://` scheme. The container's `mysql` user administers it over the local socket.
  mariadb: {
    kind: 'mariadb',
    title: 'MariaDB',
    aliases: ['mysql'],
    envVar: 'DATABASE_URL',
    port: 3306,
    dataPath: '/var/lib/mysql',
    url: (s, host) => `mysql://mariadb:${s.password}@${host}:3306/${s.name}`,
    // No history file: what is typed may hold passwords, and the mysql user has no home.
    connect: (s) => ({ user: 'mysql', cmd: ['mariadb', s.name], env: { MYSQL_HISTFILE: '/dev/null' } }),
    ready: (s) => ({ user: 'mysql', cmd: ['mariadb', '-e', 'SELECT 1', s.name] }),
    // Plain SQL, consistent without locking (InnoDB), binary columns as hex.
    exportCmd: (s) => ({
      user: 'mysql',
      cmd: ['mariadb-dump', '--single-transaction', '--routines', '--triggers', '--hex-blob', s.name],
    }),
    // A dump is data, never shell commands or files for the client to run (--sandbox).
    importCmd: (s) => ({ user: 'mysql', cmd: ['mariadb', '--sandbox', '--binary-mode', s.name] }),
    // On stdin, so the password is in no argument; the image keeps no statement log.
    setPasswordCmd: (s) => ({
      user: 'mysql',
      cmd: ['mariadb'],
      input: `ALTER USER 'mariadb'@'%' IDENTIFIED BY ${sqlString(s.password)};\n`,
    }),
  },
};

/** A MariaDB string literal holding `text` exactly. */
export function sqlString(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}
