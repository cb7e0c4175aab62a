import { runCommand, type Caller, type CommandContext } from '../../src/commands/index.js';
import type { Platform } from '../../src/platform.js';

const ADMIN: Caller = { name: 'admin', isAdmin: true };

/** A command context on a unit platform whose output lines are collected, not printed. */
export function collectingContext(platform: Platform, caller: Caller = ADMIN) {
  const lines: { out: string[]; err: string[] } = { out: [], err: [] };
  const ctx = {
    platform,
    caller,
    out: { out: (line: string) => void lines.out.push(line), err: (line: string) => void lines.err.push(line) },
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    local: true,
    signal: new AbortController().signal,
    lifecycle: [],
  } satisfies CommandContext;
  return { ctx, lines };
}

/** Runs one command line as the dispatcher does: its exit code and what it printed. */
export async function runLine(platform: Platform, words: string[], caller: Caller = ADMIN) {
  const { ctx, lines } = collectingContext(platform, caller);
  const code = await runCommand(ctx, words);
  return { code, stdout: lines.out.join('\n'), stderr: lines.err.join('\n') };
}
