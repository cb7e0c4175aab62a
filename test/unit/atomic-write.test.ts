import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { renameDurably, writeAtomically } from '../../src/core/files.js';
import { backupSettingsIn } from '../../src/services/backup-settings.js';

// Config files, keys and certificates are replaced whole and durably: synced before the
// rename and the directory after, so a crash leaves the old file or the new one, complete.

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-atomic-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The fsync, rename and open calls in order, with the path each concerns. */
function recordSyscalls() {
  const calls: string[] = [];
  const opened = new Map<number, string>();
  const open = fs.openSync;
  vi.spyOn(fs, 'openSync').mockImplementation((file, ...rest) => {
    const fd = open(file, ...rest);
    opened.set(fd, String(file));
    return fd;
  });
  const fsync = fs.fsyncSync;
  vi.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
    calls.push(`fsync ${path.basename(opened.get(fd) ?? '?')}`);
    fsync(fd);
  });
  const rename = fs.renameSync;
  vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
    calls.push(`rename ${path.basename(String(from))} -> ${path.basename(String(to))}`);
    rename(from, to);
  });
  return calls;
}

test('the file is synced before it is renamed into place, and the directory after', () => {
  const file = path.join(dir, 'nginx.conf');
  fs.writeFileSync(file, 'old');
  const calls = recordSyscalls();
  writeAtomically(file, 'new', 0o600);
  const temp = `nginx.conf.${process.pid}.tmp`;
  expect(calls).toEqual([`fsync ${temp}`, `rename ${temp} -> nginx.conf`, `fsync ${path.basename(dir)}`]);
  expect(fs.readFileSync(file, 'utf8')).toBe('new');
  expect(fs.readdirSync(dir)).toEqual(['nginx.conf']);
});

test('a new file gets the mode asked for; the default is world-readable', () => {
  writeAtomically(path.join(dir, 'server.key'), 'secret', 0o600);
  writeAtomically(path.join(dir, 'app.conf'), 'server {}');
  expect(fs.statSync(path.join(dir, 'server.key')).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(dir, 'app.conf')).mode & 0o777).toBe(0o644 & ~process.umask());
});

test('a write that fails leaves the old file as it was and no temporary file behind', () => {
  const file = path.join(dir, 'backends.txt');
  fs.writeFileSync(file, 'old');
  vi.spyOn(fs, 'renameSync').mockImplementation(() => {
    throw new Error('EIO');
  });
  expect(() => writeAtomically(file, 'new')).toThrow('EIO');
  expect(fs.readFileSync(file, 'utf8')).toBe('old');
  expect(fs.readdirSync(dir)).toEqual(['backends.txt']);
});

test('a file another program wrote is put in place the same way', () => {
  const finished = path.join(dir, 'ca.crt.tmp');
  fs.writeFileSync(finished, 'PEM');
  const calls = recordSyscalls();
  renameDurably(finished, path.join(dir, 'ca.crt'));
  expect(calls).toEqual(['fsync ca.crt.tmp', 'rename ca.crt.tmp -> ca.crt', `fsync ${path.basename(dir)}`]);
  expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).toBe('PEM');
});

test('backup settings (the passphrase that opens the backups) are written the same way, readable by root only', () => {
  const settings = backupSettingsIn(path.join(dir, 'postgres.db'));
  const calls = recordSyscalls();
  settings.update({ passphrase: 'correct horse' });
  const temp = `settings.json.${process.pid}.tmp`;
  expect(calls).toEqual([`fsync ${temp}`, `rename ${temp} -> settings.json`, 'fsync postgres.db']);
  expect(settings.read()).toEqual({ passphrase: 'correct horse' });
  expect(fs.statSync(path.join(dir, 'postgres.db', 'settings.json')).mode & 0o777).toBe(0o600);
});
