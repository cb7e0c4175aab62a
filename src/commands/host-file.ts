import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { CommandContext } from './types.js';

/**
 * A file named on the command line, read only when `slipway` runs on the host: over SSH a
 * path would name one of the server's files, so the data must come on stdin (`overSsh` says how).
 */
export function readHostFile(ctx: CommandContext, file: string, limit: number, overSsh: string): string {
  if (!ctx.local) throw new UserError(overSsh);
  const where = path.resolve(ctx.cwd ?? process.cwd(), file);
  try {
    if (fs.statSync(where).size > limit) throw new UserError(`${file} is larger than ${limit} bytes`);
    return fs.readFileSync(where, 'utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`Cannot read ${file}`);
  }
}
