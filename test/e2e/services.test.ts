import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { ServiceJson } from '../../src/model/api.js';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pushOrThrow } from '../support/pushes.js';
import { run, SlipwayUnderTest } from '../support/slipway.js';

const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'dbapp';
const page = (path: string) => slipway.get(slipway.appHost(app), path);

/** Runs a command over SSH with bytes in and out (dumps are binary). */
function sshBytes(command: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const child = spawn('ssh', [...slipway.sshArgs(slipway.admin), 'git@127.0.0.1', ...command]);
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code: number) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${command.join(' ')} exited ${code}`)),
    );
    child.stdin.end(input);
  });
}

beforeAll(async () => {
  await slipway.start();
  await pushOrThrow(slipway, await slipway.appRepo('db-app', app));
});
afterAll(() => slipway.destroy());

describe('postgres', () => {
  test('create, then link: the app gets DATABASE_URL without downtime and can write and read rows', async () => {
    const created = await slipway.ssh(['postgres:create', 'db']);
    expect(created.code, created.output).toBe(0);
    expect(created.stdout).toContain('=====> Postgres container created: db');
    expect((await slipway.ssh(['postgres:create', 'db'])).stderr).toContain('Postgres service db already exists');

    const linked = await slipway.ssh(['postgres:link', 'db', app]);
    expect(linked.code, linked.output).toBe(0);
    expect(linked.stdout).toContain('-----> Setting config vars');
    expect(linked.stdout).toContain(`-----> Restarting app ${app}`);
    expect(linked.stdout).toContain('=====> Application deployed:');
    const dsn = (await slipway.ssh(['postgres:info', 'db', '--dsn'])).stdout.trim();
    expect(dsn).toMatch(/^postgres:\/\/postgres:[0-9a-f]{48}@postgres-db:5432\/db$/);
    // the password is shown only by the command meant to show it
    expect(linked.output).not.toContain(dsn.split('@')[0]!.split(':')[2]!);
    expect((await page('/env/DATABASE_URL')).body).toBe(dsn);

    expect((await page('/write/first')).body).toBe('written\n');
    expect((await page('/write/second')).body).toBe('written\n');
    expect((await page('/read')).body).toBe('first,second\n');
    expect((await slipway.ssh(['postgres:linked', 'db', app])).code).toBe(0);
    expect((await slipway.ssh(['postgres:link', 'db', app])).stderr).toContain('Already linked as DATABASE_URL');
  });

  test('the data survives a redeploy of the app and a restart of the service', async () => {
    expect((await slipway.ssh(['ps:restart', app])).code).toBe(0);
    expect((await page('/read')).body).toBe('first,second\n');
    const restarted = await slipway.ssh(['postgres:restart', 'db']);
    expect(restarted.code, restarted.output).toBe(0);
    expect((await page('/read')).body).toBe('first,second\n');
  });

  test('export and import round-trip the data into another service', async () => {
    const dump = await sshBytes(['postgres:export', 'db']);
    expect(dump.subarray(0, 5).toString()).toBe('PGDMP'); // pg_dump's custom format

    expect((await slipway.ssh(['postgres:create', 'copy'])).code).toBe(0);
    await sshBytes(['postgres:import', 'copy'], dump);
    const rows = await slipway.ssh(['postgres:connect', 'copy'], {
      input: "SELECT string_agg(body, ',' ORDER BY body) FROM notes;\n",
    });
    expect(rows.code, rows.output).toBe(0);
    expect(rows.stdout).toContain('first,second');
  });

  test('connect under ssh -t is an interactive psql with its prompt', { timeout: 30_000 }, async () => {
    const psql = await run(
      'ssh',
      ['-tt', ...slipway.sshArgs(slipway.admin), 'git@127.0.0.1', 'postgres:connect', 'db'],
      { input: 'SELECT 40+2 AS answer;\n\\q\n' },
    );
    expect(psql.code, psql.output).toBe(0);
    expect(psql.stdout).toMatch(/=[#>] /); // the prompt: psql knows it has a terminal
    expect(psql.stdout).toMatch(/answer\s+-+\s+42/);
  });

  test('backups go into a named directory under Slipway’s root and keep the newest N', async () => {
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const backup = await slipway.ssh(['postgres:backup', 'db', 'nightly', '--keep', '2']);
      expect(backup.code, backup.output).toBe(0);
      made.push(/written to (\S+)/.exec(backup.stdout)![1]!);
    }
    const dir = path.join(slipway.dir, 'data', 'backups', 'nightly');
    expect(fs.readdirSync(dir).sort()).toEqual(made.slice(1).map((f) => path.basename(f)));
    expect(fs.readFileSync(made[2]!).subarray(0, 5).toString()).toBe('PGDMP');
    for (const bad of ['../etc', '/tmp', 'a/b', '.hidden']) {
      const refused = await slipway.ssh(['postgres:backup', 'db', bad]);
      expect(refused.code, bad).toBe(1);
      expect(refused.stderr).toContain('Name a backup directory');
    }
  });

  test('destroy is refused while linked; unlink removes the variable and restarts the app', async () => {
    const refused = await slipway.ssh(['postgres:destroy', 'db', '--force']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Cannot delete linked service');

    const unlinked = await slipway.ssh(['postgres:unlink', 'db', app]);
    expect(unlinked.code, unlinked.output).toBe(0);
    expect(unlinked.stdout).toContain('-----> Unsetting DATABASE_URL');
    expect((await page('/env/DATABASE_URL')).status).toBe(404);
    expect((await slipway.ssh(['postgres:linked', 'db', app])).code).toBe(1);

    const destroyed = await slipway.ssh(['postgres:destroy', 'db', '--force']);
    expect(destroyed.code, destroyed.output).toBe(0);
    expect((await slipway.sshJson<ServiceJson[]>(['postgres:list', '--format', 'json'])).map((s) => s.name)).toEqual([
      'copy',
    ]);
    expect((await slipway.ssh(['postgres:destroy', 'copy', '--force'])).code).toBe(0);
  });

  test('a second link to an app that already has DATABASE_URL gets its own variable', async () => {
    await slipway.ssh(['postgres:create', 'main']);
    await slipway.ssh(['postgres:create', 'analytics']);
    expect((await slipway.ssh(['postgres:link', 'main', app, '--no-restart'])).code).toBe(0);
    const second = await slipway.ssh(['postgres:link', 'analytics', app, '--no-restart']);
    expect(second.code, second.output).toBe(0);
    expect(second.stdout).toContain('DOKKU_POSTGRES_ANALYTICS_URL');
    const keys = (await slipway.ssh(['config:keys', app])).stdout;
    expect(keys).toContain('DATABASE_URL');
    expect(keys).toContain('DOKKU_POSTGRES_ANALYTICS_URL');
  });

  test('a service has no host port until exposed; expose and unexpose keep its data', async () => {
    const port = 20_000 + (process.pid % 20_000);
    const net = await import('node:net');
    const reachable = () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
    expect(await reachable()).toBe(false);
    const exposed = await slipway.ssh(['postgres:expose', 'main', String(port)]);
    expect(exposed.code, exposed.output).toBe(0);
    expect(await reachable()).toBe(true);
    expect((await slipway.ssh(['postgres:info', 'main', '--exposed-port'])).stdout.trim()).toBe(String(port));
    expect((await slipway.ssh(['postgres:expose', 'main', '80'])).stderr).toContain(
      'Give a host port from 1024 to 65535',
    );

    const unexposed = await slipway.ssh(['postgres:unexpose', 'main']);
    expect(unexposed.code, unexposed.output).toBe(0);
    expect(await reachable()).toBe(false);
    // the linked app (restarted: it was linked with --no-restart) still reaches it inside,
    // and the data stays through the container being made again
    expect((await slipway.ssh(['ps:restart', app])).code).toBe(0);
    expect((await page('/write/kept')).body).toBe('written\n');
    await slipway.ssh(['postgres:expose', 'main', String(port)]);
    await slipway.ssh(['postgres:unexpose', 'main']);
    expect((await page('/read')).body).toBe('kept\n');
  });

  test('destroying an app unlinks it but keeps the service and its data', async () => {
    const other = await slipway.appRepo('db-app', 'shortlived');
    expect((await slipway.push(other)).code).toBe(0);
    expect((await slipway.ssh(['postgres:link', 'main', 'shortlived'])).code).toBe(0);
    expect((await slipway.ssh(['apps:destroy', 'shortlived', '--force'])).code).toBe(0);
    const info = await slipway.ssh(['postgres:info', 'main', '--links']);
    expect(info.stdout).not.toContain('shortlived');
    expect((await slipway.ssh(['postgres:info', 'main', '--status'])).stdout.trim()).toBe('running');
  });

  test('unlinking one app gives the service a new password: the old one opens nothing, the app still linked restarts with the new one', async () => {
    expect((await slipway.push(await slipway.appRepo('db-app', 'leaving'))).code).toBe(0);
    expect((await slipway.ssh(['postgres:link', 'main', 'leaving'])).code).toBe(0);
    const before = (await slipway.ssh(['postgres:info', 'main', '--dsn'])).stdout.trim();
    const unlinked = await slipway.ssh(['postgres:unlink', 'main', 'leaving']);
    expect(unlinked.code, unlinked.output).toBe(0);
    expect(unlinked.stdout).toContain('-----> Changing the password of main');
    expect(unlinked.stdout).toContain(`-----> Restarting app ${app}`);
    const after = (await slipway.ssh(['postgres:info', 'main', '--dsn'])).stdout.trim();
    expect(after).not.toBe(before);
    expect((await page('/env/DATABASE_URL')).body).toBe(after);
    expect((await page('/read')).body).toBe('kept\n');
    // `run` hands its words to a shell, as Heroku's does: the query is quoted inside
    const withOld = await slipway.ssh(['run', app, `'psql ${before} -Atc "select 1"'`]);
    expect(withOld.code).not.toBe(0);
    expect(withOld.output).toContain('password authentication failed');
    const withNew = await slipway.ssh(['run', app, `'psql ${after} -Atc "select 1"'`]);
    expect(withNew.stdout.trim(), withNew.output).toBe('1');
  });

  test.each([
    [['postgres:create', 'Bad_Name'], 'Service names are lowercase'],
    [['postgres:create', '../etc'], 'Service names are lowercase'],
    [['postgres:link', 'nope', app], 'Postgres service nope does not exist'],
    [['postgres:link', 'main', 'no-such-app'], 'App no-such-app does not exist'],
    [['postgres:info', 'main', '--dsn', '--status'], 'at most one of'],
  ])('%j is refused', async (command, message) => {
    const result = await slipway.ssh(command);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

describe('redis', () => {
  test('a linked counter keeps counting across app and service restarts', async () => {
    expect((await slipway.ssh(['redis:create', 'cache'])).code).toBe(0);
    const linked = await slipway.ssh(['redis:link', 'cache', app]);
    expect(linked.code, linked.output).toBe(0);
    expect((await page('/env/REDIS_URL')).body).toMatch(/^redis:\/\/:[0-9a-f]{48}@redis-cache:6379$/);
    expect((await page('/incr')).body).toBe('1\n');
    expect((await page('/incr')).body).toBe('2\n');

    expect((await slipway.ssh(['ps:restart', app])).code).toBe(0);
    expect((await slipway.ssh(['redis:restart', 'cache'])).code).toBe(0);
    expect((await page('/incr')).body).toBe('3\n');

    const cli = await slipway.ssh(['redis:connect', 'cache'], { input: 'GET counter\n' });
    expect(cli.stdout.trim()).toBe('3');

    // export every key (binary-safe, with TTLs) and import into another Redis
    await slipway.ssh(['redis:connect', 'cache'], {
      input: 'SET binary "a\\x00b\\xffc"\nSET temp x EX 1000\nRPUSH list one two\n',
    });
    const dump = await sshBytes(['redis:export', 'cache']);
    expect((await slipway.ssh(['redis:create', 'copy'])).code).toBe(0);
    const imported = await sshBytes(['redis:import', 'copy'], dump);
    expect(imported.toString()).toContain('errors: 0, replies: 4');
    const copied = await slipway.ssh(['redis:connect', 'copy'], {
      input: 'GET counter\nSTRLEN binary\nLRANGE list 0 -1\nTTL temp\n',
    });
    expect(copied.stdout.split('\n').slice(0, 4)).toEqual(['3', '5', 'one', 'two']);
    expect(Number(copied.stdout.split('\n')[4])).toBeGreaterThan(900);
    expect((await slipway.ssh(['redis:destroy', 'copy', '--force'])).code).toBe(0);

    // an unlink elsewhere: a new password, the data kept, the linked app counting on
    expect((await slipway.ssh(['redis:link', 'cache', 'leaving', '--no-restart'])).code).toBe(0);
    const before = (await page('/env/REDIS_URL')).body;
    expect((await slipway.ssh(['redis:unlink', 'cache', 'leaving'])).code).toBe(0);
    expect((await page('/env/REDIS_URL')).body).not.toBe(before);
    expect((await page('/incr')).body).toBe('4\n');
    const destroy = await slipway.ssh(['redis:destroy', 'cache', '--force']);
    expect(destroy.stderr).toContain('Cannot delete linked service');
  });
});
