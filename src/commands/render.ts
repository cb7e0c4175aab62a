import { outputFormat } from './args.js';
import type { CommandArgs, CommandContext, QueryCommand } from './types.js';

/**
 * Runs a query and prints its data: one JSON document with `--format json`, else the
 * renderer's text. Returns the exit code the renderer gives (0 by default).
 */
export async function printQuery<T>(
  ctx: CommandContext,
  args: CommandArgs,
  command: Pick<QueryCommand<T>, 'read' | 'render'>,
): Promise<number> {
  const json = outputFormat(args) === 'json';
  const data = await command.read(ctx, args);
  if (json) {
    ctx.out.out(JSON.stringify(command.render.json ? command.render.json(data, args) : data));
    return 0;
  }
  return command.render.text(data, ctx.out, args) ?? 0;
}
