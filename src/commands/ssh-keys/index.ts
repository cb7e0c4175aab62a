import { NotFoundError, UserError } from '../../core/errors.js';
import { parseKeyName } from '../../core/names.js';
import { readAll } from '../../core/input.js';
import { format } from '../../core/output.js';
import { addKey, removeKey } from '../../access/keys.js';
import { readHostFile } from '../host-file.js';
import { action, query, type CommandContext, type Namespace } from '../types.js';
import { valueFlag } from '../args.js';

const KEY_LIMIT = 16 * 1024;

/** On the host a second argument names a key file; over SSH the key comes on stdin, as in Dokku. */
async function readKeyText(ctx: CommandContext, file: string | undefined): Promise<string> {
  if (file === undefined) return readAll(ctx.stdin, KEY_LIMIT);
  return readHostFile(ctx, file, KEY_LIMIT, 'Over SSH, send the public key on stdin: ssh-keys:add <name> < key.pub');
}

export const sshKeysNamespace: Namespace = {
  name: 'ssh-keys',
  commands: [
    action({
      name: 'ssh-keys:add',
      summary:
        'Add a public key; --admin keys may do everything, others only what acl:add grants (the first key is an admin)',
      args: ['<name>', '[key-file]'],
      usageNote: '(over SSH: key on stdin)',
      access: 'admin',
      booleanFlags: ['admin'],
      async run(ctx, args) {
        const [name, file] = args.positional;
        const key = addKey(ctx.platform.state, name, await readKeyText(ctx, file), {
          admin: Boolean(args.flags.admin),
        });
        ctx.out.out(format.step(`Added key ${key.name} (${key.fingerprint})${key.isAdmin ? ' as admin' : ''}`));
      },
    }),
    query({
      name: 'ssh-keys:list',
      summary: 'List the keys that may connect (or the one named)',
      args: ['[name]'],
      valueFlags: ['format'],
      access: 'admin',
      read({ platform }, { named }) {
        const keys = platform.state.keys
          .list()
          .filter((k) => named.name === undefined || k.name === parseKeyName(named.name));
        if (named.name !== undefined && keys.length === 0) throw new NotFoundError(`No key named ${named.name}`);
        return keys;
      },
      render: {
        text(keys, out) {
          if (keys.length === 0) return out.err(format.error('No public keys found'));
          for (const k of keys) out.out(`${k.fingerprint} NAME="${k.name}"${k.isAdmin ? ' ADMIN' : ''}`);
        },
        json: (keys) => keys.map((k) => ({ name: k.name, fingerprint: k.fingerprint, admin: k.isAdmin })),
      },
    }),
    action({
      name: 'ssh-keys:remove',
      summary: 'Remove a key by name, or by its fingerprint',
      args: ['[name]'],
      usageNote: '(or --fingerprint SHA256:… instead of the name)',
      access: 'admin',
      valueFlags: ['fingerprint'],
      run({ platform, out }, args) {
        if (args.flags.fingerprint !== undefined && args.named.name !== undefined)
          throw new UserError(`Unexpected argument: ${args.named.name}`);
        const fingerprint = valueFlag(args, 'fingerprint');
        const name =
          fingerprint === undefined ? args.positional[0] : platform.state.keys.byFingerprint(fingerprint)?.name;
        if (fingerprint !== undefined && name === undefined)
          throw new NotFoundError(`No key with fingerprint ${fingerprint}`);
        removeKey(platform.state, name);
        out.out(format.step(`Removed key ${name}`));
      },
    }),
  ],
};
