import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { fingerprint, parsePublicKey } from '../../src/access/keys.js';
import { run } from '../support/slipway.js';

describe('public keys', () => {
  test.each(['ed25519', 'rsa', 'ecdsa'])('a %s key parses and its fingerprint matches ssh-keygen', async (type) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-keys-'));
    const file = path.join(dir, 'key');
    await run('ssh-keygen', ['-t', type, '-N', '', '-q', '-C', 'me@host', '-f', file]);
    const text = fs.readFileSync(`${file}.pub`, 'utf8');
    const key = parsePublicKey(text);
    const expected = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])).stdout.split(' ')[1];
    expect(fingerprint(key.blob)).toBe(expected);
    // authorized_keys options in front of the key are accepted too
    expect(parsePublicKey(`no-pty,command="x" ${text}`).line).toBe(key.line);
    fs.rmSync(dir, { recursive: true });
  });

  test.each([
    ['garbage', 'not a valid public key'],
    ['', 'exactly one public key'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n', 'private key'],
    ['ssh-ed25519 AAAA\nssh-ed25519 BBBB\n', 'exactly one public key'],
  ])('refuses %j', (text, message) => {
    expect(() => parsePublicKey(text)).toThrow(message);
  });
});
