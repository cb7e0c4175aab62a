import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import Database from 'better-sqlite3';
import tar from 'tar-stream';
import { afterEach, describe, expect, test } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { packState, unpackState } from '../../src/state-backup/archive.js';
import { entryProblem, isArchivedPath } from '../../src/state-backup/contents.js';
import { parseRestoreSource } from '../../src/state-backup/restore.js';
import { NewerSchemaError, openState } from '../../src/state/index.js';
import { unitPlatform } from '../support/fakes.js';

describe('what a state archive may hold', () => {
  test('the manifest, the database and files under the archived paths', () => {
    for (const [name, type] of [
      ['slipway-state.json', 'file'],
      ['slipway.db', 'file'],
      ['data/', 'directory'],
      ['data/ssh/', 'directory'],
      ['data/ssh/host_ed25519', 'file'],
      ['data/repos/shop.git/', 'directory'],
      ['data/repos/shop.git/refs/heads/feature/x', 'file'],
      ['data/certs/shop/server.key', 'file'],
      ['data/service-backups/postgres.db/settings.json', 'file'],
    ] as const)
      expect(entryProblem(name, type), name).toBeUndefined();
  });

  test('nothing outside them, no link or device, no way up', () => {
    for (const [name, type] of [
      ['../evil', 'file'],
      ['/etc/passwd', 'file'],
      ['data/../../evil', 'file'],
      ['data/repos/../../../evil', 'file'],
      ['data/nginx/nginx.conf', 'file'],
      ['data/ssh/authorized', 'file'],
      ['data/proxy-secret', 'file'],
      ['data/repos/shop.git/HEAD', 'symlink'],
      ['data/repos/shop.git/x', 'link'],
      ['data/repos/shop.git/fifo', 'fifo'],
      ['slipway.db', 'directory'],
      ['other.txt', 'file'],
    ] as const)
      expect(entryProblem(name, type), name).toBeDefined();
  });

  test("a service's credentials only in an encrypted archive; its record of backups always", () => {
    expect(isArchivedPath('service-backups/postgres.db/settings.json', false)).toBe(false);
    expect(isArchivedPath('service-backups/postgres.db/settings.json', true)).toBe(true);
    expect(isArchivedPath('service-backups/postgres.db/attempts.json', false)).toBe(true);
    expect(isArchivedPath('state-backups/settings.json', true)).toBe(false);
  });
});

describe('parseRestoreSource', () => {
  test('an object in a bucket, or a file from where the command runs', () => {
    expect(parseRestoreSource('s3://host-backups/slipway-state/x/1.tar.enc', '/')).toEqual({
      bucket: 'host-backups',
      key: 'slipway-state/x/1.tar.enc',
    });
    expect(parseRestoreSource('archive.tar', '/root')).toEqual({ file: '/root/archive.tar' });
    expect(parseRestoreSource('/srv/a.tar', '/root')).toEqual({ file: '/srv/a.tar' });
  });

  test('bad ones are refused', () => {
    for (const text of [undefined, '', 's3://Bad_Bucket/key', 's3://host-backups/../x', 's3:/host-backups/k', 's3://b'])
      expect(() => parseRestoreSource(text, '/'), String(text)).toThrow(UserError);
  });
});

describe('replacing the database', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const tempDir = () => {
    const dir = fs.mkdtempSync('/tmp/slipway-unit-db-');
    dirs.push(dir);
    return dir;
  };

  test('a snapshot taken while in use replaces another open database, whose connection sees it at once', async () => {
    const dir = tempDir();
    const old = openState(path.join(dir, 'old.db'));
    const fresh = openState(path.join(dir, 'fresh.db'));
    old.apps.create('shop');
    fresh.apps.create('placeholder');
    await old.snapshotTo(path.join(dir, 'snapshot.db'));
    old.apps.create('after-the-snapshot');
    await fresh.replaceWith(path.join(dir, 'snapshot.db'));
    expect(fresh.apps.list().map((a) => a.name)).toEqual(['shop']);
    old.close();
    fresh.close();
  });

  test('a snapshot from a newer Slipway is refused and nothing changes', async () => {
    const dir = tempDir();
    const fresh = openState(path.join(dir, 'fresh.db'));
    fresh.apps.create('kept');
    const newer = new Database(path.join(dir, 'newer.db'));
    newer.pragma('user_version = 9999');
    newer.close();
    await expect(fresh.replaceWith(path.join(dir, 'newer.db'))).rejects.toThrow(NewerSchemaError);
    expect(fresh.apps.list().map((a) => a.name)).toEqual(['kept']);
    fresh.close();
  });
});

describe('packing and unpacking', () => {
  test('what is packed unpacks whole: the database with its rows, the archived files, and no credentials unless asked', async () => {
    const { platform, dispose } = unitPlatform({});
    const { dataDir } = platform.settings;
    try {
      platform.state.apps.create('shop');
      const write = (relative: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dataDir, relative)), { recursive: true });
        fs.writeFileSync(path.join(dataDir, relative), text);
      };
      write('repos/shop.git/HEAD', 'ref: refs/heads/main\n');
      write('ssh/host_ed25519', 'host key');
      write('service-backups/postgres.db/settings.json', '{"passphrase":"secret"}');
      write('service-backups/postgres.db/attempts.json', '[]');
      write('nginx/nginx.conf', 'not carried');
      const bytes: Buffer[] = [];
      const sink = new PassThrough().on('data', (chunk: Buffer) => bytes.push(chunk));
      const base = { id: 'x', createdAt: '2026-12-06T00:00:00Z', instance: 'slipway' };
      await packState(platform, { ...base, serviceCredentials: false }, sink);

      const into = fs.mkdtempSync(path.join(dataDir, 'unpacked-'));
      const manifest = await unpackState(Readable.from([Buffer.concat(bytes)]), into);
      expect(manifest).toMatchObject({ ...base, apps: ['shop'], services: [], serviceCredentials: false });
      expect(fs.readFileSync(path.join(into, 'data/repos/shop.git/HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
      expect(fs.readFileSync(path.join(into, 'data/ssh/host_ed25519'), 'utf8')).toBe('host key');
      expect(fs.existsSync(path.join(into, 'data/service-backups/postgres.db/attempts.json'))).toBe(true);
      expect(fs.existsSync(path.join(into, 'data/service-backups/postgres.db/settings.json'))).toBe(false);
      expect(fs.existsSync(path.join(into, 'data/nginx'))).toBe(false);
      const restored = openState(path.join(into, 'slipway.db'));
      expect(restored.apps.list().map((a) => a.name)).toEqual(['shop']);
      restored.close();
    } finally {
      dispose();
    }
  });

  test('an archive with an entry outside the state is refused, and nothing is written outside the directory', async () => {
    const { platform, dispose } = unitPlatform({});
    try {
      const pack = tar.pack();
      pack.entry({ name: 'slipway-state.json' }, '{}');
      pack.entry({ name: '../escaped' }, 'x');
      pack.finalize();
      const into = fs.mkdtempSync(path.join(platform.settings.dataDir, 'unpacked-'));
      await expect(unpackState(pack as unknown as Readable, into)).rejects.toThrow(
        /It is not a Slipway state archive: "..\/escaped" is not part of Slipway's state/,
      );
      expect(fs.existsSync(path.join(platform.settings.dataDir, 'escaped'))).toBe(false);
      await expect(unpackState(Readable.from([Buffer.from('not a tar at all')]), into)).rejects.toThrow();
    } finally {
      dispose();
    }
  });
});
