import { UserError } from '../core/errors.js';
import { parseKeyName } from '../core/names.js';
import { readAll } from '../core/input.js';
import { format } from '../core/output.js';
import { addKey, removeKey } from '../ssh/keys.js';
import { outputFormat, requireNoMoreArgs } from './args.js';
import { readHostFile } from './host-file.js';
import type { Command, CommandContext } from './types.js';

const KEY_LIMIT = 16 * 1024;

/** On the host a second argument names a key file; over SSH the key comes on stdin, as in Dokku. */
async function readKeyText(ctx: CommandContext, file: string | undefined): Promise<string> {
  if (file === undefined) return readAll(ctx.stdin, KEY_LIMIT);
  return readHostFile(ctx, file, KEY_LIMIT, 'Over SSH, send the public key on stdin: ssh-keys:add <name> < key.pub');
}

export const keyCommands: Command[] = [
  {
    name: 'ssh-keys:add',
    summary: 'Add a public key; --admin keys may do everything, others only what acl:add grants (the first key is an admin)',
    usage: '[--admin] <name> [<key-file>]   (over SSH: key on stdin)',
    access: 'admin',
    booleanFlags: ['admin'],
    async run(ctx, args) {
      requireNoMoreArgs(args, 2);
      const [name, file] = args.positional;
      const key = addKey(ctx.platform.state, name, await readKeyText(ctx, file), { admin: Boolean(args.flags.admin) });
      ctx.out.out(format.step(`Added key ${key.name} (${key.fingerprint})${key.isAdmin ? ' as admin' : ''}`));
    },
  },
  {
    name: 'ssh-keys:list',
    summary: 'List the keys that may connect (or the one named)',
    usage: '[<name>] [--format stdout|json]',
    valueFlags: ['format'],
    access: 'admin',
    async run({ platform, out }, args) {
      requireNoMoreArgs(args, 1);
      const [name] = args.positional;
      const keys = platform.state.keys.list().filter((k) => name === undefined || k.name === parseKeyName(name));
      if (name !== undefined && keys.length === 0) throw new UserError(`No key named ${name}`);
      if (outputFormat(args) === 'json') {
        return out.out(JSON.stringify(keys.map((k) => ({ name: k.name, fingerprint: k.fingerprint, admin: k.isAdmin }))));
      }
      if (keys.length === 0) return out.err(format.error('No public keys found'));
      for (const k of keys) out.out(`${k.fingerprint} NAME="${k.name}"${k.isAdmin ? ' ADMIN' : ''}`);
    },
  },
  {
    name: 'ssh-keys:remove',
    summary: 'Remove a key by name, or by its fingerprint',
    usage: '<name> | --fingerprint SHA256:…',
    access: 'admin',
    valueFlags: ['fingerprint'],
    async run({ platform, out }, args) {
      requireNoMoreArgs(args, args.flags.fingerprint === undefined ? 1 : 0);
      const fingerprint = args.flags.fingerprint as string | undefined;
      const name = fingerprint === undefined ? args.positional[0] : platform.state.keys.byFingerprint(fingerprint)?.name;
      if (fingerprint !== undefined && name === undefined) throw new UserError(`No key with fingerprint ${fingerprint}`);
      removeKey(platform.state, name);
      out.out(format.step(`Removed key ${name}`));
    },
  },
];
