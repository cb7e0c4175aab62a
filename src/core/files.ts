import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';

/** A file's text, or undefined when there is no such file (any other error is thrown). */
export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
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
