import { readFileSync } from 'node:fs';
import { errorMessage, UserError } from '../core/errors.js';
import { format } from '../core/output.js';
import { appsCommands } from './apps.js';
import { parseArgs } from './args.js';
import { buildCommands } from './builds.js';
import { configCommands } from './config.js';
import { domainCommands } from './domains.js';
import { keyCommands } from './keys.js';
import { processCommands } from './processes.js';
import { releaseCommands } from './releases.js';
import { serviceCommands } from './services.js';
import { stackCommands } from './stack.js';
import type { Command, CommandContext } from './types.js';

export type { Caller, CommandContext } from './types.js';
export { tokenize } from './tokenize.js';

const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

const helpCommands: Command[] = [
  {
    name: 'help',
    summary: 'Show this list',
    usage: '',
    async run({ out }) {
      printHelp(out);
    },
  },
  {
    name: 'version',
    summary: 'Show the Slipway version',
    usage: '',
    async run({ out }) {
      out.out(`slipway ${VERSION}`);
    },
  },
];

const registry = new Map<string, Command>(
  [...appsCommands, ...configCommands, ...domainCommands, ...releaseCommands, ...processCommands, ...buildCommands, ...serviceCommands, ...keyCommands, ...stackCommands, ...helpCommands].map((c) => [
    c.name,
    c,
  ]),
);

function printHelp(out: CommandContext['out']): void {
  out.out('Usage: slipway COMMAND <app> [command-specific-options]');
  out.out('');
  out.out('Commands:');
  const width = Math.max(...[...registry.keys()].map((n) => n.length)) + 2;
  for (const command of [...registry.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    out.out(`    ${command.name.padEnd(width)}${command.summary}`);
  }
}

/**
 * Runs one command line for a caller and returns its exit code. Errors the user can act on
 * print as ` !     …`; anything unexpected prints a short internal error, never a stack.
 */
export async function runCommand(ctx: CommandContext, words: string[]): Promise<number> {
  const [name, ...rest] = words;
  if (name === undefined || name === '--help' || name === '-h') return runCommand(ctx, ['help']);
  const command = registry.get(name);
  if (!command) {
    ctx.out.err(format.error(`\`${name}\` is not a slipway command.`));
    ctx.out.err(format.error('See `slipway help` for a list of available commands.'));
    return 1;
  }
  if (command.rawArgs ? rest[0] === '--help' : rest.includes('--help')) {
    ctx.out.out(`Usage: slipway ${command.name} ${command.usage}`.trimEnd());
    ctx.out.out('');
    ctx.out.out(command.summary);
    return 0;
  }
  try {
    if (command.adminOnly && !ctx.caller.isAdmin) throw new UserError(`${command.name} needs an admin key`);
    return (await command.run(ctx, parseArgs(command, rest))) ?? 0;
  } catch (error) {
    if (error instanceof UserError) {
      ctx.out.err(format.error(error.message));
      return error.exitCode;
    }
    console.error(`slipway: ${name} failed:`, error);
    ctx.out.err(format.error(`Internal error: ${errorMessage(error)}`));
    return 1;
  }
}
