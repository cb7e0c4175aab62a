import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A file's text, or undefined when there is no such file (any other error is thrown). */
export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Replaces a file's content whole and durably: a reader sees the old file or the new one,
 * never a part, and after a crash or power loss it is still one of the two, complete (the
 * data is synced before the rename, the directory after it). Every config file, key and
 * certificate Slipway writes goes through here.
 */
export function writeAtomically(file: string, content: string | Uint8Array, mode = 0o644): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, content, { mode });
    renameDurably(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Replaces a file's content whole, as writeAtomically, but without waiting for the disk: for
 * state written many times a second (a log drain's position) that must survive the process
 * dying, which the page cache does, not necessarily the machine losing power.
 */
export function replaceFile(file: string, content: string, mode = 0o600): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, content, { mode });
  fs.renameSync(temp, file);
}

/** Puts a finished file (one another program wrote, such as openssl) in place of `file`, as writeAtomically does. */
export function renameDurably(finished: string, file: string): void {
  fsyncPath(finished);
  fs.renameSync(finished, file);
  fsyncPath(path.dirname(file));
}

function fsyncPath(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes the file only if its content differs; true when it did. */
export function writeIfChanged(file: string, content: string, mode?: number): boolean {
  if (readIfExists(file) === content) return false;
  writeAtomically(file, content, mode);
  return true;
}

/** This host's first non-internal IPv4 address: where other hosts reach it by default. */
export function firstPublicIpv4(): string | undefined {
  for (const addresses of Object.values(os.networkInterfaces())) {
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  return undefined;
}

/**
 * A secret kept in a file readable by root only, made on first use (by whichever process
 * comes first: the file is created exclusively, so two never write different ones).
 */
export function secretFile(file: string): string {
  try {
    fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return fs.readFileSync(file, 'utf8').trim();
}
