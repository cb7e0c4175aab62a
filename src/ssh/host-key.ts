import fs from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import { writeAtomically } from '../core/files.js';

const ATTEMPTS = 10;

/**
 * The server's host key, made once and kept, so clients never see it change. A stored key
 * that does not parse never let a daemon start (so no client knows it): it is replaced.
 */
export function loadOrCreateHostKey(file: string): Buffer {
  if (fs.existsSync(file)) {
    const stored = fs.readFileSync(file);
    if (isUsable(stored)) return stored;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = generateHostKey();
  writeAtomically(file, key, 0o600);
  return key;
}

const isUsable = (key: Buffer) => !(ssh2.utils.parseKey(key) instanceof Error);

/**
 * ssh2's generator now and then writes an ed25519 key its own parser calls malformed (about
 * 1 in 300, measured): such a key would stop the daemon from starting, so it is made again.
 */
export function generateHostKey(): Buffer {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const key = Buffer.from(ssh2.utils.generateKeyPairSync('ed25519').private);
    if (isUsable(key)) return key;
  }
  throw new Error(`could not generate a valid SSH host key in ${ATTEMPTS} attempts`);
}
