import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { ServiceJson } from '../../src/model/api.js';
import { parseJson } from '../support/json.js';
import { S3_KEY, startS3 } from '../support/s3.js';
import { pushOrThrow } from '../support/pushes.js';
import { run, SlipwayUnderTest } from '../support/slipway.js';

/**
 * MariaDB services (Dokku's mariadb plugin, and its mysql plugin's names for the same
 * services), linked to a real app that migrates in its release phase and reads and writes
 * rows through DATABASE_URL; dumps over SSH, backups into a real S3 server (s3rver).
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
let s3: Awaited<ReturnType<typeof startS3>>;
const BUCKET = 'mariadb-backups';
const app = 'mdbapp';
const page = (path: string) => slipway.get(slipway.appHost(app), path);

/** What the service's own client prints for a statement (tab-separated, no headers). */
async function query(service: string, statement: string, namespace = 'mariadb'): Promise<string> {
  const result = await slipway.ssh([`${namespace}:connect`, service], { input: `${statement}\n` });
  expect(result.code, result.output).toBe(0);
  return result.stdout.trim();
}
const notes = (service: string) =>
  query(service, "SELECT coalesce(group_concat(body ORDER BY body), '') AS notes FROM notes;");

/** Runs a command over SSH with bytes in and out (a dump is streamed, not a string). */
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

let created: Awaited<ReturnType<typeof slipway.ssh>>;
beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  await slipway.start();
  // first: it builds the service image (where stack:build has not), which the app builds on
  created = await slipway.ssh(['mariadb:create', 'db']);
  const pushed = await pushOrThrow(slipway, await slipway.appRepo('mariadb-app', app));
  if (!pushed.output.includes('no DATABASE_URL: nothing to migrate')) throw new Error(pushed.output);
}, 300_000);
afterAll(async () => {
  await slipway.destroy();
  await s3.stop();
});

