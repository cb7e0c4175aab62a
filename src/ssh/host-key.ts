import fs from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';

/** The server's host key, made once and kept, so clients never see it change. */
export function loadOrCreateHostKey(file: string): Buffer {
  if (fs.existsSync(file)) return fs.readFileSync(file);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const pair = ssh2.utils.generateKeyPairSync('ed25519');
  fs.writeFileSync(file, pair.private, { mode: 0o600, flag: 'wx' });
  return Buffer.from(pair.private);
}
