import { UserError } from '../core/errors.js';
import { readLine } from '../core/input.js';
import { format } from '../core/output.js';
import type { CommandContext } from './types.js';

/** Dokku's guard for destructive commands: type the name, or pass --force. */
export async function confirmDestruction(
  ctx: CommandContext,
  what: string,
  name: string,
  force: boolean,
): Promise<void> {
  if (force) return;
  ctx.out.err(format.error('WARNING: Potentially Destructive Action'));
  ctx.out.err(format.error(`This command will destroy ${what} ${name}.`));
  ctx.out.err(format.error(`To proceed, type "${name}"`));
  ctx.out.out('> ');
  if ((await readLine(ctx.stdin)) !== name) throw new UserError(`Confirmation did not match ${name}. Aborted.`);
}
