import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { listCommands, runCommand, type CommandContext } from '../../src/commands/index.js';
import type { ProcessIo } from '../../src/model/terminal.js';
import type { Platform } from '../../src/platform.js';
import type { ServiceRuntime, ServiceSpec } from '../../src/runtime/services.js';
import { serviceHost, serviceUrl, SERVICE_KINDS } from '../../src/services/index.js';
import { sqlString } from '../../src/services/kinds.js';
import type { ServiceRecord } from '../../src/state/index.js';
import { FakeScheduler, MemoryLocks, unitPlatform } from '../support/fakes.js';

const mariadb = SERVICE_KINDS.mariadb;
const record = (name: string, password: string): ServiceRecord => ({
  kind: 'mariadb',
  name,
  password,
  exposedPort: null,
  createdAt: 0,
});

describe('the MariaDB kind', () => {
  test('its URL is Dokku mariadb plugin’s: mysql://, user mariadb, the service’s database, port 3306', () => {
    const service = record('shop-db', 'c0ffee');
    expect(serviceHost(mariadb, 'shop-db')).toBe('mariadb-shop-db');
    expect(serviceUrl(mariadb, service)).toBe('mysql://mariadb:c0ffee@mariadb-shop-db:3306/shop-db');
    expect(mariadb.envVar).toBe('DATABASE_URL');
  });

  test('its commands run as the container’s mysql user on the service’s database, and no password is in an argument', () => {
    const service = record('db', 'secret0password1');
    const commands = {
      connect: mariadb.connect(service),
      ready: mariadb.ready!(service),
      exportCmd: mariadb.exportCmd!(service),
      importCmd: mariadb.importCmd!(service),
      setPasswordCmd: mariadb.setPasswordCmd!(service),
    };
    for (const command of Object.values(commands)) {
      expect(command.user).toBe('mysql');
      expect(command.cmd.join(' ')).not.toContain('secret0password1');
    }
    expect(commands.connect.cmd).toEqual(['mariadb', 'db']);
    expect(commands.exportCmd.cmd).toEqual([
      'mariadb-dump',
      '--single-transaction',
      '--routines',
      '--triggers',
      '--hex-blob',
      'db',
    ]);
    expect(commands.importCmd.cmd).toEqual(['mariadb', '--sandbox', '--binary-mode', 'db']);
    expect(commands.setPasswordCmd.input).toBe("ALTER USER 'mariadb'@'%' IDENTIFIED BY 'secret0password1';\n");
  });

  test('a SQL string literal holds quotes and backslashes as they are', () => {
    expect(sqlString("it's")).toBe("'it\\'s'");
    expect(sqlString('a\\b')).toBe("'a\\\\b'");
    expect(sqlString("\\'; DROP USER x; --")).toBe("'\\\\\\'; DROP USER x; --'");
  });
});

describe('the mariadb and mysql namespaces', () => {
  const names = (namespace: string) =>
    listCommands()
      .filter((c) => c.name.startsWith(`${namespace}:`))
      .map((c) => c.name.slice(namespace.length + 1))
      .sort();

  test('both have every subcommand Postgres has, the backup ones included, but its point-in-time recovery', () => {
    const postgres = names('postgres').filter((name) => !['fork', 'backup-set-retention'].includes(name));
    expect(names('mariadb')).toEqual(postgres);
    expect(names('mysql')).toEqual(postgres);
    expect(names('mariadb')).toEqual(expect.arrayContaining(['backup', 'backup-auth', 'backup-restore', 'export']));
  });
});

/** The engine side of services, in memory: every service is running; commands are recorded with what they read. */
class FakeServiceRuntime implements ServiceRuntime {
  attached: ServiceSpec[] = [];
  execs: { cmd: string[]; input: string }[] = [];
  async start() {}
  async state() {
    return 'running';
  }
  async restart() {}
  async attach(spec: ServiceSpec) {
    this.attached.push(spec);
  }
  async remove() {}
  async forget() {}
  async exec(_kind: string, _name: string, command: { cmd: string[] }, io: ProcessIo) {
    let input = '';
    for await (const chunk of io.stdin ?? []) input += String(chunk);
    this.execs.push({ cmd: command.cmd, input });
    return 0;
  }
  async logs() {
    return [];
  }
}

describe('links through either namespace', () => {
  let platform: Platform;
  let dispose: () => void;
  let services: FakeServiceRuntime;
  const out: string[] = [];
  const run = (words: string[]) => {
    const ctx = {
      platform,
      caller: { name: 'admin', isAdmin: true },
      out: { out: (line: string) => void out.push(line), err: (line: string) => void out.push(line) },
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      local: true,
      signal: new AbortController().signal,
    } satisfies Omit<CommandContext, 'lifecycle'>;
    return runCommand(ctx, words);
  };

  beforeEach(() => {
    services = new FakeServiceRuntime();
    ({ platform, dispose } = unitPlatform({ schedulers: [new FakeScheduler()], services, locks: new MemoryLocks() }));
    platform.state.apps.create('shop');
    platform.state.services.create('mariadb', 'main', 'first0password');
    platform.state.services.create('mariadb', 'extra', 'other0password');
    out.length = 0;
  });
  afterEach(() => dispose());

  test('a link sets DATABASE_URL, a second one DOKKU_MARIADB_<NAME>_URL, and the service joins the app’s network', async () => {
    expect(await run(['mysql:link', 'main', 'shop']), out.join('\n')).toBe(0);
    expect(await run(['mariadb:link', 'extra', 'shop']), out.join('\n')).toBe(0);
    expect(platform.state.config.get('shop')).toEqual({
      DATABASE_URL: 'mysql://mariadb:first0password@mariadb-main:3306/main',
      DOKKU_MARIADB_EXTRA_URL: 'mysql://mariadb:other0password@mariadb-extra:3306/extra',
    });
    expect(services.attached.map((s) => [s.host, s.appNetworks])).toEqual([
      ['mariadb-main', ['net.shop']],
      ['mariadb-extra', ['net.shop']],
    ]);
    expect(out).toContain('       DATABASE_URL:  (the main URL; mysql:info main --dsn shows it)');
  });

  test('an unlink gives the service a new password through ALTER USER on stdin, and the apps still linked its URL', async () => {
    platform.state.apps.create('other');
    await run(['mariadb:link', 'main', 'shop']);
    await run(['mariadb:link', 'main', 'other']);
    expect(await run(['mysql:unlink', 'main', 'other']), out.join('\n')).toBe(0);
    const { password } = platform.state.services.get('mariadb', 'main')!;
    expect(password).toMatch(/^[0-9a-f]{48}$/);
    expect(services.execs).toEqual([
      { cmd: ['mariadb'], input: `ALTER USER 'mariadb'@'%' IDENTIFIED BY '${password}';\n` },
    ]);
    expect(platform.state.config.get('shop').DATABASE_URL).toBe(`mysql://mariadb:${password}@mariadb-main:3306/main`);
    expect(platform.state.config.get('other')).toEqual({});
  });

  test('bad and unknown service names are refused with the kind’s title', async () => {
    expect(await run(['mysql:link', 'Bad_Name', 'shop'])).toBe(1);
    expect(out.join('\n')).toContain('Service names are lowercase letters, digits and single hyphens');
    expect(await run(['mariadb:info', 'nope'])).toBe(1);
    expect(out.join('\n')).toContain('MariaDB service nope does not exist');
  });
});
