import { createHash } from 'node:crypto';
import type * as Ssh2 from 'ssh2';
import { ConflictError, NotFoundError, UserError } from '../core/errors.js';
import { lazyPackage } from '../core/lazy.js';
import { parseKeyName } from '../core/names.js';
import type { State, SshKeyRecord } from '../state/index.js';

const ssh2 = lazyPackage<typeof Ssh2>('ssh2');
const MAX_KEY_TEXT = 16 * 1024;
/** authorized_keys lines may start with options (`command="…",no-pty`); ssh2 parses only the key. */
const KEY_IN_LINE = /((?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp(?:256|384|521))\s+[A-Za-z0-9+/=]+(?:\s.*)?)$/;

/** OpenSSH's SHA256 fingerprint of a public key blob. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Parses one public key line; private keys and anything unparsable are refused. */
export function parsePublicKey(text: string): { type: string; blob: Buffer; line: string } {
  if (text.length > MAX_KEY_TEXT) throw new UserError('Key is too large');
  if (/PRIVATE KEY/.test(text)) throw new UserError('That is a private key; give the public key (.pub) instead');
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (lines.length !== 1) throw new UserError('Provide exactly one public key');
  const match = KEY_IN_LINE.exec(lines[0]!);
  // A list for text of several keys, which ssh2's types do not say.
  const parsed = ssh2().utils.parseKey(match ? match[1]! : lines[0]!) as Ssh2.ParsedKey | Ssh2.ParsedKey[] | Error;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || key.isPrivateKey())
    throw new UserError('Key specified is not a valid public key');
  const blob = key.getPublicSSH();
  return { type: key.type, blob, line: `${key.type} ${blob.toString('base64')}` };
}

export function addKey(state: State, name: string | undefined, text: string, options = { admin: false }): SshKeyRecord {
  const keyName = parseKeyName(name);
  const key = parsePublicKey(text);
  if (state.keys.byName(keyName)) throw new ConflictError(`A key named ${keyName} already exists`);
  const print = fingerprint(key.blob);
  const owner = state.keys.byFingerprint(print);
  if (owner) throw new ConflictError(`This key is already added as ${owner.name}`);
  return state.keys.add({ name: keyName, fingerprint: print, publicKey: key.line }, options);
}

export function removeKey(state: State, name: string | undefined): void {
  const key = state.keys.byName(parseKeyName(name));
  if (!key) throw new NotFoundError(`No key named ${name}`);
  if (key.isAdmin && state.keys.adminCount() === 1) {
    throw new UserError('Refusing to remove the last admin key: add another admin key first');
  }
  state.keys.remove(key.name);
}
