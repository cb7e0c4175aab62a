import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, expect, test } from 'vitest';
import { generateHostKey, loadOrCreateHostKey } from '../../src/ssh/host-key.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-hostkey-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const parses = (key: Buffer) => !(ssh2.utils.parseKey(key) instanceof Error);

// The keys alone, not stored: storing each would cost two fsyncs, a thousand times over.
test('every host key made parses (ssh2 makes a malformed one about 1 in 300)', () => {
  for (let i = 0; i < 1000; i++) expect(parses(generateHostKey())).toBe(true);
});

test('a host key is kept once made, and a stored one that does not parse is replaced', () => {
  const file = path.join(dir, 'kept');
  const first = loadOrCreateHostKey(file);
  expect(loadOrCreateHostKey(file).equals(first)).toBe(true);
  fs.writeFileSync(file, '-----BEGIN OPENSSH PRIVATE KEY-----\nbroken\n-----END OPENSSH PRIVATE KEY-----\n');
  const replaced = loadOrCreateHostKey(file);
  expect(parses(replaced)).toBe(true);
  expect(fs.readFileSync(file).equals(replaced)).toBe(true);
});