describe('mariadb', () => {
  test('create, then link: the release phase migrates the linked database, and the app writes and reads rows', async () => {
    expect(created.code, created.output).toBe(0);
    expect(created.stdout).toContain('=====> MariaDB container created: db');
    expect((await slipway.ssh(['mysql:create', 'db'])).stderr).toContain('MariaDB service db already exists');

    const linked = await slipway.ssh(['mariadb:link', 'db', app]);
    expect(linked.code, linked.output).toBe(0);
    expect(linked.stdout).toContain('-----> Setting config vars');
    expect(linked.stdout).toContain('migrated: 001_create_notes');
    expect(linked.stdout).toContain('=====> Application deployed:');
    const dsn = (await slipway.ssh(['mariadb:info', 'db', '--dsn'])).stdout.trim();
    expect(dsn).toMatch(/^mysql:\/\/mariadb:[0-9a-f]{48}@mariadb-db:3306\/db$/);
    expect(linked.output).not.toContain(dsn.split('@')[0]!.split(':')[2]!);
    expect((await page('/env/DATABASE_URL')).body).toBe(dsn);

    expect((await page('/migrations')).body).toBe('001_create_notes\n');
    expect((await page('/write/first')).body).toBe('written\n');
    expect((await page('/write/second')).body).toBe('written\n');
    expect((await page('/read')).body).toBe('first,second\n');
    expect((await slipway.ssh(['mariadb:linked', 'db', app])).code).toBe(0);
    expect((await slipway.ssh(['mariadb:link', 'db', app])).stderr).toContain('Already linked as DATABASE_URL');
  });

  test('mysql: names the same services', async () => {
    expect((await slipway.ssh(['mysql:info', 'db', '--dsn'])).stdout.trim()).toBe(
      (await slipway.ssh(['mariadb:info', 'db', '--dsn'])).stdout.trim(),
    );
    const listed = await slipway.sshJson<ServiceJson[]>(['mysql:list', '--format', 'json']);
    expect(listed).toEqual([{ name: 'db', status: 'running', links: [app] }]);
    expect((await slipway.ssh(['mysql:linked', 'db', app])).code).toBe(0);
    expect(await query('db', 'SELECT count(*) FROM notes;', 'mysql')).toBe('count(*)\n2');
  });

  test('the HTTP API has MariaDB services beside the other kinds', async () => {
    const made = await slipway.ssh(['tokens:create', 'mariadb-api']);
    expect(made.code, made.output).toBe(0);
    const token = made.stdout.trim().split('\n').at(-1)!;
    const get = async (urlPath: string) => {
      const response = await fetch(`http://127.0.0.1:${slipway.apiPort}/api/v1${urlPath}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: response.status, json: parseJson<unknown>(await response.text()) };
    };
    const all = await get('/services');
    expect(all.status).toBe(200);
    expect(all.json).toEqual({
      items: [{ type: 'mariadb', name: 'db', status: 'running', links: [app] }],
      next_cursor: null,
    });
    expect(await get('/services/mariadb/db')).toMatchObject({ status: 200, json: { name: 'db', status: 'running' } });
  });

  test('the data survives a restart of the app and of the service', async () => {
    expect((await slipway.ssh(['ps:restart', app])).code).toBe(0);
    const restarted = await slipway.ssh(['mariadb:restart', 'db']);
    expect(restarted.code, restarted.output).toBe(0);
    expect((await page('/read')).body).toBe('first,second\n');
  });

  test('export and import round-trip the data into another service', async () => {
    const dump = await sshBytes(['mariadb:export', 'db']);
    expect(dump.toString()).toContain('MariaDB dump');
    expect(dump.toString()).toContain("INSERT INTO `notes` VALUES\n('first'),\n('second');");

    expect((await slipway.ssh(['mysql:create', 'copy'])).code).toBe(0);
    await sshBytes(['mysql:import', 'copy'], dump);
    expect(await notes('copy')).toBe('notes\nfirst,second');

    // a dump is SQL only: the client runs no shell command and reads no file it names
    for (const command of ['\\! echo $((6*7))sh', 'source /etc/passwd']) {
      const refused = await slipway.ssh(['mariadb:import', 'copy'], { input: `${command}\n` });
      expect(refused.code, command).not.toBe(0);
      expect(refused.output).not.toContain('42sh');
      expect(refused.output).not.toContain('root:x:0:0');
    }
    expect((await slipway.ssh(['mariadb:destroy', 'copy', '--force'])).code).toBe(0);
  });

  test('connect under ssh -t is the interactive mariadb client with its prompt', { timeout: 30_000 }, async () => {
    const client = await run(
      'ssh',
      ['-tt', ...slipway.sshArgs(slipway.admin), 'git@127.0.0.1', 'mariadb:connect', 'db'],
      { input: 'SELECT 40+2 AS answer;\nexit\n' },
    );
    expect(client.code, client.output).toBe(0);
    expect(client.stdout).toContain('MariaDB [db]>');
    expect(client.stdout).toMatch(/\|\s+answer\s+\|[\s\S]*\|\s+42\s+\|/);
  });

  test('a backup goes to the bucket, encrypted, and restores after a destructive change', async () => {
    const auth = await slipway.ssh(['mariadb:backup-auth', 'db', S3_KEY, S3_KEY, 'us-east-1', 's3v4', s3.endpoint]);
    expect(auth.code, auth.output).toBe(0);
    expect((await slipway.ssh(['mysql:backup-set-encryption', 'db', 'a-long-passphrase'])).code).toBe(0);
    const backup = await slipway.ssh(['mariadb:backup', 'db', BUCKET]);
    expect(backup.code, backup.output).toBe(0);
    const id = /Backup (\S+) complete/.exec(backup.stdout)![1]!;
    const keys = await s3.keys(BUCKET);
    expect(keys).toEqual([`mariadb/db/${id}.dump.enc`, `mariadb/db/${id}.dump.enc.json`]);
    expect((await s3.object(BUCKET, keys[0]!)).includes('first')).toBe(false);
    const listed = await slipway.ssh(['mysql:backups', 'db']);
    expect(listed.stdout).toContain(id);

    await query('db', "DELETE FROM notes; INSERT INTO notes VALUES ('after');");
    expect((await page('/read')).body).toBe('after\n');
    const restored = await slipway.ssh(['mariadb:backup-restore', 'db', id, '--force']);
    expect(restored.code, restored.output).toBe(0);
    expect((await page('/read')).body).toBe('first,second\n');

    const copied = await slipway.ssh(['mysql:backup-restore', 'db', id, '--to', 'restored']);
    expect(copied.code, copied.output).toBe(0);
    expect(await notes('restored')).toBe('notes\nfirst,second');
    expect((await slipway.ssh(['mariadb:destroy', 'restored', '--force'])).code).toBe(0);
  });

  test('unlinking one app gives the service a new password: the old one opens nothing, the app still linked restarts with the new one', async () => {
    expect((await slipway.ssh(['apps:create', 'leaving'])).code).toBe(0);
    expect((await slipway.ssh(['mariadb:link', 'db', 'leaving', '--no-restart'])).code).toBe(0);
    const before = new URL((await slipway.ssh(['mariadb:info', 'db', '--dsn'])).stdout.trim());
    const unlinked = await slipway.ssh(['mariadb:unlink', 'db', 'leaving']);
    expect(unlinked.code, unlinked.output).toBe(0);
    expect(unlinked.stdout).toContain('-----> Changing the password of db');
    expect(unlinked.stdout).toContain(`-----> Restarting app ${app}`);
    const after = new URL((await slipway.ssh(['mariadb:info', 'db', '--dsn'])).stdout.trim());
    expect(after.password).not.toBe(before.password);
    expect((await page('/env/DATABASE_URL')).body).toBe(after.href);
    expect((await page('/read')).body).toBe('first,second\n');

    // `run` hands its words to a shell: the statement is quoted inside
    const login = (password: string) =>
      slipway.ssh(['run', app, `'mariadb -h mariadb-db -u mariadb -p${password} -N -e "SELECT 1" db'`]);
    const withOld = await login(before.password);
    expect(withOld.code).not.toBe(0);
    expect(withOld.output).toContain("Access denied for user 'mariadb'");
    const withNew = await login(after.password);
    expect(withNew.stdout.trim(), withNew.output).toBe('1');
  });

  test.each([
    [['mariadb:create', 'Bad_Name'], 'Service names are lowercase'],
    [['mysql:create', '../etc'], 'Service names are lowercase'],
    [['mariadb:create'], 'Please specify a name for the MariaDB service'],
    [['mariadb:link', 'nope', app], 'MariaDB service nope does not exist'],
    [['mysql:link', 'db', 'no-such-app'], 'App no-such-app does not exist'],
    [['mariadb:expose', 'db', '80'], 'Give a host port from 1024 to 65535'],
  ])('%j is refused', async (command, message) => {
    const result = await slipway.ssh(command);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  test('destroy is refused while linked; unlink removes the variable, then destroy removes the service', async () => {
    const refused = await slipway.ssh(['mariadb:destroy', 'db', '--force']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Cannot delete linked service');

    const unlinked = await slipway.ssh(['mysql:unlink', 'db', app]);
    expect(unlinked.code, unlinked.output).toBe(0);
    expect(unlinked.stdout).toContain('-----> Unsetting DATABASE_URL');
    expect((await page('/env/DATABASE_URL')).status).toBe(404);

    const destroyed = await slipway.ssh(['mariadb:destroy', 'db', '--force']);
    expect(destroyed.code, destroyed.output).toBe(0);
    expect(await slipway.sshJson<ServiceJson[]>(['mariadb:list', '--format', 'json'])).toEqual([]);
  });
});
